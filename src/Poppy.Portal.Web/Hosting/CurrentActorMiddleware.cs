using System.Security.Claims;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.ApiTokens;

namespace Poppy.Portal.Web.Hosting;

/// <summary>Who a signed-in principal (a sign-in cookie or an API token) is, as the application services see it.</summary>
public static class PrincipalActor
{
    public static Actor From(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true || user.FindFirstValue(ClaimTypes.NameIdentifier) is not { } userId)
        {
            return Actor.Anonymous;
        }
        var name = user.FindFirstValue(ClaimTypes.Email) ?? user.Identity.Name ?? userId;
        // A user holds one role; were a principal to carry several, the strongest counts.
        var role = PortalRoles.All.FirstOrDefault(user.IsInRole);
        return ApiTokenClaims.IsApiToken(user)
            ? Actor.ApiToken(userId, name, role, ApiTokenClaims.RestrictedProject(user)?.Id)
            : Actor.User(userId, name, role);
    }
}

/// <summary>Fills the request's <see cref="CurrentActor"/> from the authenticated principal, right after authentication.</summary>
public sealed class CurrentActorMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context, CurrentActor actor)
    {
        actor.Set(PrincipalActor.From(context.User));
        return next(context);
    }
}
