using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
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

        var services = api.MapGroup("/services");
        services.MapGet("/", ListServicesAsync).WithSummary("Services of the project, in creation order, with marker/limit paging.");
        services.MapPost("/", CreateServiceAsync).WithSummary("Creates a service: 202 with Location; provisioning follows.");
        services.MapGet("/{id}", GetServiceAsync).WithSummary("One service.");
        services.MapMethods("/{id}", [HttpMethods.Patch], PatchServiceAsync).WithSummary("RFC 6902 JSON Patch of a deployed or failed service.");
        services.MapDelete("/{id}", DeleteServiceAsync).WithSummary("Deletes a service from every provider: 202.");
        services.MapDelete("/{id}/assets", PurgeAsync).WithSummary("Purges a URL (url=) or everything (all=true), hard (default) or soft.");
        services.MapBenchmarkApi();

        var admin = api.MapGroup("/admin").RequireAuthorization(policy => policy.RequireRole(PortalRoles.Admin));
        admin.MapGet("/limits/{project}", GetLimitAsync).WithSummary("A project's service limit.");
        admin.MapPut("/limits/{project}", SetLimitAsync).WithSummary("Sets a project's service limit: {\"limit\": n}.");
        admin.MapPost("/services/status", SetServiceStatusAsync).WithSummary("Marks a service deployed or failed.");
        admin.MapPost("/services/abandon", AbandonRemovalAsync)
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

    private static async Task<IResult> ListServicesAsync(HttpContext context, ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var (project, error) = await ApiProject.ResolveAsync(context, cancellationToken);
        if (project is null)
        {
            return error!;
        }
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
        var page = await catalog.ListPageAsync(project.Id, marker, limit, cancellationToken);
        var apiBase = ApiBase(context.Request);
        var next = page.Count == limit ? $"{apiBase}/services?marker={page[^1].Id}&limit={limit}" : null;
        return ServiceRepresentation.Page(page, project.Name, apiBase, next);
    }

    private static async Task<IResult> GetServiceAsync(string id, HttpContext context, ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var (project, error) = await ApiProject.ResolveAsync(context, cancellationToken);
        if (project is null)
        {
            return error!;
        }
        if (!Guid.TryParse(id, out var serviceId))
        {
            return ApiResults.BadRequest("Invalid service id");
        }
        var service = await catalog.FindAsync(project.Id, serviceId, cancellationToken);
        return service is null
            ? ApiResults.Message(StatusCodes.Status404NotFound, $"service {serviceId} could not be found")
            : ServiceRepresentation.Single(service, project.Name, ApiBase(context.Request));
    }

    private static async Task<IResult> CreateServiceAsync(HttpContext context, ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var (project, error) = await ApiProject.ResolveAsync(context, cancellationToken);
        if (project is null)
        {
            return error!;
        }
        var (body, bodyError) = await ApiResults.ReadJsonAsync(context.Request, cancellationToken);
        if (body is null)
        {
            return bodyError!;
        }
        using (body)
        {
            var spec = ServiceDocumentReader.Read(body.RootElement, out var errors);
            if (spec is null)
            {
                return ApiResults.Invalid(errors);
            }
            var result = await catalog.CreateAsync(project.Id, spec, cancellationToken);
            return ApiResults.From(result, () => Accepted($"{ApiBase(context.Request)}/services/{result.ServiceId}"));
        }
    }

    private static async Task<IResult> PatchServiceAsync(string id, HttpContext context, ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var (project, error) = await ApiProject.ResolveAsync(context, cancellationToken);
        if (project is null)
        {
            return error!;
        }
        if (!Guid.TryParse(id, out var serviceId))
        {
            return ApiResults.BadRequest("Invalid service id");
        }
        var (body, bodyError) = await ApiResults.ReadJsonAsync(context.Request, cancellationToken);
        if (body is null)
        {
            return bodyError!;
        }
        using (body)
        {
            var result = await catalog.PatchAsync(project.Id, serviceId, body.RootElement, cancellationToken);
            return ApiResults.From(result, () => Accepted($"{ApiBase(context.Request)}/services/{serviceId}"));
        }
    }

    private static async Task<IResult> DeleteServiceAsync(string id, HttpContext context, ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var (project, error) = await ApiProject.ResolveAsync(context, cancellationToken);
        if (project is null)
        {
            return error!;
        }
        if (!Guid.TryParse(id, out var serviceId))
        {
            return ApiResults.BadRequest("Invalid service id");
        }
        var result = await catalog.DeleteAsync(project.Id, serviceId, cancellationToken);
        return ApiResults.From(result, () => Results.StatusCode(StatusCodes.Status202Accepted));
    }

    /// <summary>Poppy's purge: url defaults to /*, hard defaults to true (case-insensitive), all=true purges everything.</summary>
    private static async Task<IResult> PurgeAsync(string id, HttpContext context, ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var (project, error) = await ApiProject.ResolveAsync(context, cancellationToken);
        if (project is null)
        {
            return error!;
        }
        if (!Guid.TryParse(id, out var serviceId))
        {
            return ApiResults.BadRequest("Invalid service id");
        }
        var query = context.Request.Query;
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
        var result = await catalog.PurgeAsync(project.Id, serviceId, path, hard, cancellationToken);
        return ApiResults.From(result, () => Accepted($"{ApiBase(context.Request)}/services/{serviceId}"));
    }

    private static async Task<IResult> GetLimitAsync(string project, ProjectDirectory projects, ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var found = await projects.FindByNameAsync(project, cancellationToken);
        return found is null
            ? ApiResults.Message(StatusCodes.Status404NotFound, $"Project '{project}' does not exist.")
            : Results.Json(new { limit = await catalog.GetLimitAsync(found.Id, cancellationToken) });
    }

    private static async Task<IResult> SetLimitAsync(string project, HttpContext context, ProjectDirectory projects, ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var found = await projects.FindByNameAsync(project, cancellationToken);
        if (found is null)
        {
            return ApiResults.Message(StatusCodes.Status404NotFound, $"Project '{project}' does not exist.");
        }
        var (body, bodyError) = await ApiResults.ReadJsonAsync(context.Request, cancellationToken);
        if (body is null)
        {
            return bodyError!;
        }
        using (body)
        {
            var root = body.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object || root.EnumerateObject().Count() != 1
                || !root.TryGetProperty("limit", out var limitElement) || limitElement.ValueKind != System.Text.Json.JsonValueKind.Number
                || !limitElement.TryGetInt32(out var limit) || limit < 0)
            {
                return ApiResults.BadRequest("The body must be {\"limit\": n} with a whole number n >= 0.");
            }
            await catalog.SetLimitAsync(found.Id, limit, cancellationToken);
            return Results.StatusCode(StatusCodes.Status201Created);
        }
    }

    private static async Task<IResult> SetServiceStatusAsync(HttpContext context, ProjectDirectory projects, ServiceCatalog catalog, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await ApiResults.ReadJsonAsync(context.Request, cancellationToken);
        if (body is null)
        {
            return bodyError!;
        }
        using (body)
        {
            var root = body.RootElement;
            string? Text(string name) => root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty(name, out var value)
                && value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString() : null;
            var status = Text("status") switch
            {
                "deployed" => ProviderStatus.Deployed,
                "failed" => ProviderStatus.Failed,
                _ => (ProviderStatus?)null,
            };
            if (Text("project_id") is not { } projectName || !Guid.TryParse(Text("service_id"), out var serviceId) || status is null)
            {
                return ApiResults.BadRequest("The body must be {\"project_id\": name, \"service_id\": uuid, \"status\": \"deployed\"|\"failed\"}.");
            }
            var project = await projects.FindByNameAsync(projectName, cancellationToken);
            if (project is null)
            {
                return ApiResults.Message(StatusCodes.Status404NotFound, $"Project '{projectName}' does not exist.");
            }
            var result = await catalog.SetStatusAsync(project.Id, serviceId, status.Value, cancellationToken);
            return ApiResults.From(result, () => Results.StatusCode(StatusCodes.Status201Created));
        }
    }

    /// <summary>
    /// The portal's "remove without the vendor" for a provider whose removal of the service failed and cannot succeed (its
    /// credentials are refused, say): the provider counts as removed, and the service is archived once every provider
    /// has removed it. Answers {"archived": bool}; 400 when that provider's latest change is not a failed removal.
    /// </summary>
    private static async Task<IResult> AbandonRemovalAsync(HttpContext context, ProjectDirectory projects, ProvisioningOperations operations,
        CancellationToken cancellationToken)
    {
        var (body, bodyError) = await ApiResults.ReadJsonAsync(context.Request, cancellationToken);
        if (body is null)
        {
            return bodyError!;
        }
        using (body)
        {
            var root = body.RootElement;
            string? Text(string name) => root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty(name, out var value)
                && value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString() : null;
            if (Text("project_id") is not { } projectName || !Guid.TryParse(Text("service_id"), out var serviceId) || Text("provider") is not { } provider)
            {
                return ApiResults.BadRequest("The body must be {\"project_id\": name, \"service_id\": uuid, \"provider\": account name, \"reason\": text}.");
            }
            var project = await projects.FindByNameAsync(projectName, cancellationToken);
            if (project is null)
            {
                return ApiResults.Message(StatusCodes.Status404NotFound, $"Project '{projectName}' does not exist.");
            }
            var (result, archived) = await operations.AbandonRemovalAsync(project.Id, serviceId, provider, Text("reason"), cancellationToken);
            return result.IsNotFound ? ApiResults.Message(StatusCodes.Status404NotFound, $"service {serviceId} has no provider '{provider}'")
                : result.Succeeded ? Results.Json(new { archived })
                : ApiResults.Invalid(result.Errors);
        }
    }

    /// <summary>Poppy answers accepted changes with 202, an empty body and the service's URL.</summary>
    private static IResult Accepted(string location) => new AcceptedWithLocation(location);

    private sealed class AcceptedWithLocation(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status202Accepted;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
