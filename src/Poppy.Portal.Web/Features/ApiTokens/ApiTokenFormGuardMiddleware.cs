using Microsoft.AspNetCore.Antiforgery;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Features.ApiTokens;

/// <summary>
/// The portal's forms are for people signed in with the cookie. An API token could read a page, take its antiforgery
/// token and post the form back, which would let a token restricted to one project (or one about to expire) create an
/// unrestricted, never-expiring token, or act on admin pages outside its project. So a token may read pages but not
/// submit a form (any endpoint that requires antiforgery); everything else, the API above all, is unaffected.
/// </summary>
public sealed class ApiTokenFormGuardMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!RequestKind.IsSafeMethod(context.Request.Method)
            && ApiTokenClaims.IsApiToken(context.User)
            && context.GetEndpoint()?.Metadata.GetMetadata<IAntiforgeryMetadata>() is { RequiresValidation: true })
        {
            return ApiTokenAuthentication.WriteMessageAsync(context.Response, StatusCodes.Status403Forbidden,
                "API tokens cannot submit the portal's forms. Use the API, or sign in to the portal.");
        }
        return next(context);
    }
}
