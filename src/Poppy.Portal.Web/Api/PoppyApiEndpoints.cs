using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Api;

/// <summary>
/// OpenStack Poppy's v1.0 REST API over the portal's application services: same paths, status codes and bodies, with
/// Poppy's defects fixed (tenancy checked, PATCH limited to editable fields, stable paging, 404 for unknown flavors).
/// </summary>
public static class PoppyApiEndpoints
{
    public const string Prefix = "/v1.0";

    public static void MapPoppyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix).WithTags("Poppy v1.0");
        api.MapGet("/", JsonHome).WithSummary("JSON-Home document listing the API's resources.");
        api.MapGet("/ping", PingAsync).AllowAnonymous().WithSummary("204 when the portal and its database answer, else 503.");
        api.MapGet("/health", HealthAsync).WithSummary("Health of storage and each provider account.");
        api.MapGet("/health/{component}/{name}", ComponentHealthAsync).WithSummary("Health of one component: storage/database or provider/{name}.");

        api.MapFlavorApi();

        // Each route resolves its project (X-Project-ID), service id and body once, before its handler (ApiRequest).
        var services = api.MapGroup("/services");
        services.MapGet("/", ListServicesAsync).Resolves(ApiNeeds.Project)
            .WithSummary("Services of the project, in creation order, with marker/limit paging.");
        services.MapPost("/", CreateServiceAsync).Resolves(ApiNeeds.Project | ApiNeeds.Body)
            .WithSummary("Creates a service: 202 with Location; provisioning follows.");
        services.MapGet("/{id}", GetServiceAsync).Resolves(ApiNeeds.Project | ApiNeeds.ServiceId).WithSummary("One service.");
        services.MapMethods("/{id}", [HttpMethods.Patch], PatchServiceAsync).Resolves(ApiNeeds.Project | ApiNeeds.ServiceId | ApiNeeds.Body)
            .WithSummary("RFC 6902 JSON Patch of a deployed or failed service.");
        services.MapDelete("/{id}", DeleteServiceAsync).Resolves(ApiNeeds.Project | ApiNeeds.ServiceId)
            .WithSummary("Deletes a service from every provider: 202.");
        services.MapDelete("/{id}/assets", PurgeAsync).Resolves(ApiNeeds.Project | ApiNeeds.ServiceId)
            .WithSummary("Purges a URL (url=) or everything (all=true), hard (default) or soft.");
        services.MapBenchmarkApi();
        services.MapSteeringApi();

        // Admins here; the operations check again (a token restricted to a project acts only in it).
        var admin = api.MapGroup("/admin").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        admin.MapGet("/limits/{project}", GetLimitAsync).WithSummary("A project's service limit.");
        admin.MapPut("/limits/{project}", SetLimitAsync).Resolves(ApiNeeds.Body).WithSummary("Sets a project's service limit: {\"limit\": n}.");
        admin.MapPost("/services/status", SetServiceStatusAsync).Resolves(ApiNeeds.Body).WithSummary("Marks a service deployed or failed.");
        admin.MapPost("/services/abandon", AbandonRemovalAsync).Resolves(ApiNeeds.Body)
            .WithSummary("Removes a service from one provider without the vendor, after its removal there failed: {\"project_id\", \"service_id\", \"provider\", \"reason\"}.");
    }

    /// <summary>Links and Location headers are on the configured public address, never the request's Host header.</summary>
    private static string ApiBase(HttpRequest request) => request.HttpContext.RequestServices.GetRequiredService<PublicUrls>().Absolute(Prefix);

    private static IResult JsonHome(HttpRequest request)
    {
        static JsonObject Resource(string template, string[]? vars = null)
        {
            var resource = new JsonObject { ["href-template"] = template, ["hints"] = new JsonObject { ["allow"] = new JsonArray("GET"), ["formats"] = new JsonObject { ["application/json"] = new JsonObject() } } };
            if (vars is not null)
            {
                resource["href-vars"] = new JsonObject(vars.Select(v => KeyValuePair.Create(v, (JsonNode?)$"param/{v}")));
            }
            return resource;
        }
        var home = new JsonObject
        {
            ["resources"] = new JsonObject
            {
                ["rel/services"] = Resource("/v1.0/services{?marker,limit}", ["marker", "limit"]),
                ["rel/service"] = Resource("/v1.0/services/{service_id}", ["service_id"]),
                ["rel/service_benchmarks"] = Resource("/v1.0/services/{service_id}/benchmarks{?window}", ["service_id", "window"]),
                ["rel/flavors"] = Resource("/v1.0/flavors"),
                ["rel/flavor"] = Resource("/v1.0/flavors/{flavor_id}", ["flavor_id"]),
                ["rel/health"] = Resource("/v1.0/health"),
                ["rel/ping"] = Resource("/v1.0/ping"),
            },
        };
        return Results.Text(home.ToJsonString(), "application/json-home");
    }

    private static async Task<IResult> PingAsync(PortalDbContext db, CancellationToken cancellationToken) =>
        await IsDatabaseOnlineAsync(db, cancellationToken) ? Results.NoContent() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable);

    private static async Task<bool> IsDatabaseOnlineAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            return await db.HasSchemaAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Poppy's health document; "online" is a string there. Provider accounts report whether they are enabled.</summary>
    private static async Task<IResult> HealthAsync(HttpRequest request, PortalDbContext db, CancellationToken cancellationToken)
    {
        var databaseOnline = await IsDatabaseOnlineAsync(db, cancellationToken);
        var providers = databaseOnline
            ? await db.Set<Core.Features.Providers.ProviderAccount>().AsNoTracking().OrderBy(a => a.Name).Select(a => new { a.Name, a.IsEnabled }).ToListAsync(cancellationToken)
            : [];
        var apiBase = ApiBase(request);
        JsonObject Component(string kind, bool online, string name) => new()
        {
            ["online"] = online ? "true" : "false",
            ["links"] = new JsonObject { ["href"] = $"{apiBase}/health/{kind}/{name}", ["rel"] = "self" },
        };
        var body = new JsonObject
        {
            ["storage"] = new JsonObject { ["database"] = Component("storage", databaseOnline, "database") },
            ["providers"] = new JsonObject(providers.Select(p => KeyValuePair.Create(p.Name, (JsonNode?)Component("provider", p.IsEnabled, p.Name)))),
        };
        return Results.Json(body, statusCode: databaseOnline ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> ComponentHealthAsync(string component, string name, PortalDbContext db, CancellationToken cancellationToken)
    {
        bool? online = component switch
        {
            "storage" when name == "database" => await IsDatabaseOnlineAsync(db, cancellationToken),
            "provider" => await db.Set<Core.Features.Providers.ProviderAccount>().Where(a => a.Name == name).Select(a => (bool?)a.IsEnabled).FirstOrDefaultAsync(cancellationToken),
            _ => null,
        };
        return online is null
            ? ApiResults.Message(StatusCodes.Status404NotFound, $"Unknown {component} '{name}'.")
            : Results.Json(new { online = online.Value ? "true" : "false" }, statusCode: online.Value ? 200 : 503);
    }

    private static async Task<Results<FileContentHttpResult, JsonHttpResult<ApiMessage>>> ListServicesAsync(ApiRequest api, HttpContext context,
        ServiceCatalog catalog, SteeringService steering, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var limit = ServiceLimits.DefaultServicesPerPage;
        if (query.ContainsKey("limit") && (!int.TryParse(query["limit"].ToString(), out limit) || limit < 1 || limit > ServiceLimits.MaxServicesPerPage))
        {
            return ApiResults.BadRequest($"Limit should be an integer from 1 to {ServiceLimits.MaxServicesPerPage}.");
        }
        Guid? marker = null;
        if (query.ContainsKey("marker"))
        {
            if (!Guid.TryParse(query["marker"].ToString(), out var markerId))
            {
                return ApiResults.BadRequest("Marker must be a service id (UUID).");
            }
            marker = markerId;
        }
        var page = await catalog.ListPageAsync(api.Project.Id, marker, limit, cancellationToken);
        var apiBase = ApiBase(context.Request);
        var next = page.Count == limit ? $"{apiBase}/services?marker={page[^1].Id}&limit={limit}" : null;
        var names = await steering.NamesAsync(api.Project.Id, page.Select(s => s.Id).ToList(), cancellationToken);
        return ServiceRepresentation.Page(page, api.Project.Name, apiBase, next, names);
    }

    private static async Task<Results<FileContentHttpResult, JsonHttpResult<ApiMessage>>> GetServiceAsync(ApiRequest api, HttpRequest request,
        ServiceCatalog catalog, SteeringService steering, CancellationToken cancellationToken)
    {
        var service = await catalog.FindAsync(api.Project.Id, api.ServiceId, cancellationToken);
        return service is null
            ? ApiResults.Message(StatusCodes.Status404NotFound, $"service {api.ServiceId} could not be found")
            : ServiceRepresentation.Single(service, api.Project.Name, ApiBase(request),
                await steering.NamesAsync(api.Project.Id, [service.Id], cancellationToken));
    }

    private static async Task<Results<Accepted, JsonHttpResult<ApiMessage>, JsonHttpResult<ApiErrors>>> CreateServiceAsync(ApiRequest api, HttpRequest request,
        ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var spec = ServiceDocumentReader.Read(api.Body, out var errors);
        if (spec is null)
        {
            return ApiResults.Invalid(errors);
        }
        var result = await catalog.CreateAsync(api.Project.Id, spec, cancellationToken);
        return ApiResults.From(result, () => Accepted(request, result.ServiceId));
    }

    private static async Task<Results<Accepted, JsonHttpResult<ApiMessage>, JsonHttpResult<ApiErrors>>> PatchServiceAsync(ApiRequest api, HttpRequest request,
        ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var result = await catalog.PatchAsync(api.Project.Id, api.ServiceId, api.Body, cancellationToken);
        return ApiResults.From(result, () => Accepted(request, api.ServiceId));
    }

    private static async Task<Results<StatusCodeHttpResult, JsonHttpResult<ApiMessage>, JsonHttpResult<ApiErrors>>> DeleteServiceAsync(ApiRequest api,
        ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var result = await catalog.DeleteAsync(api.Project.Id, api.ServiceId, cancellationToken);
        return ApiResults.From(result, () => TypedResults.StatusCode(StatusCodes.Status202Accepted));
    }

    /// <summary>Poppy's purge: url defaults to /*, hard defaults to true (case-insensitive), all=true purges everything.</summary>
    private static async Task<Results<Accepted, JsonHttpResult<ApiMessage>, JsonHttpResult<ApiErrors>>> PurgeAsync(ApiRequest api, HttpRequest request,
        ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var query = request.Query;
        // Given twice, a parameter means two things to two readers (a proxy may check the first, we read a join).
        if (new[] { "url", "hard", "all" }.FirstOrDefault(name => query[name].Count > 1) is { } repeated)
        {
            return ApiResults.BadRequest($"Give {repeated} once; it was given {query[repeated].Count} times.");
        }
        var url = query.ContainsKey("url") ? query["url"].ToString() : null;
        var hardText = query.ContainsKey("hard") ? query["hard"].ToString() : "true";
        var allText = query.ContainsKey("all") ? query["all"].ToString() : "false";
        if (!bool.TryParse(hardText, out var hard))
        {
            return ApiResults.BadRequest($"hard must be true or false, not '{hardText}'.");
        }
        if (!bool.TryParse(allText, out var all))
        {
            return ApiResults.BadRequest($"all must be true or false, not '{allText}'.");
        }
        var (path, invalid) = PurgeTarget.Resolve(url, all);
        if (invalid is not null)
        {
            return ApiResults.BadRequest(invalid);
        }
        var result = await catalog.PurgeAsync(api.Project.Id, api.ServiceId, path, hard, cancellationToken);
        return ApiResults.From(result, () => Accepted(request, api.ServiceId));
    }

    private static async Task<Results<JsonHttpResult<LimitBody>, JsonHttpResult<ApiMessage>>> GetLimitAsync(string project, ProjectDirectory projects,
        ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var found = await projects.FindByNameAsync(project, cancellationToken);
        return found is null
            ? ApiResults.Message(StatusCodes.Status404NotFound, $"Project '{project}' does not exist.")
            : TypedResults.Json(new LimitBody(await catalog.GetLimitAsync(found.Id, cancellationToken)));
    }

    private static async Task<Results<StatusCodeHttpResult, JsonHttpResult<ApiMessage>>> SetLimitAsync(string project, ApiRequest api, ProjectDirectory projects,
        ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var found = await projects.FindByNameAsync(project, cancellationToken);
        if (found is null)
        {
            return ApiResults.Message(StatusCodes.Status404NotFound, $"Project '{project}' does not exist.");
        }
        var root = api.Body;
        if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Count() != 1
            || !root.TryGetProperty("limit", out var limitElement) || limitElement.ValueKind != JsonValueKind.Number
            || !limitElement.TryGetInt32(out var limit) || limit < 0)
        {
            return ApiResults.BadRequest("The body must be {\"limit\": n} with a whole number n >= 0.");
        }
        await catalog.SetLimitAsync(found.Id, limit, cancellationToken);
        return TypedResults.StatusCode(StatusCodes.Status201Created);
    }

    private static async Task<Results<StatusCodeHttpResult, JsonHttpResult<ApiMessage>, JsonHttpResult<ApiErrors>>> SetServiceStatusAsync(ApiRequest api,
        ProjectDirectory projects, ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var status = Text(api.Body, "status") switch
        {
            "deployed" => ProviderStatus.Deployed,
            "failed" => ProviderStatus.Failed,
            _ => (ProviderStatus?)null,
        };
        if (Text(api.Body, "project_id") is not { } projectName || !Guid.TryParse(Text(api.Body, "service_id"), out var serviceId) || status is null)
        {
            return ApiResults.BadRequest("The body must be {\"project_id\": name, \"service_id\": uuid, \"status\": \"deployed\"|\"failed\"}.");
        }
        var project = await projects.FindByNameAsync(projectName, cancellationToken);
        if (project is null)
        {
            return ApiResults.Message(StatusCodes.Status404NotFound, $"Project '{projectName}' does not exist.");
        }
        var result = await catalog.SetStatusAsync(project.Id, serviceId, status.Value, cancellationToken);
        return ApiResults.From(result, () => TypedResults.StatusCode(StatusCodes.Status201Created));
    }

    /// <summary>
    /// The portal's "remove without the vendor" for a provider whose removal of the service failed and cannot succeed (its
    /// credentials are refused, say): the provider counts as removed, and the service is archived once every provider
    /// has removed it. Answers {"archived": bool}; 400 when that provider's latest change is not a failed removal.
    /// </summary>
    private static async Task<Results<JsonHttpResult<AbandonBody>, JsonHttpResult<ApiMessage>, JsonHttpResult<ApiErrors>>> AbandonRemovalAsync(ApiRequest api,
        ProjectDirectory projects, ProvisioningOperations operations, CancellationToken cancellationToken)
    {
        if (Text(api.Body, "project_id") is not { } projectName || !Guid.TryParse(Text(api.Body, "service_id"), out var serviceId)
            || Text(api.Body, "provider") is not { } provider)
        {
            return ApiResults.BadRequest("The body must be {\"project_id\": name, \"service_id\": uuid, \"provider\": account name, \"reason\": text}.");
        }
        var project = await projects.FindByNameAsync(projectName, cancellationToken);
        if (project is null)
        {
            return ApiResults.Message(StatusCodes.Status404NotFound, $"Project '{projectName}' does not exist.");
        }
        var (result, archived) = await operations.AbandonRemovalAsync(project.Id, serviceId, provider, Text(api.Body, "reason"), cancellationToken);
        return result.IsNotFound ? ApiResults.Message(StatusCodes.Status404NotFound, $"service {serviceId} has no provider '{provider}'")
            : result.Succeeded ? TypedResults.Json(new AbandonBody(archived))
            : ApiResults.Invalid(result.Errors);
    }

    /// <summary>A string member of a JSON object body, or null (absent, another type, or the body not an object).</summary>
    private static string? Text(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Poppy answers accepted changes with 202, an empty body and the service's URL.</summary>
    private static Accepted Accepted(HttpRequest request, Guid serviceId) => TypedResults.Accepted($"{ApiBase(request)}/services/{serviceId}");

    public sealed record LimitBody([property: JsonPropertyName("limit")] int Limit);

    public sealed record AbandonBody([property: JsonPropertyName("archived")] bool Archived);
}
