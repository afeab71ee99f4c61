using System.Text.Json.Nodes;
using Poppy.Portal.Core.Features.Benchmarks;

namespace Poppy.Portal.Web.Api;

/// <summary><c>GET /v1.0/services/{id}/benchmarks?window=1h|24h|7d|30d</c>: each provider's edge as the probes measured it.</summary>
public static class BenchmarkApiEndpoints
{
    public static void MapBenchmarkApi(this RouteGroupBuilder services)
    {
        services.MapGet("/{id}/benchmarks", GetAsync)
            .WithSummary("Per provider: samples, p50/p95/p99 total time (ms), availability, cache-hit ratio and a series (time, p50, p95, errors) "
                + "for window=1h (per minute), 24h (per 5 minutes), 7d or 30d (per hour).");
    }

    private static async Task<IResult> GetAsync(string id, string? window, HttpContext context, BenchmarkQuery benchmarks, CancellationToken cancellationToken)
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
        if (BenchmarkWindow.Parse(window) is not { } chosen)
        {
            return ApiResults.BadRequest("window must be one of 1h, 24h, 7d, 30d.");
        }
        var result = await benchmarks.GetAsync(project.Id, serviceId, chosen, cancellationToken);
        if (result is null)
        {
            return ApiResults.Message(StatusCodes.Status404NotFound, $"service {serviceId} could not be found");
        }
        var body = new JsonObject
        {
            ["service_id"] = result.ServiceId.ToString(),
            ["window"] = result.Window.Name,
            ["from"] = result.From.ToString("O"),
            ["until"] = result.Until.ToString("O"),
            ["step_seconds"] = (int)result.Window.Step.TotalSeconds,
            ["providers"] = new JsonArray(result.Providers.Select(p => (JsonNode)new JsonObject
            {
                ["provider"] = p.Provider,
                ["samples"] = p.Samples,
                ["errors"] = p.Errors,
                ["skipped"] = p.Skipped,
                ["p50_ms"] = p.P50Ms,
                ["p95_ms"] = p.P95Ms,
                ["p99_ms"] = p.P99Ms,
                ["availability"] = p.Availability,
                ["cache_hit_ratio"] = p.CacheHitRatio,
                ["series"] = new JsonArray(p.Series.Select(s => (JsonNode)new JsonObject
                {
                    ["time"] = s.Time.ToString("O"),
                    ["samples"] = s.Samples,
                    ["p50"] = s.P50Ms,
                    ["p95"] = s.P95Ms,
                    ["errors"] = s.Errors,
                }).ToArray()),
            }).ToArray()),
        };
        return Results.Text(body.ToJsonString(), "application/json");
    }
}
