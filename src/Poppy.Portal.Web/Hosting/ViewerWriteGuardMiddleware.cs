using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Hosting;

/// <summary>
/// Marks an endpoint or page that any signed-in user may post to, because it only touches their own
/// session or account (sign out, change password, switch project).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class SelfServiceAttribute : Attribute;

/// <summary>
/// Server-side rule that a Viewer changes nothing: every unsafe request (POST, PUT, PATCH, DELETE) from a signed-in
/// user who is neither Admin nor Operator is refused with 403, unless its endpoint is marked [SelfService].
/// New features are protected without having to remember it. The Blazor circuit's hub (<c>/_blazor</c>: negotiate,
/// the connection, disconnect) is let through: a Viewer's interactive pages need a circuit, and every change made in one
/// goes through the application services, which ask AccessPolicy.
/// </summary>
public sealed class ViewerWriteGuardMiddleware(RequestDelegate next)
{
    /// <summary>Where MapRazorComponents().AddInteractiveServerRenderMode() puts the circuit hub.</summary>
    private const string CircuitHubPath = "/_blazor";

    public Task InvokeAsync(HttpContext context)
    {
        var user = context.User;
        if (RequestKind.IsSafeMethod(context.Request.Method)
            || user.Identity?.IsAuthenticated != true
            || user.IsInRole(PortalRoles.Admin)
            || user.IsInRole(PortalRoles.Operator)
            || context.GetEndpoint()?.Metadata.GetMetadata<SelfServiceAttribute>() is not null
            || context.Request.Path.StartsWithSegments(CircuitHubPath))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }
}

public static class SelfServiceEndpointExtensions
{
    public static TBuilder AllowSelfService<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new SelfServiceAttribute());
}
