using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Projects;

namespace Poppy.Portal.Core.Features.Users;

/// <summary>Who is acting, in which project, with which colour scheme: what every portal page starts from.</summary>
/// <param name="Available">The projects the user may see (an API token's restriction already applied).</param>
/// <param name="Current">The project the pages work in: the one last chosen if still visible, else the first.</param>
public sealed record WorkingContext(Actor Actor, IReadOnlyList<ProjectSummary> Available, ProjectSummary? Current, string? ColorScheme)
{
    public static WorkingContext None { get; } = new(Actor.Anonymous, [], null, null);

    /// <summary>Whether the acting user may change things in the current project (Admin or Operator there).</summary>
    public bool MayChange => Current is not null && Actor.MayChange;
}

/// <summary>
/// What the portal remembers for the signed-in user across browsers and tabs: the project they work in and their
/// colour scheme. Kept with the account because an interactive page has no request (and no cookie) to keep it in.
/// </summary>
public sealed class UserPreferences(PortalDbContext db, AccessPolicy access, ProjectDirectory projects)
{
    public static readonly IReadOnlyList<string> ColorSchemes = ["light", "dark"];

    public async Task<WorkingContext> GetAsync(CancellationToken cancellationToken)
    {
        if (access.Actor is not { Kind: ActorKind.User, UserId: { } userId })
        {
            return WorkingContext.None with { Actor = access.Actor };
        }
        var available = await projects.ListVisibleAsync(cancellationToken);
        var saved = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.CurrentProjectId, u.ColorScheme }).FirstOrDefaultAsync(cancellationToken);
        var current = available.FirstOrDefault(p => p.Id == saved?.CurrentProjectId) ?? available.FirstOrDefault();
        return new WorkingContext(access.Actor, available, current, saved?.ColorScheme);
    }

    /// <summary>Makes <paramref name="projectId"/> the project the user works in; refused when they may not see it.</summary>
    public async Task SetCurrentProjectAsync(Guid projectId, CancellationToken cancellationToken)
    {
        var userId = RequireUser();
        if (!await access.CanSeeProjectAsync(projectId, cancellationToken))
        {
            throw new AccessDeniedException("You are not a member of that project.");
        }
        await db.Users.Where(u => u.Id == userId)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.CurrentProjectId, projectId), cancellationToken);
    }

    /// <summary>Remembers "light" or "dark"; null follows the browser.</summary>
    public async Task SetColorSchemeAsync(string? scheme, CancellationToken cancellationToken)
    {
        var userId = RequireUser();
        if (scheme is not null && !ColorSchemes.Contains(scheme))
        {
            throw new ArgumentException($"'{scheme}' is not a colour scheme; use light or dark.", nameof(scheme));
        }
        await db.Users.Where(u => u.Id == userId)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.ColorScheme, scheme), cancellationToken);
    }

    private string RequireUser() => access.Actor is { Kind: ActorKind.User, UserId: { } userId }
        ? userId
        : throw new AccessDeniedException("Sign in first.");
}
