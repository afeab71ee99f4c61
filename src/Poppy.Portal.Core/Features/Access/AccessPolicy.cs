using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;

namespace Poppy.Portal.Core.Features.Access;

/// <summary>What an actor wants to do in a project.</summary>
public enum ProjectRight
{
    /// <summary>See its services, jobs, progress and audit entries: every member.</summary>
    Read,

    /// <summary>Create, change, purge, delete and retry: Admins and Operators who are members.</summary>
    Change,

    /// <summary>Overrides and limits: Admins.</summary>
    Administer,
}

/// <summary>
/// The one place that decides who may do what. Every application service asks it before it reads or changes anything,
/// whatever called the service (the REST API, a page, a circuit, a tool), so no HTTP middleware has to be remembered.
/// Projects: admins see all of them, everyone else their memberships; an API token restricted to one project narrows
/// either to that project alone.
/// </summary>
public sealed class AccessPolicy(PortalDbContext db, ICurrentActor current)
{
    public Actor Actor => current.Actor;

    /// <summary>The projects the actor may see; null means every project (an unrestricted admin, or the system).</summary>
    public async Task<IReadOnlyCollection<Guid>?> VisibleProjectIdsAsync(CancellationToken cancellationToken)
    {
        var actor = Actor;
        switch (actor.Kind)
        {
            case ActorKind.System:
                return null;
            case ActorKind.Anonymous:
                return [];
        }
        if (actor.IsAdmin)
        {
            return actor.TokenProjectId is { } only ? [only] : null;
        }
        var memberships = db.ProjectMemberships.Where(m => m.UserId == actor.UserId);
        if (actor.TokenProjectId is { } restricted)
        {
            memberships = memberships.Where(m => m.ProjectId == restricted);
        }
        return await memberships.Select(m => m.ProjectId).ToListAsync(cancellationToken);
    }

    public async Task<bool> CanSeeProjectAsync(Guid projectId, CancellationToken cancellationToken)
    {
        var actor = Actor;
        if (actor.Kind == ActorKind.Anonymous || (actor.TokenProjectId is { } restricted && restricted != projectId))
        {
            return false;
        }
        if (actor.IsAdmin)
        {
            return await db.Projects.AnyAsync(p => p.Id == projectId, cancellationToken);
        }
        return await db.ProjectMemberships.AnyAsync(m => m.UserId == actor.UserId && m.ProjectId == projectId, cancellationToken);
    }

    /// <summary>Refuses unless the actor may do <paramref name="right"/> in the project.</summary>
    public async Task RequireProjectAsync(Guid projectId, ProjectRight right, CancellationToken cancellationToken)
    {
        if (!await CanSeeProjectAsync(projectId, cancellationToken))
        {
            throw AccessDeniedException.Project(projectId.ToString());
        }
        RequireRole(right);
    }

    /// <summary>
    /// The project named as API callers name it (<c>X-Project-ID</c>), when the actor may see it; the same refusal for
    /// "no such project" and "not yours".
    /// </summary>
    public async Task<(Guid Id, string Name)> RequireProjectByNameAsync(string name, ProjectRight right, CancellationToken cancellationToken)
    {
        var project = await db.Projects.AsNoTracking().Where(p => p.Name == name).Select(p => new { p.Id, p.Name }).FirstOrDefaultAsync(cancellationToken);
        if (project is null || !await CanSeeProjectAsync(project.Id, cancellationToken))
        {
            throw AccessDeniedException.Project(name);
        }
        RequireRole(right);
        return (project.Id, project.Name);
    }

    public void RequireSignedIn()
    {
        if (!Actor.IsSignedIn)
        {
            throw new AccessDeniedException("Sign in first.");
        }
    }

    /// <summary>Users, projects, flavors and provider accounts: admins whose token is not restricted to a project.</summary>
    public void RequireGlobalAdmin()
    {
        var actor = Actor;
        if (!actor.IsGlobalAdmin)
        {
            throw new AccessDeniedException(actor.IsAdmin
                ? "A token restricted to one project cannot administer what belongs to no project."
                : "Only an administrator may do this.");
        }
    }

    /// <summary>What only a user does for themself (a password, a new token); also the system, for the command line.</summary>
    public void RequireSelf(string userId)
    {
        if (!IsSelf(userId) && Actor.Kind != ActorKind.System)
        {
            throw new AccessDeniedException("You may only do this for your own account.");
        }
    }

    /// <summary>A user's own things that an administrator may also see or end (tokens): that user, or an administrator.</summary>
    public void RequireSelfOrGlobalAdmin(string userId)
    {
        if (!IsSelf(userId) && !Actor.IsGlobalAdmin)
        {
            throw new AccessDeniedException("You may only do this for your own account.");
        }
    }

    private bool IsSelf(string userId) => Actor is { Kind: ActorKind.User } actor && actor.UserId == userId;

    private void RequireRole(ProjectRight right)
    {
        var actor = Actor;
        switch (right)
        {
            case ProjectRight.Change when !actor.MayChange:
                throw new AccessDeniedException("Your role does not allow changes: Viewers only read.");
            case ProjectRight.Administer when !actor.IsAdmin:
                throw new AccessDeniedException("Only an administrator may do this.");
        }
    }
}
