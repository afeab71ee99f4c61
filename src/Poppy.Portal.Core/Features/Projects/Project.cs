using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Core.Features.Projects;

/// <summary>A tenant: every service, provider account and DNS zone belongs to exactly one project (Poppy's X-Project-ID).</summary>
public sealed class Project
{
    public Guid Id { get; set; }

    /// <summary>Unique, URL-safe name; this is what API callers send as X-Project-ID.</summary>
    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public List<ProjectMembership> Members { get; set; } = [];
}

/// <summary>Links a user to a project they may see (and, as Operator or Admin, change).</summary>
public sealed class ProjectMembership
{
    public Guid ProjectId { get; set; }
    public Project Project { get; set; } = null!;

    public string UserId { get; set; } = "";
    public PortalUser User { get; set; } = null!;

    public DateTimeOffset AddedAt { get; set; }
}
