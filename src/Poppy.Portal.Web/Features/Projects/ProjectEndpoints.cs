using Microsoft.AspNetCore.Mvc;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Features.Projects;

public static class ProjectEndpoints
{
    public const string SwitchPath = "/ui/projects/switch";

    public static IEndpointRouteBuilder MapProjectEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // A plain form post from the top-bar switcher (antiforgery-checked), answered with a redirect back.
        endpoints.MapPost(SwitchPath, SwitchAsync).AllowSelfService();
        return endpoints;
    }

    private static async Task<IResult> SwitchAsync(
        [FromForm] Guid projectId, [FromForm] string? returnUrl, UserPreferences preferences, CancellationToken cancellationToken)
    {
        // Refused (403 with its message) when the user may not see the project.
        await preferences.SetCurrentProjectAsync(projectId, cancellationToken);
        return TypedResults.LocalRedirect(LocalUrl.OrRoot(returnUrl));
    }
}
