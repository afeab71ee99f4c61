using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Core.Features.Projects;

public sealed record ProjectSummary(Guid Id, string Name, string Description, int MemberCount);

/// <summary>Projects and who may see them. Administrators see every project; everyone else their memberships.</summary>
public sealed partial class ProjectDirectory(PortalDbContext db, AccessPolicy access, AuditLog auditLog, TimeProvider clock)
{
    /// <summary>Poppy's X-Project-ID pattern, kept URL- and header-safe.</summary>
    [GeneratedRegex(@"\A[a-zA-Z0-9_.-]{1,64}\z")]
    private static partial Regex ProjectNamePattern();

    public Task<IReadOnlyList<ProjectSummary>> ListAllAsync(CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        return SummarizeAsync(db.Projects, cancellationToken);
    }

    /// <summary>The projects the acting user may work in, by name (one, for a token restricted to it).</summary>
    public async Task<IReadOnlyList<ProjectSummary>> ListVisibleAsync(CancellationToken cancellationToken)
    {
        var visible = await access.VisibleProjectIdsAsync(cancellationToken);
        return await SummarizeAsync(visible is null ? db.Projects : db.Projects.Where(p => visible.Contains(p.Id)), cancellationToken);
    }

    private static async Task<IReadOnlyList<ProjectSummary>> SummarizeAsync(IQueryable<Project> selection, CancellationToken cancellationToken) =>
        await selection.AsNoTracking()
            .OrderBy(p => p.Name)
            .Select(p => new ProjectSummary(p.Id, p.Name, p.Description, p.Members.Count))
            .ToListAsync(cancellationToken);

    /// <summary>A project the actor may see, by name; null for an unknown one and for one that is not theirs alike.</summary>
    public async Task<Project?> FindByNameAsync(string name, CancellationToken cancellationToken)
    {
        var project = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Name == name, cancellationToken);
        return project is not null && await access.CanSeeProjectAsync(project.Id, cancellationToken) ? project : null;
    }

    public async Task<(Project? Project, Result Result)> CreateAsync(string name, string description, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        name = name.Trim();
        if (!ProjectNamePattern().IsMatch(name))
        {
            return (null, Result.Fail("Name: 1–64 characters, letters, digits, '.', '_' or '-'."));
        }
        if (description.Length > 500)
        {
            return (null, Result.Fail("Description: at most 500 characters."));
        }
        if (await db.Projects.AnyAsync(p => p.Name == name, cancellationToken))
        {
            return (null, Result.Fail($"Name: a project named '{name}' already exists."));
        }

        var project = new Project
        {
            Id = Guid.NewGuid(),
            Name = name,
            Description = description.Trim(),
            CreatedAt = clock.GetUtcNow(),
        };
        db.Projects.Add(project);
        auditLog.Record(project.Id, AuditEntityTypes.Project, project.Id.ToString(), "create", $"Created project {project.Name}",
            after: new { project.Name, project.Description });
        await db.SaveChangesAsync(cancellationToken);
        return (project, Result.Ok);
    }
}
