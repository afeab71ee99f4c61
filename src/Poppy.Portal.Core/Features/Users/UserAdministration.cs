using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Projects;

namespace Poppy.Portal.Core.Features.Users;

public sealed record UserSummary(
    string Id, string Email, string DisplayName, string Role, bool IsDisabled, bool IsLockedOut, IReadOnlyList<string> Projects);

public sealed record NewUser(string Email, string DisplayName, string Role, string Password, IReadOnlyCollection<Guid> ProjectIds);

/// <summary>What the audit log keeps of an account: never its password hash, security stamp or tokens.</summary>
public sealed record UserAuditSnapshot(string Email, string DisplayName, string Role, IReadOnlyList<string> Projects, bool Disabled, bool LockedOut)
{
    public static UserAuditSnapshot Of(UserSummary user) =>
        new(user.Email, user.DisplayName, user.Role, user.Projects, user.IsDisabled, user.IsLockedOut);
}

/// <summary>
/// What administrators do to accounts: create, disable, set the role and project membership. Each change is one
/// transaction that also holds its audit entry; a change that alters nothing records nothing.
/// </summary>
public sealed class UserAdministration(
    UserManager<PortalUser> users, PortalDbContext db, AccessPolicy access, AuditLog auditLog, TimeProvider clock)
{
    public Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        return SummarizeAsync(db.Users, cancellationToken);
    }

    public async Task<UserSummary?> FindAsync(string id, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        return (await SummarizeAsync(db.Users.Where(u => u.Id == id), cancellationToken)).SingleOrDefault();
    }

    private async Task<IReadOnlyList<UserSummary>> SummarizeAsync(IQueryable<PortalUser> selection, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var selected = await selection.AsNoTracking()
            .Include(u => u.Memberships).ThenInclude(m => m.Project)
            .OrderBy(u => u.Email)
            .ToListAsync(cancellationToken);
        var roles = await (from userRole in db.UserRoles
                           join role in db.Roles on userRole.RoleId equals role.Id
                           where selection.Any(u => u.Id == userRole.UserId)
                           select new { userRole.UserId, role.Name })
            .ToDictionaryAsync(x => x.UserId, x => x.Name ?? PortalRoles.Viewer, cancellationToken);
        return selected.Select(u => new UserSummary(
                u.Id, u.Email ?? "", u.DisplayName, roles.GetValueOrDefault(u.Id, PortalRoles.Viewer), u.IsDisabled,
                u.LockoutEnd is { } end && end > now,
                u.Memberships.Select(m => m.Project.Name).Order(StringComparer.Ordinal).ToList()))
            .ToList();
    }

    public async Task<Result> CreateAsync(NewUser request, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        if (!PortalRoles.IsKnown(request.Role))
        {
            return Result.Fail($"Unknown role '{request.Role}'.");
        }
        var projects = await ProjectNamesAsync(request.ProjectIds, cancellationToken);
        if (projects is null)
        {
            return Result.Fail(UnknownProject);
        }

        return await AccountChangeTransaction.RunAsync(db, async () =>
        {
            var user = new PortalUser
            {
                UserName = request.Email.Trim(),
                Email = request.Email.Trim(),
                EmailConfirmed = true,
                DisplayName = request.DisplayName.Trim(),
                CreatedAt = clock.GetUtcNow(),
                LockoutEnabled = true,
            };
            var names = projects.Values.Order(StringComparer.Ordinal).ToList();
            // Recorded first, so Identity's own SaveChanges stores the entry together with the new account.
            auditLog.Record(null, AuditEntityTypes.User, user.Id, "create",
                $"Created user {user.Email} ({request.Role}) in {ProjectList(names)}",
                after: new UserAuditSnapshot(user.Email, user.DisplayName, request.Role, names, Disabled: false, LockedOut: false));

            var created = await users.CreateAsync(user, request.Password);
            if (!created.Succeeded)
            {
                return Result.From(created);
            }
            var roleAdded = await users.AddToRoleAsync(user, request.Role);
            if (!roleAdded.Succeeded)
            {
                return Result.From(roleAdded);
            }
            AddMemberships(user.Id, projects.Keys);
            await db.SaveChangesAsync(cancellationToken);
            return Result.Ok;
        }, cancellationToken);
    }

    public async Task<Result> SetRoleAsync(string userId, string role, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        if (!PortalRoles.IsKnown(role))
        {
            return Result.Fail($"Unknown role '{role}'.");
        }

        return await AccountChangeTransaction.RunAsync(db, async () =>
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null)
            {
                return Result.Fail(NoSuchUser);
            }
            var current = await users.GetRolesAsync(user);
            if (current.SequenceEqual([role]))
            {
                return Result.Ok;
            }
            if (current.Contains(PortalRoles.Admin) && role != PortalRoles.Admin && await IsLastActiveAdminAsync(user, cancellationToken))
            {
                return Result.Fail("This is the last active administrator; make another user Admin first.");
            }

            var before = await SnapshotAsync(userId, cancellationToken);
            auditLog.Record(null, AuditEntityTypes.User, userId, "set-role",
                $"Changed the role of {user.Email} from {before.Role} to {role}", before, before with { Role = role });
            var removed = await users.RemoveFromRolesAsync(user, current);
            if (!removed.Succeeded)
            {
                return Result.From(removed);
            }
            var added = await users.AddToRoleAsync(user, role);
            // A new stamp makes the user's open sessions pick up the new role at their next validation.
            return added.Succeeded ? Result.From(await users.UpdateSecurityStampAsync(user)) : Result.From(added);
        }, cancellationToken);
    }

    public Task<Result> SetDisabledAsync(string userId, bool disabled, CancellationToken cancellationToken) =>
        AsAdmin(() => AccountChangeTransaction.RunAsync(db, async () =>
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null)
            {
                return Result.Fail(NoSuchUser);
            }
            if (user.IsDisabled == disabled)
            {
                return Result.Ok;
            }
            if (disabled && await users.IsInRoleAsync(user, PortalRoles.Admin) && await IsLastActiveAdminAsync(user, cancellationToken))
            {
                return Result.Fail("This is the last active administrator; it cannot be disabled.");
            }

            var before = await SnapshotAsync(userId, cancellationToken);
            auditLog.Record(null, AuditEntityTypes.User, userId, disabled ? "disable" : "enable",
                $"{(disabled ? "Disabled" : "Enabled")} user {user.Email}", before, before with { Disabled = disabled });
            user.IsDisabled = disabled;
            var updated = await users.UpdateAsync(user);
            return updated.Succeeded ? Result.From(await users.UpdateSecurityStampAsync(user)) : Result.From(updated);
        }, cancellationToken));

    /// <summary>Lifts a lockout caused by repeated failed sign-ins.</summary>
    public Task<Result> UnlockAsync(string userId, CancellationToken cancellationToken) =>
        AsAdmin(() => AccountChangeTransaction.RunAsync(db, async () =>
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null)
            {
                return Result.Fail(NoSuchUser);
            }

            var before = await SnapshotAsync(userId, cancellationToken);
            auditLog.Record(null, AuditEntityTypes.User, userId, "unlock", $"Unlocked user {user.Email}", before, before with { LockedOut = false });
            var unlocked = await users.SetLockoutEndDateAsync(user, null);
            return unlocked.Succeeded ? Result.From(await users.ResetAccessFailedCountAsync(user)) : Result.From(unlocked);
        }, cancellationToken));

    private Task<Result> AsAdmin(Func<Task<Result>> change)
    {
        access.RequireGlobalAdmin();
        return change();
    }

    /// <summary>Makes the user a member of exactly these projects.</summary>
    public async Task<Result> SetProjectsAsync(string userId, IReadOnlyCollection<Guid> projectIds, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var projects = await ProjectNamesAsync(projectIds, cancellationToken);
        if (projects is null)
        {
            return Result.Fail(UnknownProject);
        }

        return await AccountChangeTransaction.RunAsync(db, async () =>
        {
            var summary = await FindAsync(userId, cancellationToken);
            if (summary is null)
            {
                return Result.Fail(NoSuchUser);
            }
            var before = UserAuditSnapshot.Of(summary);
            var after = before with { Projects = projects.Values.Order(StringComparer.Ordinal).ToList() };
            if (before.Projects.SequenceEqual(after.Projects, StringComparer.Ordinal))
            {
                return Result.Ok;
            }

            auditLog.Record(null, AuditEntityTypes.User, userId, "set-projects",
                $"Set the projects of {summary.Email} to {ProjectList(after.Projects)}", before, after);
            var existing = await db.ProjectMemberships.Where(m => m.UserId == userId).ToListAsync(cancellationToken);
            db.ProjectMemberships.RemoveRange(existing.Where(m => !projects.ContainsKey(m.ProjectId)));
            AddMemberships(userId, projects.Keys.Where(id => existing.All(m => m.ProjectId != id)));
            await db.SaveChangesAsync(cancellationToken);
            return Result.Ok;
        }, cancellationToken);
    }

    private const string NoSuchUser = "No such user.";
    private const string UnknownProject = "One of the selected projects does not exist.";

    /// <summary>The named projects by id, or null when one of the ids is not a project.</summary>
    private async Task<Dictionary<Guid, string>?> ProjectNamesAsync(IReadOnlyCollection<Guid> projectIds, CancellationToken cancellationToken)
    {
        var wanted = projectIds.Distinct().ToList();
        var known = await db.Projects.Where(p => wanted.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Name, cancellationToken);
        return known.Count == wanted.Count ? known : null;
    }

    private void AddMemberships(string userId, IEnumerable<Guid> projectIds)
    {
        var now = clock.GetUtcNow();
        foreach (var projectId in projectIds)
        {
            db.ProjectMemberships.Add(new ProjectMembership { ProjectId = projectId, UserId = userId, AddedAt = now });
        }
    }

    private async Task<UserAuditSnapshot> SnapshotAsync(string userId, CancellationToken cancellationToken) =>
        UserAuditSnapshot.Of(await FindAsync(userId, cancellationToken) ?? throw new InvalidOperationException($"User {userId} vanished."));

    private static string ProjectList(IReadOnlyList<string> names) => names.Count == 0 ? "no project" : string.Join(", ", names);

    private async Task<bool> IsLastActiveAdminAsync(PortalUser user, CancellationToken cancellationToken)
    {
        var admins = await users.GetUsersInRoleAsync(PortalRoles.Admin);
        return admins.Count(a => !a.IsDisabled && a.Id != user.Id) == 0;
    }
}
