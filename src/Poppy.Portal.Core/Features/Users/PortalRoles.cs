namespace Poppy.Portal.Core.Features.Users;

/// <summary>The three portal roles. A user holds exactly one of them.</summary>
public static class PortalRoles
{
    /// <summary>Account administrator: manages users, projects and everything operators can do, in every project.</summary>
    public const string Admin = "Admin";

    /// <summary>Changes services, providers and DNS in the projects they belong to.</summary>
    public const string Operator = "Operator";

    /// <summary>Reads everything in the projects they belong to; changes nothing.</summary>
    public const string Viewer = "Viewer";

    public static readonly IReadOnlyList<string> All = [Admin, Operator, Viewer];

    /// <summary>Roles allowed to change project data (comma-separated, as <c>[Authorize(Roles=…)]</c> takes it).</summary>
    public const string Writers = Admin + "," + Operator;

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}
