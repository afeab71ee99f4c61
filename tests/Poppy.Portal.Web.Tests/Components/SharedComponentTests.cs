using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor.Services;
using Poppy.Portal.Web.Components.Shared;

namespace Poppy.Portal.Web.Tests.Components;

/// <summary>The shell's small shared components, which need no application behind them.</summary>
public sealed class SharedComponentTests : BunitContext, IAsyncLifetime
{
    // MudBlazor's services (popovers behind tooltips) are only asynchronously disposable.
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    public SharedComponentTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    [Fact]
    public void A_page_header_names_the_page_after_its_parents_and_shows_its_actions()
    {
        var header = Render<PageHeader>(p => p
            .Add(h => h.Title, "www-example")
            .Add(h => h.Parents, [("Services", "/services")])
            .Add(h => h.ChildContent, (RenderFragment)(b => b.AddMarkupContent(0, "<button id='act'>Edit</button>"))));

        Assert.Equal("www-example", header.Find("h1").TextContent);
        var crumbs = header.FindAll("[data-testid=breadcrumbs] li.mud-breadcrumb-item").Select(li => li.TextContent.Trim()).ToList();
        Assert.Equal(["Dashboard", "Services", "www-example"], crumbs);
        Assert.Equal("/services", header.Find("[data-testid=breadcrumbs] a[href='/services']").GetAttribute("href"));
        Assert.NotNull(header.Find("#act"));
    }

    [Fact]
    public void An_empty_state_says_what_fills_the_list_and_offers_the_next_step()
    {
        var empty = Render<EmptyState>(p => p
            .Add(e => e.Title, "No CDN services yet")
            .Add(e => e.ChildContent, (RenderFragment)(b => b.AddContent(0, "Create one to provision it.")))
            .Add(e => e.Actions, (RenderFragment)(b => b.AddMarkupContent(0, "<a href='/services/new'>Create</a>"))));

        Assert.Equal("No CDN services yet", empty.Find(".empty-title").TextContent);
        Assert.Contains("Create one to provision it.", empty.Markup);
        Assert.NotNull(empty.Find(".empty-action a[href='/services/new']"));
    }

    [Fact]
    public void An_empty_state_without_an_action_renders_none()
    {
        var empty = Render<EmptyState>(p => p.Add(e => e.Title, "Nothing here"));

        Assert.Empty(empty.FindAll(".empty-action"));
    }

    [Fact]
    public void The_access_denied_panel_says_why_and_leads_back()
    {
        var panel = Render<AccessDeniedPanel>(p => p.Add(a => a.Message, "Only administrators manage flavors."));

        Assert.Contains("Only administrators manage flavors.", panel.Markup);
        Assert.NotNull(panel.Find("a[href='/']"));
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(1, "1 warning")]
    [InlineData(3, "3 warnings")]
    public void A_status_badge_says_how_many_settings_providers_could_not_express(int warnings, string? shown)
    {
        var badge = Render<Web.Features.Services.ServiceStatusBadge>(p => p
            .Add(b => b.Status, Core.Features.Services.ServiceStatus.Deployed)
            .Add(b => b.Warnings, warnings));

        Assert.Equal("deployed", badge.Find("[data-status]").TextContent);
        Assert.Equal(shown, badge.FindAll("[data-warnings]").SingleOrDefault()?.TextContent.Trim());
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(1, "1 warning")]
    [InlineData(3, "3 warnings")]
    public void The_grid_s_markup_badge_says_the_same_in_one_shared_markup_frame(int warnings, string? shown)
    {
        var markup = Web.Features.Services.ServiceStatusBadge.Markup(Core.Features.Services.ServiceStatus.Failed, warnings);
        var badge = Render(builder => builder.AddContent(0, markup));

        Assert.Equal("failed", badge.Find(".mud-chip-color-error[data-status]").TextContent);
        Assert.Equal(shown, badge.FindAll("[data-warnings]").SingleOrDefault()?.TextContent.Trim());
        Assert.All(badge.FindAll("[data-warnings]"), chip => Assert.StartsWith("Settings a provider could not express", chip.GetAttribute("title"), StringComparison.Ordinal));
        // Built once per status and count: every open page's rows share the text.
        Assert.Same(markup.Value, Web.Features.Services.ServiceStatusBadge.Markup(Core.Features.Services.ServiceStatus.Failed, warnings).Value);
    }
}
