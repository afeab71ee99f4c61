using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Projects;

namespace Poppy.Portal.Core.Features.Users;

public sealed record UserSummary(
    string Id, string Email, string DisplayName, string Role, bool IsDisabled, bool IsLockedOut, IReadOnlyList<string> Projects);

public sealed record NewUser(string Email, string DisplayName, string Role, string Password, IReadOnlyCollection<Guid> ProjectIds);

/// <summary>What administrators do to accounts: create, disable, set the role and project membership.</summary>
public sealed class UserAdministration(
    UserManager<PortalUser> users, PortalDbContext db, TimeProvider clock)
{
    public Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken cancellationToken) =>
        SummarizeAsync(db.Users, cancellationToken);

    public async Task<UserSummary?> FindAsync(string id, CancellationToken cancellationToken) =>
        (await SummarizeAsync(db.Users.Where(u => u.Id == id), cancellationToken)).SingleOrDefault();

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
        if (!PortalRoles.IsKnown(request.Role))
        {
            return Result.Fail($"Unknown role '{request.Role}'.");
        }

        var user = new PortalUser
        {
            UserName = request.Email.Trim(),
            Email = request.Email.Trim(),
            EmailConfirmed = true,
            DisplayName = request.DisplayName.Trim(),
            CreatedAt = clock.GetUtcNow(),
            LockoutEnabled = true,
        };
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

        await SetProjectsAsync(user.Id, request.ProjectIds, cancellationToken);
        return Result.Ok;
    }

    public async Task<Result> SetRoleAsync(string userId, string role, CancellationToken cancellationToken)
    {
        if (!PortalRoles.IsKnown(role))
        {
            return Result.Fail($"Unknown role '{role}'.");
        }
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return Result.Fail("No such user.");
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

        var removed = await users.RemoveFromRolesAsync(user, current);
        if (!removed.Succeeded)
        {
            return Result.From(removed);
        }
        var added = await users.AddToRoleAsync(user, role);
        // A new stamp makes the user's open sessions pick up the new role at their next validation.
        return added.Succeeded ? Result.From(await users.UpdateSecurityStampAsync(user)) : Result.From(added);
    }

    public async Task<Result> SetDisabledAsync(string userId, bool disabled, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return Result.Fail("No such user.");
        }
        if (disabled && await users.IsInRoleAsync(user, PortalRoles.Admin) && await IsLastActiveAdminAsync(user, cancellationToken))
        {
            return Result.Fail("This is the last active administrator; it cannot be disabled.");
        }

        user.IsDisabled = disabled;
        var updated = await users.UpdateAsync(user);
        return updated.Succeeded ? Result.From(await users.UpdateSecurityStampAsync(user)) : Result.From(updated);
    }

    /// <summary>Lifts a lockout caused by repeated failed sign-ins.</summary>
    public async Task<Result> UnlockAsync(string userId)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return Result.Fail("No such user.");
        }
        var unlocked = await users.SetLockoutEndDateAsync(user, null);
        return unlocked.Succeeded ? Result.From(await users.ResetAccessFailedCountAsync(user)) : Result.From(unlocked);
    }

    /// <summary>Makes the user a member of exactly these projects.</summary>
    public async Task<Result> SetProjectsAsync(string userId, IReadOnlyCollection<Guid> projectIds, CancellationToken cancellationToken)
    {
        var existing = await db.ProjectMemberships.Where(m => m.UserId == userId).ToListAsync(cancellationToken);
        var known = await db.Projects.Where(p => projectIds.Contains(p.Id)).Select(p => p.Id).ToListAsync(cancellationToken);
        if (known.Count != projectIds.Distinct().Count())
        {
            return Result.Fail("One of the selected projects does not exist.");
        }

        db.ProjectMemberships.RemoveRange(existing.Where(m => !known.Contains(m.ProjectId)));
        var now = clock.GetUtcNow();
        foreach (var projectId in known.Where(id => existing.All(m => m.ProjectId != id)))
        {
            db.ProjectMemberships.Add(new ProjectMembership { ProjectId = projectId, UserId = userId, AddedAt = now });
        }
        await db.SaveChangesAsync(cancellationToken);
        return Result.Ok;
    }

    private async Task<bool> IsLastActiveAdminAsync(PortalUser user, CancellationToken cancellationToken)
    {
        var admins = await users.GetUsersInRoleAsync(PortalRoles.Admin);
        return admins.Count(a => !a.IsDisabled && a.Id != user.Id) == 0;
    }
}
