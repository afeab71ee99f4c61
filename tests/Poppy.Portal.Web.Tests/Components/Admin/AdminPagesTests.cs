using Poppy.Portal.Core.Features.Services;
using Bunit;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.Admin;

namespace Poppy.Portal.Web.Tests.Components.Admin;

/// <summary>The admin pages (users, one user, projects) against the real services, as the portal's administrator.</summary>
public sealed class AdminPagesTests : PortalComponentTest
{
    private const string Password = "New-Person-Password-1!";

    private async Task<PageWithProviders<TPage>> RenderAsync<TPage>(Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : Microsoft.AspNetCore.Components.IComponent =>
        this.RenderWithProviders(await WorkingAsync(), parameters);

    private IEnumerable<string> Snackbars => Services.GetRequiredService<ISnackbar>().ShownSnackbars.Select(s => s.Message ?? "");

    private Task<UserSummary> StoredUserAsync(string email) =>
        AsSystemAsync<UserAdministration, UserSummary>(async users => (await users.ListAsync(default)).Single(u => u.Email == email));

    [Fact]
    public async Task The_users_grid_lists_accounts_with_role_projects_and_status_disabled_before_locked_out()
    {
        await Portal.CreateUserAsync("locked@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        await Portal.CreateUserAsync("both@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        await AsSystemAsync<UserManager<PortalUser>, bool>(async users =>
        {
            foreach (var email in new[] { "locked@test.local", "both@test.local" })
            {
                var user = await users.FindByEmailAsync(email);
                await users.SetLockoutEndDateAsync(user!, DateTimeOffset.UtcNow.AddYears(1));
            }
            return true;
        });
        await AsSystemAsync<UserAdministration, Result>(async users => await users.SetDisabledAsync((await StoredUserAsync("both@test.local")).Id, true, default));

        var page = (await RenderAsync<UsersPage>()).Page;

        // Keyed by the e-mail under each name.
        var rows = page.FindAll("[data-testid=users-table] tbody tr").ToDictionary(r => r.QuerySelector("td .mud-typography-caption")!.TextContent.Trim());
        Assert.Equal("Active", rows[PortalFactory.AdminEmail].QuerySelector("[data-testid=user-status]")!.TextContent.Trim());
        Assert.Equal("Locked out", rows["locked@test.local"].QuerySelector("[data-testid=user-status]")!.TextContent.Trim());
        Assert.Equal("Disabled", rows["both@test.local"].QuerySelector("[data-testid=user-status]")!.TextContent.Trim());
        Assert.Contains(PortalRoles.Operator, rows["locked@test.local"].TextContent);
        Assert.Contains(PortalFactory.FirstProject, rows["locked@test.local"].TextContent);
    }

    [Fact]
    public async Task A_refused_new_user_keeps_its_project_selection_and_a_fixed_password_creates_it_in_both_projects()
    {
        await Portal.CreateProjectAsync("beta");
        var page = (await RenderAsync<UsersPage>()).Page;

        page.Find("input[data-testid=user-email], [data-testid=user-email] input").Change("new@test.local");
        page.Find("input[data-testid=user-name], [data-testid=user-name] input").Change("New Person");
        await page.Find("input[data-role=Operator], [data-role=Operator] input").ClickAsync(new());
        await page.Find($"[data-project={PortalFactory.FirstProject}]").ClickAsync(new());
        await page.Find("[data-project=beta]").ClickAsync(new());
        // Too weak for the identity rules: the service refuses it after the form's own validation passed.
        page.Find("input[data-testid=user-password], [data-testid=user-password] input").Change("short");
        await page.Find("form").SubmitAsync();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=form-errors]")));
        Assert.Equal([PortalFactory.FirstProject, "beta"], SelectedProjects(page));
        Assert.Equal("new@test.local", page.Find("input[data-testid=user-email], [data-testid=user-email] input").GetAttribute("value"));
        Assert.DoesNotContain(await AsSystemAsync<UserAdministration, IReadOnlyList<UserSummary>>(u => u.ListAsync(default)), u => u.Email == "new@test.local");

        page.Find("input[data-testid=user-password], [data-testid=user-password] input").Change(Password);
        await page.Find("form").SubmitAsync();

        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=users-table] tbody tr"), r => r.TextContent.Contains("new@test.local")));
        var stored = await StoredUserAsync("new@test.local");
        Assert.Equal(PortalRoles.Operator, stored.Role);
        Assert.Equal([PortalFactory.FirstProject, "beta"], stored.Projects);
        Assert.Empty(SelectedProjects(page));
        Assert.Contains("new@test.local can now sign in with the password you chose.", Snackbars);
    }

    [Fact]
    public async Task A_validation_error_keeps_the_project_selection()
    {
        var page = (await RenderAsync<UsersPage>()).Page;

        await page.Find($"[data-project={PortalFactory.FirstProject}]").ClickAsync(new());
        page.Find("input[data-testid=user-email], [data-testid=user-email] input").Change("not an address");
        await page.Find("form").SubmitAsync();

        page.WaitForAssertion(() => Assert.Contains("Enter a valid email address.", page.Markup));
        Assert.Equal([PortalFactory.FirstProject], SelectedProjects(page));
    }

    private static List<string> SelectedProjects(IRenderedComponent<UsersPage> page) =>
        page.FindAll("[data-testid=user-projects] [data-project]")
            .Where(chip => chip.ClassList.Contains("mud-chip-selected"))
            .Select(chip => chip.GetAttribute("data-project")!).ToList();

    [Fact]
    public async Task Disabling_asks_first_and_cancelling_changes_nothing()
    {
        await Portal.CreateUserAsync("viewer@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        var id = (await StoredUserAsync("viewer@test.local")).Id;
        var rendered = await RenderAsync<UserPage>(p => p.Add(x => x.Id, id));
        var page = rendered.Page;

        var cancelled = page.Find("[data-testid=disable-user]").ClickAsync(new());
        rendered.Dialogs.WaitForAssertion(() => Assert.Contains("Disable viewer@test.local?", rendered.Dialogs.Markup));
        await rendered.AnswerDialogAsync("Cancel");
        await cancelled;
        Assert.False((await StoredUserAsync("viewer@test.local")).IsDisabled);

        var confirmed = page.Find("[data-testid=disable-user]").ClickAsync(new());
        await rendered.AnswerDialogAsync("Disable");
        await confirmed;

        page.WaitForAssertion(() => Assert.Equal("Disabled", page.Find("[data-testid=user-status]").TextContent.Trim()));
        Assert.True((await StoredUserAsync("viewer@test.local")).IsDisabled);
        Assert.NotNull(page.Find("[data-testid=enable-user]"));
        Assert.Contains("Account disabled.", Snackbars);
    }

    [Fact]
    public async Task Unlocking_is_offered_only_to_a_locked_out_account_and_asks_first()
    {
        await Portal.CreateUserAsync("locked@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        await AsSystemAsync<UserManager<PortalUser>, IdentityResult>(async users =>
            await users.SetLockoutEndDateAsync((await users.FindByEmailAsync("locked@test.local"))!, DateTimeOffset.UtcNow.AddYears(1)));
        var id = (await StoredUserAsync("locked@test.local")).Id;
        var rendered = await RenderAsync<UserPage>(p => p.Add(x => x.Id, id));
        var page = rendered.Page;
        Assert.Equal("Locked out", page.Find("[data-testid=user-status]").TextContent.Trim());

        var click = page.Find("[data-testid=unlock-user]").ClickAsync(new());
        await rendered.AnswerDialogAsync("Unlock");
        await click;

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=unlock-user]")));
        Assert.False((await StoredUserAsync("locked@test.local")).IsLockedOut);
        Assert.Equal("Active", page.Find("[data-testid=user-status]").TextContent.Trim());
    }

    [Fact]
    public async Task The_last_administrator_cannot_be_disabled_and_the_page_says_why()
    {
        var id = (await StoredUserAsync(PortalFactory.AdminEmail)).Id;
        var rendered = await RenderAsync<UserPage>(p => p.Add(x => x.Id, id));

        var click = rendered.Page.Find("[data-testid=disable-user]").ClickAsync(new());
        await rendered.AnswerDialogAsync("Disable");
        await click;

        rendered.Page.WaitForAssertion(() => Assert.Contains(Snackbars, m => m.Contains("last active administrator")));
        Assert.False((await StoredUserAsync(PortalFactory.AdminEmail)).IsDisabled);
    }

    [Fact]
    public async Task The_user_page_saves_role_and_projects()
    {
        await Portal.CreateProjectAsync("beta");
        await Portal.CreateUserAsync("viewer@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        var id = (await StoredUserAsync("viewer@test.local")).Id;
        var page = (await RenderAsync<UserPage>(p => p.Add(x => x.Id, id))).Page;

        await page.Find("input[data-role=Operator], [data-role=Operator] input").ClickAsync(new());
        await page.Find("[data-project=beta]").ClickAsync(new());
        await page.Find("[data-testid=save-user]").ClickAsync(new());

        var stored = await StoredUserAsync("viewer@test.local");
        Assert.Equal(PortalRoles.Operator, stored.Role);
        Assert.Equal([PortalFactory.FirstProject, "beta"], stored.Projects);
    }

    [Fact]
    public async Task An_admin_creates_a_project_and_sees_its_member_count()
    {
        var page = (await RenderAsync<ProjectsPage>()).Page;
        Assert.Equal("1", page.FindAll("[data-testid=projects-table] tbody tr").Single(r => r.TextContent.Contains(PortalFactory.FirstProject))
            .QuerySelector("[data-testid=member-count]")!.TextContent.Trim());

        page.Find("input[data-testid=project-name], [data-testid=project-name] input").Change("beta");
        page.Find("textarea[data-testid=project-description], [data-testid=project-description] textarea").Change("Second tenant");
        await page.Find("form").SubmitAsync();

        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=projects-table] tbody tr"), r => r.TextContent.Contains("Second tenant")));
        Assert.Contains(await AsSystemAsync<ProjectDirectory, IReadOnlyList<ProjectSummary>>(d => d.ListAllAsync(default)), p => p.Name == "beta");
        Assert.Contains("Project beta was created. Add members on the Users page.", Snackbars);
    }

    [Fact]
    public async Task An_admin_changes_a_projects_service_limit_in_place()
    {
        var page = (await RenderAsync<ProjectsPage>()).Page;
        var alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        var before = await AsSystemAsync<ServiceCatalog, int>(c => c.GetLimitAsync(alpha, default));
        var cell = $"[data-project-limit={PortalFactory.FirstProject}]";
        Assert.Equal(before.ToString(System.Globalization.CultureInfo.InvariantCulture), page.Find($"{cell} [data-testid=edit-limit]").TextContent.Trim());

        await page.Find($"{cell} [data-testid=edit-limit]").ClickAsync(new());
        page.Find($"{cell} input").Change("7");
        await page.Find($"{cell} [data-testid=save-limit]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal("7", page.Find($"{cell} [data-testid=edit-limit]").TextContent.Trim()));
        Assert.Equal(7, await AsSystemAsync<ServiceCatalog, int>(c => c.GetLimitAsync(alpha, default)));
        Assert.Contains($"Project {PortalFactory.FirstProject} may now hold 7 services.", Snackbars);
    }

    [Theory]
    [InlineData("no spaces!", "Name: 1–64 characters")]
    [InlineData(PortalFactory.FirstProject, "already exists")]
    public async Task A_bad_or_taken_project_name_says_what_is_wrong_and_keeps_the_form(string name, string message)
    {
        var page = (await RenderAsync<ProjectsPage>()).Page;

        page.Find("input[data-testid=project-name], [data-testid=project-name] input").Change(name);
        await page.Find("form").SubmitAsync();

        page.WaitForAssertion(() => Assert.Contains(message, page.Find("[data-testid=form-errors]").TextContent));
        Assert.Equal(name, page.Find("input[data-testid=project-name], [data-testid=project-name] input").GetAttribute("value"));
    }

    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    public async Task A_non_admin_gets_the_access_denied_panel_on_every_admin_page(string role)
    {
        await SignInAsNewUserAsync(role);
        var id = (await StoredUserAsync(PortalFactory.AdminEmail)).Id;

        var users = (await RenderAsync<UsersPage>()).Page;
        var user = Render<UserPage>(p => p.Add(x => x.Id, id));
        var projects = Render<ProjectsPage>();

        Assert.NotNull(users.Find("[data-testid=access-denied]"));
        Assert.Empty(users.FindAll("[data-testid=users-table]"));
        Assert.NotNull(user.Find("[data-testid=access-denied]"));
        Assert.DoesNotContain(PortalFactory.AdminEmail, user.Markup);
        Assert.NotNull(projects.Find("[data-testid=access-denied]"));
    }
}
