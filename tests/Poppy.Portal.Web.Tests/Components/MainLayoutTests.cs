using Microsoft.Extensions.DependencyInjection;
using Bunit;
using Microsoft.AspNetCore.Components;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Components.Layout;

namespace Poppy.Portal.Web.Tests.Components;

/// <summary>The MudBlazor shell: navigation by role, project switching and the remembered colour scheme.</summary>
public sealed class MainLayoutTests : PortalComponentTest
{
    private IRenderedComponent<MainLayout> RenderLayout() =>
        Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<p id='body'>page</p>"))));

    [Fact]
    public void An_admin_sees_every_section_and_the_admin_group()
    {
        var layout = RenderLayout();

        var links = layout.FindAll("[data-testid=nav] a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(["/", "/services", "/jobs", "/providers", "/dns", "/benchmarks", "/audit", "/admin/users", "/admin/projects", "/admin/flavors"], links);
        // The page starts once the user's working context is read, not before (it would start twice).
        layout.WaitForAssertion(() => Assert.NotNull(layout.Find("#body")));
        Assert.Equal(PortalFactory.FirstProject, layout.Find("[data-testid=current-project]").TextContent);
    }

    [Fact]
    public async Task A_viewer_is_not_offered_the_admin_group()
    {
        await SignInAsNewUserAsync(PortalRoles.Viewer);

        var layout = RenderLayout();

        Assert.DoesNotContain(layout.FindAll("[data-testid=nav] a"), a => a.GetAttribute("href")!.StartsWith("/admin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Switching_project_is_kept_with_the_account_and_recreates_the_page()
    {
        await Portal.CreateProjectAsync("beta");
        await SignInAsNewUserAsync(PortalRoles.Operator, PortalFactory.FirstProject, "beta");
        var layout = RenderLayout();
        Assert.Equal(PortalFactory.FirstProject, layout.Find("[data-testid=current-project]").TextContent);

        await layout.Find("[data-testid=project-switcher] button").ClickAsync(new());
        await layout.Find("[data-project=beta]").ClickAsync(new());

        layout.WaitForAssertion(() => Assert.Equal("beta", layout.Find("[data-testid=current-project]").TextContent));
        // Choosing closes the menu.
        Assert.Empty(layout.FindAll("[data-project]"));
        var remembered = await WorkingAsync();
        Assert.Equal("beta", remembered.Current?.Name);
    }

    [Fact]
    public async Task The_switcher_offers_members_their_projects_and_admins_every_project()
    {
        await Portal.CreateProjectAsync("beta");
        var admin = RenderLayout();
        await admin.Find("[data-testid=project-switcher] button").ClickAsync(new());

        Assert.Equal(["alpha", "beta"], admin.FindAll("[data-project]").Select(e => e.GetAttribute("data-project")));
    }

    [Fact]
    public async Task A_member_is_offered_only_their_projects()
    {
        await Portal.CreateProjectAsync("beta");
        await SignInAsNewUserAsync(PortalRoles.Operator);
        var member = RenderLayout();
        await member.Find("[data-testid=project-switcher] button").ClickAsync(new());

        Assert.Equal(["alpha"], member.FindAll("[data-project]").Select(e => e.GetAttribute("data-project")));
    }

    [Fact]
    public async Task The_colour_scheme_is_remembered_per_user()
    {
        var layout = RenderLayout();

        await layout.Find("[data-testid=theme-toggle]").ClickAsync(new());

        var first = (await WorkingAsync()).ColorScheme;
        await layout.Find("[data-testid=theme-toggle]").ClickAsync(new());
        var second = (await WorkingAsync()).ColorScheme;
        Assert.NotNull(first);
        Assert.NotEqual(first, second);
        Assert.Contains(second, UserPreferences.ColorSchemes);
    }

    [Fact]
    public void The_user_menu_shows_initials_role_and_a_sign_out_form()
    {
        var layout = RenderLayout();

        layout.Find("[data-testid=user-menu-button]").Click();
        var menu = layout;

        Assert.Equal("A", layout.Find("[data-testid=user-menu] .mud-avatar").TextContent.Trim());
        Assert.Contains(PortalRoles.Admin, menu.Find("[data-testid=user-menu-panel]").TextContent);
        Assert.NotNull(menu.Find("a[href='/account/tokens']"));
        Assert.NotNull(menu.Find("a[href='/account/password']"));
        var signOut = menu.Find("form[action='/account/logout']");
        Assert.NotNull(signOut.QuerySelector("button[type=submit]"));
    }

    [Fact]
    public async Task The_app_bar_menus_hold_no_popover_until_opened_and_close_on_escape_or_a_click_outside()
    {
        await Portal.CreateProjectAsync("beta");
        var layout = RenderLayout();
        layout.WaitForAssertion(() => Assert.NotNull(layout.Find("#body")));

        // Closed, neither menu has a popover, overlay or list (MudMenu kept them on every open page).
        Assert.Empty(layout.FindComponents<MudBlazor.MudMenu>());
        Assert.Empty(layout.FindComponents<MudBlazor.MudPopover>());
        Assert.Empty(layout.FindAll("[data-project], [data-testid=user-menu-panel]"));

        await layout.Find("[data-testid=project-switcher] button").ClickAsync(new());
        Assert.Single(layout.FindComponents<MudBlazor.MudPopover>());
        Assert.Equal("true", layout.Find("[data-testid=project-switcher] .mud-menu-activator").GetAttribute("aria-expanded"));
        // The current project is ticked.
        Assert.NotNull(layout.Find($"[data-project={PortalFactory.FirstProject}] .mud-menu-item-icon"));
        Assert.Null(layout.Find("[data-project=beta]").QuerySelector(".mud-menu-item-icon"));
        await layout.Find(".mud-popover-open [role=menu]").KeyDownAsync(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Escape" });
        Assert.Empty(layout.FindAll("[data-project]"));
        Assert.Empty(layout.FindComponents<MudBlazor.MudPopover>());

        await layout.Find("[data-testid=user-menu-button]").ClickAsync(new());
        Assert.NotNull(layout.Find("[data-testid=user-menu-panel]"));
        await layout.Find("[data-testid=menu-overlay]").ClickAsync(new());
        Assert.Empty(layout.FindAll("[data-testid=user-menu-panel]"));
        Assert.Equal(PortalFactory.FirstProject, layout.Find("[data-testid=current-project]").TextContent);
    }

    [Fact]
    public async Task A_user_in_no_project_is_told_to_ask_an_administrator()
    {
        var email = $"lonely-{Guid.NewGuid():N}@test.local";
        await Portal.CreateUserAsync(email, PortalRoles.Operator);
        await SignInAsync(email);

        var layout = RenderLayout();
        layout.Find("[data-testid=project-switcher] button").Click();

        Assert.Equal("none", layout.Find("[data-testid=current-project]").TextContent);
        Assert.Contains("not in any project", layout.Markup);
    }
}
