using Microsoft.AspNetCore.Components.Endpoints;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Features.Projects;

public sealed record ProjectContext(IReadOnlyList<ProjectSummary> Available, ProjectSummary? Current);

/// <summary>
/// The project the signed-in user is working in, for a request: the one they chose last (kept with their account, see
/// <see cref="UserPreferences"/>), if they may still see it; otherwise their first project.
/// </summary>
public sealed class CurrentProject(UserPreferences preferences)
{
    // One lookup per request, shared by every caller.
    private Task<ProjectContext>? resolving;

    public Task<ProjectContext> GetAsync(CancellationToken cancellationToken) => resolving ??= ResolveAsync(cancellationToken);

    private async Task<ProjectContext> ResolveAsync(CancellationToken cancellationToken)
    {
        var working = await preferences.GetAsync(cancellationToken);
        return new ProjectContext(working.Available, working.Current);
    }
}

/// <summary>
/// Resolves the current project before a statically rendered page renders. Components render concurrently (a layout's
/// async initialisation does not hold back its page), and they share the request's DbContext, which allows one
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
