using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Poppy.CacheTier.Agent.Files;
using Poppy.CacheTier.Agent.Services;

namespace Poppy.CacheTier.Agent.Api;

/// <summary>
/// The agent's HTTP API. Under <c>/api</c>, for the portal (token required): PUT/GET/DELETE a service by id, purge,
/// and the node's state. Public: <c>/healthz</c>, and cache-tier's <c>/verify/{file}</c> and <c>/download/{file}</c>.
/// Every answer is JSON with snake_case names.
/// </summary>
internal static class AgentEndpoints
{
    private const long MaxDocumentBytes = 1024 * 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithMetadata(new RequiresNodeToken());
        api.MapGet("/node", (CacheNode node, EdgeFiles files) => Json(new
        {
            nginx_version = node.NginxVersion,
            nginx_running = node.NginxRunning,
            edge = node.Edge.Listen,
            age_header = node.Features.AgeHeader,
            geography = node.Features.CountryRangesFile is not null,
            services = node.Services.Select(Summary),
            last_reload = node.LastReload is { } r ? new { at = r.At, succeeded = r.Succeeded, generation = r.Generation, error = r.Error } : null,
            fetches_started = files.FetchesStarted,
        }));
        api.MapGet("/services", (CacheNode node) => Json(node.Services.Select(Summary)));
        api.MapGet("/services/{id}", (string id, CacheNode node) => node.Find(id) is { } service
            ? Json(new { service_id = service.Id, applied_at = service.AppliedAt, warnings = service.Warnings, config = service.Config })
            : NotHeld(id));
        api.MapPut("/services/{id}", PutServiceAsync);
        api.MapDelete("/services/{id}", DeleteServiceAsync);
        api.MapPost("/services/{id}/purge", PurgeAsync);

        app.MapGet("/healthz", (CacheNode node) => Json(new
        {
            status = node.NginxRunning ? "ok" : "nginx_down",
            nginx_version = node.NginxVersion,
            services = node.Services.Count,
        }, node.NginxRunning ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable));

        app.MapGet("/verify/{**file}", (string file, string? service, EdgeFiles files) =>
        {
            if (!EdgeFiles.IsValidFile(file))
            {
                return Json(new FileStatus(false, file, true, "Not a file path."), StatusCodes.Status400BadRequest);
            }
            var (held, error) = files.ResolveService(service);
            return held is null
                ? Json(new FileStatus(false, file, true, error), StatusCodes.Status404NotFound)
                : Json(files.Verify(held, file));
        });
        app.MapGet("/download/{**file}", (string file, string? service, EdgeFiles files) =>
        {
            if (!EdgeFiles.IsValidFile(file))
            {
                return Json(new FileStatus(false, file, true, "Not a file path."), StatusCodes.Status400BadRequest);
            }
            var (held, error) = files.ResolveService(service);
            return held is null
                ? Json(new FileStatus(false, file, true, error), StatusCodes.Status404NotFound)
                : Results.Redirect(files.DownloadTarget(held, file).AbsoluteUri);
        });
    }

    private static async Task<IResult> PutServiceAsync(string id, HttpContext context, CacheNode node)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxDocumentBytes;
        }
        ServiceConfig? config;
        try
        {
            config = await JsonSerializer.DeserializeAsync<ServiceConfig>(context.Request.Body, ServiceConfig.Json, context.RequestAborted);
        }
        catch (JsonException e)
        {
            return Invalid(new Dictionary<string, string[]> { ["body"] = [e.Message] });
        }
        if (config is null)
        {
            return Invalid(new Dictionary<string, string[]> { ["body"] = ["A service document is required."] });
        }

        var outcome = await node.ApplyAsync(id, config, context.RequestAborted);
        return outcome.Status switch
        {
            ApplyStatus.Applied or ApplyStatus.Unchanged => Json(new
            {
                service_id = id,
                status = outcome.Status == ApplyStatus.Applied ? "applied" : "unchanged",
                applied_at = outcome.Service!.AppliedAt,
                warnings = outcome.Warnings ?? [],
            }),
            ApplyStatus.Invalid => Invalid(outcome.Errors!),
            ApplyStatus.Conflict => Json(new { error = outcome.Message }, StatusCodes.Status409Conflict),
            _ => Json(new
            {
                error = "nginx refused the configuration; the node keeps serving the previous one.",
                nginx_error = outcome.NginxError,
                warnings = outcome.Warnings ?? [],
            }, StatusCodes.Status422UnprocessableEntity),
        };
    }

    private static async Task<IResult> DeleteServiceAsync(string id, HttpContext context, CacheNode node)
    {
        if (!ServiceConfigValidator.IsServiceId(id))
        {
            return Invalid(new Dictionary<string, string[]> { ["service_id"] = ["Not a service id."] });
        }
        var (_, error) = await node.RemoveAsync(id, context.RequestAborted);
        return error is null
            ? Results.NoContent()
            : Json(new { error = "nginx did not take the removal; the node keeps serving the service.", nginx_error = error },
                StatusCodes.Status422UnprocessableEntity);
    }

    private static async Task<IResult> PurgeAsync(string id, HttpContext context, CacheNode node)
    {
        PurgeRequest? request;
        try
        {
            request = context.Request.ContentLength is 0 ? new PurgeRequest()
                : await JsonSerializer.DeserializeAsync<PurgeRequest>(context.Request.Body, ServiceConfig.Json, context.RequestAborted);
        }
        catch (JsonException e)
        {
            return Invalid(new Dictionary<string, string[]> { ["body"] = [e.Message] });
        }
        request ??= new PurgeRequest();
        if (request.Path is { } path && (path.Length is 0 or > 1024 || path[0] != '/' || path.Any(c => c > 126 || c <= ' ')))
        {
            return Invalid(new Dictionary<string, string[]> { ["path"] = ["A path is 1 to 1024 printable ASCII characters starting with '/'; leave it out to purge everything."] });
        }
        var outcome = node.Purge(id, request.Path, request.Hard);
        return outcome is null
            ? NotHeld(id)
            : Json(new { service_id = outcome.ServiceId, path = outcome.Path, hard = outcome.Hard, entries = outcome.Entries });
    }

    private static object Summary(HeldService s) => new
    {
        service_id = s.Id,
        domains = s.Config.Domains.Select(d => d.Domain),
        applied_at = s.AppliedAt,
        warnings = s.Warnings,
    };

    private static IResult NotHeld(string id) => Json(new { error = $"This node does not serve service '{id}'." }, StatusCodes.Status404NotFound);

    private static IResult Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        Json(new { error = "The service document is invalid.", errors }, StatusCodes.Status400BadRequest);

    private static IResult Json(object value, int status = StatusCodes.Status200OK) => Results.Json(value, ServiceConfig.Json, statusCode: status);
}

/// <summary>Body of <c>POST /api/services/{id}/purge</c>.</summary>
/// <param name="Path">A path as viewers request it (<c>/images/a.png</c>, with its query if any); null: everything.</param>
/// <param name="Hard">True removes entries; false marks them stale (served while the origin fails, refreshed otherwise).</param>
public sealed record PurgeRequest(string? Path = null, bool Hard = false);
