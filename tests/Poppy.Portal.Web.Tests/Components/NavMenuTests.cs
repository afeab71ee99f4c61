using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Web.Components.Layout;

namespace Poppy.Portal.Web.Tests.Components;

/// <summary>The drawer's links as markup: which one is current follows navigation, the Admin group folds.</summary>
public sealed class NavMenuTests : PortalComponentTest
{
    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    private static List<string?> Active(IRenderedComponent<NavMenu> nav) =>
        [.. nav.FindAll("a.mud-nav-link.active").Select(a => a.GetAttribute("href"))];

    [Fact]
    public void The_current_link_follows_navigation_as_MudNavLink_matched_it()
    {
        Navigation.NavigateTo("/services/5d0f3c52-6f7e-4d61-9f0e-0d5b7c1e2a11?tab=settings");
        var nav = Render<NavMenu>(p => p.Add(n => n.ShowAdmin, true));

        // A page under a section marks the section (prefix), with aria-current for screen readers.
        Assert.Equal(["/services"], Active(nav));
        Assert.Equal("page", nav.Find("a.mud-nav-link.active").GetAttribute("aria-current"));

        Navigation.NavigateTo("/");
        nav.WaitForAssertion(() => Assert.Equal(["/"], Active(nav)));

        // Dashboard matches only itself, not every path below "/".
        Navigation.NavigateTo("/admin/flavors");
        nav.WaitForAssertion(() => Assert.Equal(["/admin/flavors"], Active(nav)));

        // A path that merely starts with a section's name is not in it.
        Navigation.NavigateTo("/servicesx");
        nav.WaitForAssertion(() => Assert.Empty(Active(nav)));
    }

    [Fact]
    public void The_drawer_holds_no_link_or_icon_components()
    {
        var nav = Render<NavMenu>(p => p.Add(n => n.ShowAdmin, true));

        // Each component costs every open page its state and two render-tree buffers (bench/ui README).
        Assert.Empty(nav.FindComponents<MudBlazor.MudNavLink>());
        Assert.Empty(nav.FindComponents<MudBlazor.MudIcon>());
        Assert.Equal(10, nav.FindAll("a.mud-nav-link svg.mud-nav-link-icon").Count);
        Assert.Equal(["Delivery", "Traffic"], nav.FindAll(".mud-typography-overline").Select(h => h.TextContent));
    }

    [Fact]
    public async Task The_admin_group_folds_and_unfolds()
    {
        var nav = Render<NavMenu>(p => p.Add(n => n.ShowAdmin, true));
        Assert.Equal("true", nav.Find("[data-testid=nav-admin-toggle]").GetAttribute("aria-expanded"));
        Assert.Contains("mud-collapse-entered", nav.Find(".mud-navgroup-collapse").ClassName, StringComparison.Ordinal);

        await nav.Find("[data-testid=nav-admin-toggle]").ClickAsync(new());

        Assert.Equal("false", nav.Find("[data-testid=nav-admin-toggle]").GetAttribute("aria-expanded"));
        Assert.DoesNotContain("mud-collapse-entered", nav.Find(".mud-navgroup-collapse").ClassName, StringComparison.Ordinal);
        Assert.Equal("true", nav.Find(".mud-navgroup-collapse").GetAttribute("aria-hidden"));
    }
}
