using Microsoft.AspNetCore.Components.Endpoints;
using Poppy.Portal.Core.Features.Projects;

namespace Poppy.Portal.Web.Features.Projects;

public sealed record ProjectContext(IReadOnlyList<ProjectSummary> Available, ProjectSummary? Current);

/// <summary>
/// The project the signed-in user is working in: the one chosen in the top-bar switcher (a cookie), but only if the
/// user may still see it; otherwise their first project. Pages and endpoints scope their data by it.
/// </summary>
public sealed class CurrentProject(IHttpContextAccessor httpContextAccessor, ProjectDirectory projects)
{
    public const string CookieName = "Poppy.Project";

    // One lookup per request, shared by every caller.
    private Task<ProjectContext>? resolving;

    public Task<ProjectContext> GetAsync(CancellationToken cancellationToken) => resolving ??= ResolveAsync(cancellationToken);

    private async Task<ProjectContext> ResolveAsync(CancellationToken cancellationToken)
    {
        var context = httpContextAccessor.HttpContext ?? throw new InvalidOperationException("No HTTP request in progress.");
        if (context.User.Identity?.IsAuthenticated != true)
        {
            return new ProjectContext([], null);
        }
        // The visible projects already honour an API token's restriction.
        var available = await projects.ListVisibleAsync(cancellationToken);
        var chosen = Guid.TryParse(context.Request.Cookies[CookieName], out var id) ? available.FirstOrDefault(p => p.Id == id) : null;
        return new ProjectContext(available, chosen ?? available.FirstOrDefault());
    }
}

/// <summary>
/// Resolves the current project before a page renders. Components render concurrently (a layout's async
/// initialisation does not hold back its page), and they share the request's DbContext, which allows one
/// operation at a time; loading it here leaves the layout nothing to query.
/// </summary>
public sealed class CurrentProjectMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, CurrentProject currentProject)
    {
        if (context.User.Identity?.IsAuthenticated == true && context.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is not null)
        {
            await currentProject.GetAsync(context.RequestAborted);
        }
        await next(context);
    }
}
