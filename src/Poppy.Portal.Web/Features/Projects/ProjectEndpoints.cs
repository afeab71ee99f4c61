using Microsoft.AspNetCore.Mvc;
using Poppy.Portal.Core.Features.Access;
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
        [FromForm] Guid projectId, [FromForm] string? returnUrl, HttpContext context, AccessPolicy access, CancellationToken cancellationToken)
    {
        if (!await access.CanSeeProjectAsync(projectId, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "You are not a member of that project.");
        }

        context.Response.Cookies.Append(CurrentProject.CookieName, projectId.ToString(), new CookieOptions
        {
            HttpOnly = true,
            IsEssential = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            MaxAge = TimeSpan.FromDays(90),
        });
        return TypedResults.LocalRedirect(LocalUrl.OrRoot(returnUrl));
    }
}
