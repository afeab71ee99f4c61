using AngleSharp.Dom;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Components.Layout;
using Poppy.Portal.Web.Components.Shared;
using Poppy.Portal.Web.Features.Admin;
using Poppy.Portal.Web.Features.Projects;

namespace Poppy.Portal.Web.Tests.Components;

/// <summary>Components rendered with the framework's HtmlRenderer (bUnit is not available here), asserted with AngleSharp.</summary>
public sealed class ComponentRenderingTests : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly HtmlRenderer renderer;

    public ComponentRenderingTests()
    {
        services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<AntiforgeryStateProvider>(new FixedAntiforgeryState())
            .AddSingleton<NavigationManager>(new FixedNavigation())
            .BuildServiceProvider();
        renderer = new HtmlRenderer(services, NullLoggerFactory.Instance);
    }

    [Fact]
    public async Task The_sidebar_lists_every_section_and_offers_admin_only_to_admins()
    {
        var forViewer = await RenderAsync<NavMenu>(new() { [nameof(NavMenu.ShowAdmin)] = false });
        var forAdmin = await RenderAsync<NavMenu>(new() { [nameof(NavMenu.ShowAdmin)] = true });

        Assert.Equal(["Dashboard", "Services", "Jobs", "Providers", "DNS", "Benchmarks", "Audit"], Titles(forViewer));
        Assert.Empty(forViewer.QuerySelectorAll("a[href^='/admin']"));
        Assert.Equal(["/admin/users", "/admin/projects", "/admin/flavors"], forAdmin.QuerySelectorAll("a[href^='/admin']").Select(a => a.GetAttribute("href")));
    }

    [Fact]
    public async Task The_project_switcher_posts_each_project_with_a_token_and_marks_the_current_one()
    {
        var alpha = new ProjectSummary(Guid.NewGuid(), "alpha", "", 1);
        var beta = new ProjectSummary(Guid.NewGuid(), "beta", "", 2);

        var html = await RenderAsync<ProjectSwitcher>(new()
        {
            [nameof(ProjectSwitcher.Context)] = new ProjectContext([alpha, beta], beta),
            [nameof(ProjectSwitcher.ReturnUrl)] = "/services",
        });

        Assert.Equal("beta", html.QuerySelector("[data-testid=current-project]")?.TextContent);
        var forms = html.QuerySelectorAll("form");
        Assert.Equal(2, forms.Length);
        Assert.All(forms, form =>
        {
            Assert.Equal(ProjectEndpoints.SwitchPath, form.GetAttribute("action"));
            Assert.Equal("test-token", form.QuerySelector("input[name=__RequestVerificationToken]")?.GetAttribute("value"));
            Assert.Equal("/services", form.QuerySelector("input[name=returnUrl]")?.GetAttribute("value"));
        });
        Assert.Equal(beta.Id.ToString(), html.QuerySelector("button.active")?.ParentElement?.QuerySelector("input[name=projectId]")?.GetAttribute("value"));
    }

    [Fact]
    public async Task The_project_switcher_explains_an_empty_membership()
    {
        var html = await RenderAsync<ProjectSwitcher>(new() { [nameof(ProjectSwitcher.Context)] = new ProjectContext([], null) });

        Assert.Equal("none", html.QuerySelector("[data-testid=current-project]")?.TextContent);
        Assert.Contains("not in any project", html.Body!.TextContent);
        Assert.Empty(html.QuerySelectorAll("form"));
    }

    [Fact]
    public async Task The_user_menu_shows_initials_role_and_a_sign_out_form()
    {
        var html = await RenderAsync<UserMenu>(new() { [nameof(UserMenu.DisplayName)] = "Ada Lovelace", [nameof(UserMenu.Role)] = PortalRoles.Operator });

        Assert.Equal("AL", html.QuerySelector(".avatar")?.TextContent);
        Assert.Contains(PortalRoles.Operator, html.Body!.TextContent);
        var signOut = html.QuerySelector("form[action='/account/logout']");
        Assert.NotNull(signOut);
        Assert.NotNull(signOut.QuerySelector("input[name=__RequestVerificationToken]"));
    }

    [Theory]
    [InlineData(true, false, "Disabled")]
    [InlineData(false, true, "Locked out")]
    [InlineData(false, false, "Active")]
    public async Task A_user_status_badge_says_disabled_before_locked_out(bool disabled, bool lockedOut, string expected)
    {
        var user = new UserSummary("id", "a@b.c", "A", PortalRoles.Viewer, disabled, lockedOut, []);

        var html = await RenderAsync<UserStatusBadge>(new() { [nameof(UserStatusBadge.User)] = user });

        Assert.Equal(expected, html.QuerySelector(".badge")?.TextContent);
    }

    [Fact]
    public async Task An_error_list_renders_nothing_without_errors_and_every_message_with_them()
    {
        var none = await RenderAsync<ErrorList>(new() { [nameof(ErrorList.Errors)] = Array.Empty<string>() });
        var two = await RenderAsync<ErrorList>(new() { [nameof(ErrorList.Errors)] = new[] { "Name: too long.", "<b>escaped</b>" } });

        Assert.Null(none.QuerySelector(".alert"));
        Assert.Equal(["Name: too long.", "<b>escaped</b>"], two.QuerySelectorAll("li").Select(li => li.TextContent));
        Assert.Null(two.QuerySelector("li b"));
    }

    private async Task<IDocument> RenderAsync<TComponent>(Dictionary<string, object?> parameters) where TComponent : IComponent
    {
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
            (await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters))).ToHtmlString());
        return PortalClient.Parse(html);
    }

    private static IEnumerable<string> Titles(IDocument html) => html.QuerySelectorAll(".nav-link-title").Select(e => e.TextContent);

    public async ValueTask DisposeAsync()
    {
        await renderer.DisposeAsync();
        await services.DisposeAsync();
    }

    /// <summary>The page the components believe they are on (NavLink needs one).</summary>
    private sealed class FixedNavigation : NavigationManager
    {
        public FixedNavigation() => Initialize("http://localhost/", "http://localhost/services");
    }

    /// <summary>Supplies the token the AntiforgeryToken component renders, as the server would for a request.</summary>
    private sealed class FixedAntiforgeryState : AntiforgeryStateProvider
    {
        public override AntiforgeryRequestToken GetAntiforgeryToken() => new("test-token", "__RequestVerificationToken");
    }
}
