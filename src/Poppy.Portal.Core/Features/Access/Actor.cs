using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Core.Features.Access;

public enum ActorKind
{
    /// <summary>No one signed in: may read nothing and change nothing.</summary>
    Anonymous,

    /// <summary>A portal user, through a sign-in cookie, an API token or an interactive circuit.</summary>
    User,

    /// <summary>The portal itself: background jobs, start-up seeding, the command line. Unrestricted.</summary>
    System,
}

/// <summary>
/// Who is acting, as the application services see it. The web host builds it from a cookie, an API token or a circuit's
/// authentication state; jobs and tools use <see cref="System"/>. Memberships are not carried here: they are read from
/// the database when a check needs them, so a membership removed a second ago no longer counts.
/// </summary>
/// <param name="Name">What the audit log records as the actor (the user's e-mail, or a tool's name).</param>
/// <param name="ViaApiToken">Whether the user acts through an API token (which may not mint further tokens).</param>
/// <param name="TokenProjectId">The one project an API token is restricted to; it narrows what the role allows.</param>
public sealed record Actor(ActorKind Kind, string? UserId, string Name, string? Role, bool ViaApiToken = false, Guid? TokenProjectId = null)
{
    public static Actor Anonymous { get; } = new(ActorKind.Anonymous, null, "anonymous", null);

    public static Actor System(string name = "system") => new(ActorKind.System, null, name, null);

    public static Actor User(string userId, string name, string? role) => new(ActorKind.User, userId, name, role);

    public static Actor ApiToken(string userId, string name, string? role, Guid? restrictedToProject) =>
        new(ActorKind.User, userId, name, role, ViaApiToken: true, restrictedToProject);

    public bool IsSignedIn => Kind != ActorKind.Anonymous;

    public bool IsAdmin => Kind == ActorKind.System || (Kind == ActorKind.User && Role == PortalRoles.Admin);

    /// <summary>Admins and Operators change project data; Viewers only read.</summary>
    public bool MayChange => IsAdmin || (Kind == ActorKind.User && Role == PortalRoles.Operator);

    /// <summary>
    /// Administration of what belongs to no project (users, projects, flavors, provider accounts): an admin whose token is
    /// restricted to one project acts only in it, so it may not.
    /// </summary>
    public bool IsGlobalAdmin => IsAdmin && TokenProjectId is null;
}
