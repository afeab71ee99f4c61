namespace Poppy.Portal.Web.Features.Dashboard;

public static class DashboardEndpoints
{
    public const string RequestTimingsChartPath = "/ui/dashboard/request-timings";

    public static IEndpointRouteBuilder MapDashboardEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(RequestTimingsChartPath, (RequestTimings timings) => TypedResults.Ok(RequestTimingsChart(timings.Snapshot())));
        return endpoints;
    }

    internal static ChartData RequestTimingsChart(IReadOnlyList<MinuteTiming> minutes) => new(
        Type: "area",
        Title: "Portal response time per minute",
        Unit: "ms",
        Categories: minutes.Select(m => m.Minute.ToString("yyyy-MM-ddTHH:mm:ssZ")).ToList(),
        Series:
        [
            new ChartSeries("p50", minutes.Select(m => Math.Round(m.P50Milliseconds, 1)).ToList()),
            new ChartSeries("p95", minutes.Select(m => Math.Round(m.P95Milliseconds, 1)).ToList()),
        ]);
}
