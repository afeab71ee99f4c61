using System.Net;
using System.Text.RegularExpressions;
using AngleSharp.Html.Dom;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Audit;

/// <summary>Changes made through the portal's forms land in the audit log, in the same unit of work as the change.</summary>
public sealed partial class AuditRecordingTests : PortalTest
{
    private const string NewUserEmail = "new@test.local";

    [Fact]
    public async Task Admin_actions_through_the_forms_are_listed_newest_first_with_actor_and_before_after()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        using var project = await admin.SubmitFormAsync("/admin/projects",
            new Dictionary<string, string> { ["Input.Name"] = "beta", ["Input.Description"] = "Second tenant" }, "create-project");
        var userId = await CreateUserThroughTheFormAsync(admin, PortalRoles.Viewer);
        using var role = await admin.SubmitFormAsync($"/admin/users/{userId}",
            new Dictionary<string, string> { ["RoleInput.Role"] = PortalRoles.Operator }, "set-role");
        using var disable = await admin.SubmitFormAsync($"/admin/users/{userId}", new Dictionary<string, string>(), "toggle-disabled");
        Assert.All([project, role, disable], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var rows = AuditPages.Rows(await admin.GetPageAsync("/audit"));

        Assert.Equal(
        [
            ("disable", "user", userId, $"Disabled user {NewUserEmail}"),
            ("set-role", "user", userId, $"Changed the role of {NewUserEmail} from Viewer to Operator"),
            ("create", "user", userId, $"Created user {NewUserEmail} (Viewer) in alpha"),
            ("create", "project", await ProjectIdAsync("beta"), "Created project beta"),
        ], rows.Take(4).Select(r => (r.Action, r.EntityType, r.EntityId, r.Summary)));
        Assert.All(rows.Take(4), r => Assert.Equal(PortalFactory.AdminEmail, r.Actor));
        Assert.Equal(["— (global)", "— (global)", "— (global)", "beta"], rows.Take(4).Select(r => r.Project));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", rows[0].Time);
        // What the first start did (the first project and administrator) is there too, done by "system".
        Assert.Equal(["Created user admin@test.local (Admin) in alpha", "Created project alpha"], rows.Skip(4).Select(r => r.Summary));
        Assert.All(rows.Skip(4), r => Assert.Equal("system", r.Actor));

        var roleChange = await admin.GetPageAsync($"/audit/{rows[1].Id}");
        Assert.Equal([("role", "changed", "\"Viewer\"", "\"Operator\"")], AuditPages.Changes(roleChange));
        Assert.Equal(["email", "displayName", "projects[0]", "disabled", "lockedOut"], AuditPages.UnchangedPaths(roleChange));
        Assert.Equal(PortalFactory.AdminEmail, roleChange.QuerySelector("[data-testid=audit-actor]")?.TextContent);

        var disabled = await admin.GetPageAsync($"/audit/{rows[0].Id}");
        Assert.Equal([("disabled", "changed", "false", "true")], AuditPages.Changes(disabled));

        var created = await admin.GetPageAsync($"/audit/{rows[2].Id}");
        Assert.Equal(
        [
            ("email", "added", null, $"\"{NewUserEmail}\""), ("displayName", "added", null, "\"New Person\""), ("role", "added", null, "\"Viewer\""),
            ("projects[0]", "added", null, "\"alpha\""), ("disabled", "added", null, "false"), ("lockedOut", "added", null, "false"),
        ], AuditPages.Changes(created));
        var stored = (await Portal.StoredEntriesAsync()).Single(e => e.Id == rows[2].Id);
        Assert.DoesNotContain("password", stored.After!, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("stamp", stored.After!, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("New-Person-Password-1!", created.Body!.OuterHtml);

        var projectCreated = await admin.GetPageAsync($"/audit/{rows[3].Id}");
        Assert.Equal([("name", "added", null, "\"beta\""), ("description", "added", null, "\"Second tenant\"")], AuditPages.Changes(projectCreated));
    }

    [Fact]
    public async Task Setting_projects_and_unlocking_are_recorded_and_a_save_that_changes_nothing_is_not()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        await Portal.CreateProjectAsync("beta");
        var userId = await CreateUserThroughTheFormAsync(admin, PortalRoles.Operator);
        var beta = (await ProjectIdAsync("beta")).ToString();
        var alpha = await ProjectIdAsync(PortalFactory.FirstProject);
        await LockOutAsync(NewUserEmail);

        using var sameRole = await admin.SubmitFormAsync($"/admin/users/{userId}",
            new Dictionary<string, string> { ["RoleInput.Role"] = PortalRoles.Operator }, "set-role");
        var page = await admin.GetPageAsync($"/admin/users/{userId}");
        using var projects = await admin.PostAsync($"/admin/users/{userId}",
        [
            new("__RequestVerificationToken", Token(page, "set-projects")), new("_handler", "set-projects"),
            new("ProjectsInput.ProjectIds", alpha), new("ProjectsInput.ProjectIds", beta),
        ]);
        using var unlock = await admin.SubmitFormAsync($"/admin/users/{userId}", new Dictionary<string, string>(), "unlock");

        Assert.Contains("Account unlocked.", await unlock.Content.ReadAsStringAsync());
        var rows = AuditPages.Rows(await admin.GetPageAsync($"/audit?entity={userId}"));
        Assert.Equal(["unlock", "set-projects", "create"], rows.Select(r => r.Action));
        Assert.Equal([("projects[1]", "added", null, "\"beta\"")], AuditPages.Changes(await admin.GetPageAsync($"/audit/{rows[1].Id}")));
        Assert.Equal([("lockedOut", "changed", "true", "false")], AuditPages.Changes(await admin.GetPageAsync($"/audit/{rows[0].Id}")));
    }

    [Fact]
    public async Task A_refused_change_leaves_no_entry()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var adminId = await UserIdAsync(PortalFactory.AdminEmail);
        var before = await Portal.StoredEntriesAsync();

        using var demote = await admin.SubmitFormAsync($"/admin/users/{adminId}",
            new Dictionary<string, string> { ["RoleInput.Role"] = PortalRoles.Viewer }, "set-role");
        using var disable = await admin.SubmitFormAsync($"/admin/users/{adminId}", new Dictionary<string, string>(), "toggle-disabled");
        using var weakPassword = await SubmitNewUserAsync(admin, "weak@test.local", "short");
        using var taken = await SubmitNewUserAsync(admin, PortalFactory.AdminEmail, "Long-Enough-Password-1!");

        Assert.Contains("last active administrator", await demote.Content.ReadAsStringAsync());
        Assert.Contains("last active administrator", await disable.Content.ReadAsStringAsync());
        Assert.Contains("alert-danger", await weakPassword.Content.ReadAsStringAsync());
        Assert.Contains("alert-danger", await taken.Content.ReadAsStringAsync());
        Assert.Equal(before.Select(e => e.Id), (await Portal.StoredEntriesAsync()).Select(e => e.Id));
        // The failures left nothing pending either: the next change stores exactly its own entry.
        using var project = await admin.SubmitFormAsync("/admin/projects", new Dictionary<string, string> { ["Input.Name"] = "after" }, "create-project");
        Assert.Equal(["Created project after"], (await Portal.StoredEntriesAsync()).Skip(before.Count).Select(e => e.Summary));
    }

    [Fact]
    public async Task The_entry_is_stored_by_the_same_SaveChanges_as_the_account_change()
    {
        var saves = new SaveRecorder();
        await using var portal = Portal.WithWebHostBuilder(web => web.ConfigureTestServices(services =>
            services.ConfigureDbContext<PortalDbContext>(db => db.AddInterceptors(saves))));
        using var admin = ClientOf(portal);
        await admin.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        saves.Clear();

        var userId = await CreateUserThroughTheFormAsync(admin, PortalRoles.Viewer);
        using var role = await admin.SubmitFormAsync($"/admin/users/{userId}", new Dictionary<string, string> { ["RoleInput.Role"] = PortalRoles.Operator }, "set-role");
        using var client = ClientOf(portal);
        await client.SignInOrFailAsync(NewUserEmail, NewUserPassword);
        using var changed = await client.SubmitFormAsync("/account/password", new Dictionary<string, string>
        {
            ["Input.CurrentPassword"] = NewUserPassword, ["Input.NewPassword"] = "Changed-Password-9!", ["Input.ConfirmPassword"] = "Changed-Password-9!",
        }, "change-password");

        Assert.Contains("data-testid=\"password-changed\"", await changed.Content.ReadAsStringAsync());
        var auditedSaves = saves.All.Where(s => s.Contains("AuditEntry Added")).ToList();
        Assert.Equal(3, auditedSaves.Count);
        Assert.Contains("PortalUser Added", auditedSaves[0]);
        Assert.Contains("IdentityUserRole<String> Deleted", auditedSaves[1]);
        Assert.Contains("PortalUser Modified", auditedSaves[2]);
    }

    [Fact]
    public async Task A_failure_between_identitys_saves_rolls_back_the_account_and_its_entry()
    {
        // The second of the saves that create an account (its role) fails, as a lost connection would.
        var saves = new SaveRecorder { FailWhen = save => save.Contains("IdentityUserRole<String> Added") };
        await using var portal = Portal.WithWebHostBuilder(web => web.ConfigureTestServices(services =>
            services.ConfigureDbContext<PortalDbContext>(db => db.AddInterceptors(saves))));
        var entriesBefore = await Portal.StoredEntriesAsync();

        await using (var scope = portal.Services.CreateAsyncScope(Actor.System()))
        {
            var users = scope.ServiceProvider.GetRequiredService<UserAdministration>();
            var alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
            await Assert.ThrowsAsync<InvalidOperationException>(() =>
                users.CreateAsync(new NewUser("half@test.local", "Half", PortalRoles.Viewer, NewUserPassword, [alpha]), CancellationToken.None));
        }

        Assert.Contains(saves.All, s => s.Contains("PortalUser Added") && s.Contains("AuditEntry Added"));
        Assert.Null(await UserIdOrNullAsync("half@test.local"));
        Assert.Equal(entriesBefore.Select(e => e.Id), (await Portal.StoredEntriesAsync()).Select(e => e.Id));
    }

    [Fact]
    public async Task Password_changes_and_resets_are_recorded_for_the_person_without_before_or_after()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var password = await Portal.CreateUserAsync("self@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        using var self = Portal.CreatePortalClient();
        await self.SignInOrFailAsync("self@test.local", password);

        using var wrong = await ChangePasswordAsync(self, "Wrong-Current-1!", "Another-Password-3!");
        using var changed = await ChangePasswordAsync(self, password, "Another-Password-3!");
        using var anonymous = Portal.CreatePortalClient();
        (await anonymous.SubmitFormAsync("/account/forgot-password",
            new Dictionary<string, string> { ["Input.Email"] = "self@test.local" }, "forgot-password")).Dispose();
        var link = new Uri(ResetLink().Match(await File.ReadAllTextAsync(Directory.GetFiles(Portal.MailFolder, "*.eml").Single())).Value);
        using var reset = await anonymous.SubmitFormAsync(link.PathAndQuery, new Dictionary<string, string>
        {
            ["Input.Email"] = "self@test.local", ["Input.Password"] = "Reset-Password-4!", ["Input.ConfirmPassword"] = "Reset-Password-4!",
        }, "reset-password");

        Assert.Contains("The current password is wrong.", await wrong.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, reset.StatusCode);
        var selfId = await UserIdAsync("self@test.local");
        var rows = AuditPages.Rows(await admin.GetPageAsync($"/audit?type=user&entity={selfId}"));
        Assert.Equal(
        [
            ("reset-password", "self@test.local", "self@test.local set a new password with a reset link"),
            ("change-password", "self@test.local", "self@test.local changed their password"),
            ("create", "system", "Created user self@test.local (Viewer) in alpha"),
        ], rows.Select(r => (r.Action, r.Actor, r.Summary)));
        Assert.All((await Portal.StoredEntriesAsync()).Where(e => e.Action.EndsWith("-password")), e =>
        {
            Assert.Equal(selfId, e.ActorId);
            Assert.Null(e.Before);
            Assert.Null(e.After);
        });
        var detail = await admin.GetPageAsync($"/audit/{rows[0].Id}");
        Assert.NotNull(detail.QuerySelector("[data-testid=audit-no-snapshot]"));
    }

    private const string NewUserPassword = "New-Person-Password-1!";

    private static PortalClient ClientOf(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> portal) =>
        new(portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>Creates new@test.local in alpha through the Users form and returns its id from the users table.</summary>
    private async Task<string> CreateUserThroughTheFormAsync(PortalClient admin, string role)
    {
        using var response = await SubmitNewUserAsync(admin, NewUserEmail, NewUserPassword, role);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = PortalClient.Parse(await response.Content.ReadAsStringAsync())
            .QuerySelectorAll("[data-testid=users-table] tbody tr").Single(r => r.TextContent.Contains(NewUserEmail));
        return row.QuerySelector("a[href^='/admin/users/']")!.GetAttribute("href")!["/admin/users/".Length..];
    }

    private async Task<HttpResponseMessage> SubmitNewUserAsync(PortalClient admin, string email, string password, string role = PortalRoles.Viewer)
    {
        var page = await admin.GetPageAsync("/admin/users");
        return await admin.PostAsync("/admin/users",
        [
            new("__RequestVerificationToken", Token(page, "create-user")), new("_handler", "create-user"),
            new("Input.Email", email), new("Input.DisplayName", "New Person"), new("Input.Role", role),
            new("Input.ProjectIds", (await ProjectIdAsync(PortalFactory.FirstProject)).ToString()), new("Input.Password", password),
        ]);
    }

    private static string Token(IHtmlDocument page, string formName) =>
        page.Forms.Single(f => f.QuerySelector($"input[name=_handler][value='{formName}']") is not null)
            .QuerySelector<IHtmlInputElement>("input[name=__RequestVerificationToken]")!.Value;

    private static Task<HttpResponseMessage> ChangePasswordAsync(PortalClient client, string current, string next) =>
        client.SubmitFormAsync("/account/password", new Dictionary<string, string>
        {
            ["Input.CurrentPassword"] = current, ["Input.NewPassword"] = next, ["Input.ConfirmPassword"] = next,
        }, "change-password");

    private async Task<string> ProjectIdAsync(string name) => (await Portal.ProjectIdAsync(name)).ToString();

    private async Task<string> UserIdAsync(string email) => await UserIdOrNullAsync(email) ?? throw new InvalidOperationException($"No user {email}.");

    private async Task<string?> UserIdOrNullAsync(string email)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return (await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync(email))?.Id;
    }

    private async Task LockOutAsync(string email)
    {
        using var client = Portal.CreatePortalClient();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            (await client.SignInAsync(email, "Wrong-Password-0!")).Dispose();
        }
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        Assert.True(await users.IsLockedOutAsync((await users.FindByEmailAsync(email))!));
    }

    [GeneratedRegex(@"http://\S+/account/reset-password\?\S+")]
    private static partial Regex ResetLink();

    /// <summary>Writes down what each SaveChanges stores ("PortalUser Added, AuditEntry Added"), and can make one fail.</summary>
    private sealed class SaveRecorder : SaveChangesInterceptor
    {
        private readonly List<string> saves = [];

        public Func<string, bool>? FailWhen { get; init; }

        public IReadOnlyList<string> All
        {
            get
            {
                lock (saves)
                {
                    return saves.ToList();
                }
            }
        }

        public void Clear()
        {
            lock (saves)
            {
                saves.Clear();
            }
        }

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
            DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            var save = string.Join(", ", eventData.Context!.ChangeTracker.Entries()
                .Where(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted)
                .Select(e => $"{Name(e.Metadata.ClrType)} {e.State}")
                .Distinct());
            lock (saves)
            {
                saves.Add(save);
            }
            if (FailWhen?.Invoke(save) == true)
            {
                throw new InvalidOperationException("Simulated failure while saving: " + save);
            }
            return base.SavingChangesAsync(eventData, result, cancellationToken);
        }

        private static string Name(Type type) =>
            type.IsGenericType ? $"{type.Name[..type.Name.IndexOf('`')]}<{string.Join(",", type.GenericTypeArguments.Select(Name))}>" : type.Name;
    }
}
