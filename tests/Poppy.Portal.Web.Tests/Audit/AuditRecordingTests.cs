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
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Audit;

/// <summary>
/// Changes made by administrators (as the admin pages make them, through the application services) and by people on
/// the account forms land in the audit log, in the same unit of work as the change.
/// </summary>
public sealed partial class AuditRecordingTests : PortalTest
{
    private const string NewUserEmail = "new@test.local";

    [Fact]
    public async Task Admin_actions_are_listed_newest_first_with_actor_and_before_after()
    {
        var project = await AsAdminAsync<ProjectDirectory, Result>(async d => (await d.CreateAsync("beta", "Second tenant", default)).Result);
        var userId = await CreateUserAsAdminAsync(PortalRoles.Viewer);
        var role = await AsAdminAsync<UserAdministration, Result>(u => u.SetRoleAsync(userId, PortalRoles.Operator, default));
        var disable = await AsAdminAsync<UserAdministration, Result>(u => u.SetDisabledAsync(userId, true, default));
        Assert.All([project, role, disable], r => Assert.True(r.Succeeded, string.Join(" ", r.Errors)));

        var rows = await Portal.RowsAsync();

        Assert.Equal(
        [
            ("disable", "user", userId, $"Disabled user {NewUserEmail}"),
            ("set-role", "user", userId, $"Changed the role of {NewUserEmail} from Viewer to Operator"),
            ("create", "user", userId, $"Created user {NewUserEmail} (Viewer) in alpha"),
            ("create", "project", (await Portal.ProjectIdAsync("beta")).ToString(), "Created project beta"),
        ], rows.Take(4).Select(r => (r.Action, r.EntityType, r.EntityId, r.Summary)));
        Assert.All(rows.Take(4), r => Assert.Equal(PortalFactory.AdminEmail, r.Actor));
        Assert.Equal(["— (global)", "— (global)", "— (global)", "beta"], rows.Take(4).Select(r => r.Project));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", rows[0].Time);
        // What the first start did (the first project and administrator) is there too, done by "system".
        Assert.Equal(["Created user admin@test.local (Admin) in alpha", "Created project alpha"], rows.Skip(4).Select(r => r.Summary));
        Assert.All(rows.Skip(4), r => Assert.Equal("system", r.Actor));

        Assert.Equal([("role", "changed", "\"Viewer\"", "\"Operator\"")], await Portal.ChangesAsync(rows[1].Id));
        Assert.Equal(["email", "displayName", "projects[0]", "disabled", "lockedOut"], await Portal.UnchangedPathsAsync(rows[1].Id));

        Assert.Equal([("disabled", "changed", "false", "true")], await Portal.ChangesAsync(rows[0].Id));

        Assert.Equal(
        [
            ("email", "added", null, $"\"{NewUserEmail}\""), ("displayName", "added", null, "\"New Person\""), ("role", "added", null, "\"Viewer\""),
            ("projects[0]", "added", null, "\"alpha\""), ("disabled", "added", null, "false"), ("lockedOut", "added", null, "false"),
        ], await Portal.ChangesAsync(rows[2].Id));
        var stored = (await Portal.StoredEntriesAsync()).Single(e => e.Id == rows[2].Id);
        Assert.DoesNotContain("password", stored.After!, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("stamp", stored.After!, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(NewUserPassword, stored.After!);

        Assert.Equal([("name", "added", null, "\"beta\""), ("description", "added", null, "\"Second tenant\"")], await Portal.ChangesAsync(rows[3].Id));
    }

    [Fact]
    public async Task Setting_projects_and_unlocking_are_recorded_and_a_save_that_changes_nothing_is_not()
    {
        await Portal.CreateProjectAsync("beta");
        var userId = await CreateUserAsAdminAsync(PortalRoles.Operator);
        var beta = await Portal.ProjectIdAsync("beta");
        var alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        await LockOutAsync(NewUserEmail);

        var sameRole = await AsAdminAsync<UserAdministration, Result>(u => u.SetRoleAsync(userId, PortalRoles.Operator, default));
        var projects = await AsAdminAsync<UserAdministration, Result>(u => u.SetProjectsAsync(userId, [alpha, beta], default));
        var unlock = await AsAdminAsync<UserAdministration, Result>(u => u.UnlockAsync(userId, default));

        Assert.All([sameRole, projects, unlock], r => Assert.True(r.Succeeded));
        var rows = await Portal.RowsAsync(new AuditFilter { EntityId = userId });
        Assert.Equal(["unlock", "set-projects", "create"], rows.Select(r => r.Action));
        Assert.Equal([("projects[1]", "added", null, "\"beta\"")], await Portal.ChangesAsync(rows[1].Id));
        Assert.Equal([("lockedOut", "changed", "true", "false")], await Portal.ChangesAsync(rows[0].Id));
    }

    [Fact]
    public async Task A_refused_change_leaves_no_entry()
    {
        var adminId = await UserIdAsync(PortalFactory.AdminEmail);
        var before = await Portal.StoredEntriesAsync();

        var demote = await AsAdminAsync<UserAdministration, Result>(u => u.SetRoleAsync(adminId, PortalRoles.Viewer, default));
        var disable = await AsAdminAsync<UserAdministration, Result>(u => u.SetDisabledAsync(adminId, true, default));
        var weakPassword = await CreateUserAsAdminAsync("weak@test.local", "short", PortalRoles.Viewer);
        var taken = await CreateUserAsAdminAsync(PortalFactory.AdminEmail, "Long-Enough-Password-1!", PortalRoles.Viewer);

        Assert.Contains("last active administrator", string.Join(" ", demote.Errors));
        Assert.Contains("last active administrator", string.Join(" ", disable.Errors));
        Assert.False(weakPassword.Succeeded);
        Assert.False(taken.Succeeded);
        Assert.Equal(before.Select(e => e.Id), (await Portal.StoredEntriesAsync()).Select(e => e.Id));
        // The failures left nothing pending either: the next change stores exactly its own entry.
        await AsAdminAsync<ProjectDirectory, Result>(async d => (await d.CreateAsync("after", "", default)).Result);
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

        var alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        await using (var scope = portal.Services.CreateAsyncScope(Actor.User(await UserIdAsync(PortalFactory.AdminEmail), PortalFactory.AdminEmail, PortalRoles.Admin)))
        {
            var users = scope.ServiceProvider.GetRequiredService<UserAdministration>();
            Assert.True((await users.CreateAsync(new NewUser(NewUserEmail, "New Person", PortalRoles.Viewer, NewUserPassword, [alpha]), default)).Succeeded);
            Assert.True((await users.SetRoleAsync((await UserIdAsync(NewUserEmail)), PortalRoles.Operator, default)).Succeeded);
        }
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
        var rows = await Portal.RowsAsync(new AuditFilter { EntityType = AuditEntityTypes.User, EntityId = selfId });
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
        await using var adminScope = await Portal.AdminScopeAsync();
        var detail = await adminScope.ServiceProvider.GetRequiredService<AuditQuery>().GetAsync(rows[0].Id, default);
        Assert.Null(detail!.Before);
        Assert.Null(detail.After);
    }

    private const string NewUserPassword = "New-Person-Password-1!";

    private static PortalClient ClientOf(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> portal) =>
        new(portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>Creates new@test.local in alpha as an administrator does on the Users page, and returns its id.</summary>
    private async Task<string> CreateUserAsAdminAsync(string role)
    {
        var result = await CreateUserAsAdminAsync(NewUserEmail, NewUserPassword, role);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors));
        return await UserIdAsync(NewUserEmail);
    }

    private async Task<Result> CreateUserAsAdminAsync(string email, string password, string role)
    {
        var alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        return await AsAdminAsync<UserAdministration, Result>(u => u.CreateAsync(new NewUser(email, "New Person", role, password, [alpha]), default));
    }

    /// <summary>Runs <paramref name="call"/> as the first administrator, in a scope of its own (as a page's call does).</summary>
    private async Task<T> AsAdminAsync<TService, T>(Func<TService, Task<T>> call) where TService : notnull
    {
        await using var scope = await Portal.AdminScopeAsync();
        return await call(scope.ServiceProvider.GetRequiredService<TService>());
    }

    private static Task<HttpResponseMessage> ChangePasswordAsync(PortalClient client, string current, string next) =>
        client.SubmitFormAsync("/account/password", new Dictionary<string, string>
        {
            ["Input.CurrentPassword"] = current, ["Input.NewPassword"] = next, ["Input.ConfirmPassword"] = next,
        }, "change-password");


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
