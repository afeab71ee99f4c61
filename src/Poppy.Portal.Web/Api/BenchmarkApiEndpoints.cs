using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Poppy.Portal.Core.Features.Benchmarks;

namespace Poppy.Portal.Web.Api;

/// <summary><c>GET /v1.0/services/{id}/benchmarks?window=1h|24h|7d|30d</c>: each provider's edge as the probes measured it.</summary>
public static class BenchmarkApiEndpoints
{
    public static void MapBenchmarkApi(this RouteGroupBuilder services)
    {
        services.MapGet("/{id}/benchmarks", GetAsync).Resolves(ApiNeeds.Project | ApiNeeds.ServiceId)
            .WithSummary("Per provider: samples, p50/p95/p99 total time (ms), availability, cache-hit ratio and a series (time, p50, p95, errors) "
                + "for window=1h (per minute), 24h (per 5 minutes), 7d or 30d (per hour).");
    }

    private static async Task<Results<JsonHttpResult<JsonObject>, JsonHttpResult<ApiMessage>>> GetAsync(ApiRequest api, string? window,
        BenchmarkQuery benchmarks, CancellationToken cancellationToken)
    {
        if (BenchmarkWindow.Parse(window) is not { } chosen)
        {
            return ApiResults.BadRequest("window must be one of 1h, 24h, 7d, 30d.");
        }
        var result = await benchmarks.GetAsync(api.Project.Id, api.ServiceId, chosen, cancellationToken);
        if (result is null)
        {
            return ApiResults.Message(StatusCodes.Status404NotFound, $"service {api.ServiceId} could not be found");
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
        return TypedResults.Json(body);
    }
}
