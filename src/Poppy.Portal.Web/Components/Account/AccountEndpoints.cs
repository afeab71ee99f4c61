using Microsoft.AspNetCore.Identity;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Components.Account;

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // A form post (antiforgery-checked): a link could be triggered by another site, a post from here cannot.
        endpoints.MapPost("/account/logout", async (SignInManager<PortalUser> signInManager) =>
            {
                await signInManager.SignOutAsync();
                return TypedResults.LocalRedirect("/account/login");
            })
            .AllowSelfService()
            .DisableAntiforgery()
            .AddEndpointFilter(ValidateAntiforgeryAsync);
        return endpoints;
    }

    // Minimal APIs check antiforgery only for bound form parameters; logout has none, so check it here.
    private static async ValueTask<object?> ValidateAntiforgeryAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var antiforgery = context.HttpContext.RequestServices.GetRequiredService<Microsoft.AspNetCore.Antiforgery.IAntiforgery>();
        if (!await antiforgery.IsRequestValidAsync(context.HttpContext))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The form has expired. Reload the page and try again.");
        }
        return await next(context);
    }
}
