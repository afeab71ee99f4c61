using System.Reflection;
using System.Text.Json;

namespace Poppy.Portal.Web.Api;

/// <summary>What a Poppy API route needs resolved before its handler runs (see <see cref="ApiRequest"/>).</summary>
[Flags]
public enum ApiNeeds
{
    None = 0,

    /// <summary>The tenant, from <c>X-Project-ID</c>: 400 when missing, 403 when not the caller's.</summary>
    Project = 1,

    /// <summary>The <c>{id}</c> route value as a service id: 400 "Invalid service id" otherwise.</summary>
    ServiceId = 2,

    /// <summary>The JSON body, read within the API's limits (<see cref="JsonBody"/>): 4xx with a message otherwise.</summary>
    Body = 4,
}

/// <summary>
/// The project, service id and body of a Poppy API request, resolved once by the route's filter
/// (<see cref="ApiRequestFilter.Resolves{TBuilder}"/>) in that order, so every handler answers a missing project, a bad id
/// or a hostile body alike and starts from values it can use. A handler takes it as a parameter.
/// </summary>
public sealed class ApiRequest
{
    private static readonly object Key = new();

    private ApiProject? project;
    private Guid? serviceId;
    private JsonElement? body;

    public ApiProject Project => project ?? throw NotResolved(ApiNeeds.Project);

    public Guid ServiceId => serviceId ?? throw NotResolved(ApiNeeds.ServiceId);

    /// <summary>The parsed body; the document is disposed with the response.</summary>
    public JsonElement Body => body ?? throw NotResolved(ApiNeeds.Body);

    /// <summary>
    /// Minimal APIs bind parameters before endpoint filters run: binding hands the handler this (still empty) instance,
    /// and the filter fills the same one from the request's items.
    /// </summary>
    public static ValueTask<ApiRequest?> BindAsync(HttpContext context, ParameterInfo parameter) => ValueTask.FromResult<ApiRequest?>(For(context));

    internal static ApiRequest For(HttpContext context)
    {
        if (context.Items[Key] is not ApiRequest request)
        {
            context.Items[Key] = request = new ApiRequest();
        }
        return request;
    }

    /// <summary>Resolves what <paramref name="needs"/> names; the refusal to answer with, or null.</summary>
    internal async Task<IResult?> ResolveAsync(HttpContext context, ApiNeeds needs)
    {
        var cancellationToken = context.RequestAborted;
        if (needs.HasFlag(ApiNeeds.Project))
        {
            var (resolved, error) = await ApiProject.ResolveAsync(context, cancellationToken);
            if (error is not null)
            {
                return error;
            }
            project = resolved;
        }
        if (needs.HasFlag(ApiNeeds.ServiceId))
        {
            if (!Guid.TryParse(context.Request.RouteValues["id"]?.ToString(), out var id))
            {
                return ApiResults.BadRequest("Invalid service id");
            }
            serviceId = id;
        }
        if (needs.HasFlag(ApiNeeds.Body))
        {
            var (document, error) = await JsonBody.ReadAsync(context.Request, cancellationToken);
            if (document is null)
            {
                return error;
            }
            context.Response.RegisterForDispose(document);
            body = document.RootElement;
        }
        return null;
    }

    private static InvalidOperationException NotResolved(ApiNeeds what) =>
        new($"The route does not resolve {what}: add it to its .Resolves(...) filter.");
}

public static class ApiRequestFilter
{
    /// <summary>Resolves <paramref name="needs"/> before the handler runs, answering the refusal itself when one fails.</summary>
    public static TBuilder Resolves<TBuilder>(this TBuilder builder, ApiNeeds needs) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) =>
            await ApiRequest.For(invocation.HttpContext).ResolveAsync(invocation.HttpContext, needs) ?? await next(invocation));
}
