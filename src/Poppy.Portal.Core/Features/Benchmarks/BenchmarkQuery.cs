using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>A benchmark window: how far back, which rollups it reads and the step of its series.</summary>
public sealed record BenchmarkWindow(string Name, TimeSpan Length, RollupResolution Source, TimeSpan Step)
{
    public static readonly BenchmarkWindow OneHour = new("1h", TimeSpan.FromHours(1), RollupResolution.Minute, TimeSpan.FromMinutes(1));
    public static readonly BenchmarkWindow OneDay = new("24h", TimeSpan.FromHours(24), RollupResolution.Minute, TimeSpan.FromMinutes(5));
    public static readonly BenchmarkWindow SevenDays = new("7d", TimeSpan.FromDays(7), RollupResolution.Hour, TimeSpan.FromHours(1));
    public static readonly BenchmarkWindow ThirtyDays = new("30d", TimeSpan.FromDays(30), RollupResolution.Hour, TimeSpan.FromHours(1));

    public static IReadOnlyList<BenchmarkWindow> All { get; } = [OneHour, OneDay, SevenDays, ThirtyDays];

    public static BenchmarkWindow? Parse(string? name) => All.FirstOrDefault(w => w.Name == (string.IsNullOrEmpty(name) ? "1h" : name));
}

/// <summary>One point of a provider's series: the step starting at <see cref="Time"/>.</summary>
public sealed record BenchmarkPoint(DateTimeOffset Time, int Samples, double? P50Ms, double? P95Ms, int Errors);

/// <param name="Availability">Share of probes the edge served (2xx/3xx), 0-1; null without probes.</param>
/// <param name="CacheHitRatio">Share of answered probes served from the edge's cache, 0-1; null without answers.</param>
public sealed record ProviderBenchmark(
    string Provider, Guid ProviderAccountId, long Samples, long Errors, long Skipped, double? P50Ms, double? P95Ms, double? P99Ms,
    double? Availability, double? CacheHitRatio, IReadOnlyList<BenchmarkPoint> Series);

/// <summary>A service's benchmarks over [From, Until): closed rollup buckets only, so the last minute (or hour) is not in it yet.</summary>
public sealed record ServiceBenchmarks(Guid ServiceId, BenchmarkWindow Window, DateTimeOffset From, DateTimeOffset Until, IReadOnlyList<ProviderBenchmark> Providers);

/// <summary>A service of the project, to choose on the benchmarks board.</summary>
public sealed record BenchmarkedService(Guid Id, string Name);

/// <summary>A project's benchmarks over [From, Until): per provider over all its live services.</summary>
public sealed record ProjectBenchmarks(
    Guid ProjectId, BenchmarkWindow Window, DateTimeOffset From, DateTimeOffset Until, IReadOnlyList<ProviderBenchmark> Providers,
    IReadOnlyList<BenchmarkedService> Services);

/// <summary>
/// Reads a service's benchmarks for a window from the rollups: per provider, the window's percentiles from the sum of
/// its buckets' histograms, availability and cache-hit ratio, and a series at the window's step. Members of the
/// service's project may read it.
/// </summary>
public sealed class BenchmarkQuery(PortalDbContext db, AccessPolicy access, TimeProvider clock)
{
    /// <summary>The service's benchmarks, or null when the project has no such (live) service.</summary>
    public async Task<ServiceBenchmarks?> GetAsync(Guid projectId, Guid serviceId, BenchmarkWindow window, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        var service = await db.Set<CdnService>().AsNoTracking()
            .Where(s => s.Id == serviceId && s.ProjectId == projectId && s.ArchivedAt == null)
            .Select(s => new { s.Id, Providers = s.Providers.Select(p => new { p.ProviderAccountId, p.ProviderName }).ToList() })
            .FirstOrDefaultAsync(cancellationToken);
        if (service is null)
        {
            return null;
        }

        var (from, until) = Bounds(window);
        var rows = await RowsAsync(db.Set<BenchmarkRollup>().Where(r => r.ServiceId == serviceId), window, from, until, cancellationToken);
        var result = PerProvider(service.Providers.Select(p => (p.ProviderAccountId, p.ProviderName)), rows, window);
        return new ServiceBenchmarks(serviceId, window, from, until, result);
    }

    /// <summary>
    /// The project's provider board: per provider, its figures over all the project's live services (percentiles from
    /// their summed histograms), and the services to choose from for a per-service view.
    /// </summary>
    public async Task<ProjectBenchmarks> GetProjectAsync(Guid projectId, BenchmarkWindow window, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        var services = await db.Set<CdnService>().AsNoTracking()
            .Where(s => s.ProjectId == projectId && s.ArchivedAt == null)
            .OrderBy(s => s.Name)
            .Select(s => new { s.Id, s.Name, Providers = s.Providers.Select(p => new { p.ProviderAccountId, p.ProviderName }).ToList() })
            .ToListAsync(cancellationToken);
        var ids = services.Select(s => s.Id).ToList();

        var (from, until) = Bounds(window);
        var rows = await RowsAsync(db.Set<BenchmarkRollup>().Where(r => ids.Contains(r.ServiceId)), window, from, until, cancellationToken);
        var providers = PerProvider(services.SelectMany(s => s.Providers.Select(p => (p.ProviderAccountId, p.ProviderName))), rows, window);
        return new ProjectBenchmarks(projectId, window, from, until, providers, [.. services.Select(s => new BenchmarkedService(s.Id, s.Name))]);
    }

    private (DateTimeOffset From, DateTimeOffset Until) Bounds(BenchmarkWindow window)
    {
        var until = RollupBuilder.Floor(clock.GetUtcNow(), RollupBuilder.SizeOf(window.Source));
        return (until - window.Length, until);
    }

    private sealed record RollupRow(Guid ProviderAccountId, string ProviderName, DateTimeOffset BucketStart, int Count, int Errors, int Skipped, int CacheHits, byte[] Histogram);

    private static async Task<List<RollupRow>> RowsAsync(
        IQueryable<BenchmarkRollup> rollups, BenchmarkWindow window, DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken) =>
        await rollups.AsNoTracking()
            .Where(r => r.Resolution == window.Source && r.BucketStart >= from && r.BucketStart < until)
            .Select(r => new RollupRow(r.ProviderAccountId, r.ProviderName, r.BucketStart, r.Count, r.Errors, r.Skipped, r.CacheHits, r.Histogram))
            .ToListAsync(cancellationToken);

    /// <summary>Per provider (the given ones, and any that has rows): totals, percentiles and the series at the window's step.</summary>
    private static List<ProviderBenchmark> PerProvider(IEnumerable<(Guid AccountId, string Name)> known, List<RollupRow> rows, BenchmarkWindow window)
    {
        var providers = known
            .Concat(rows.Select(r => (r.ProviderAccountId, r.ProviderName)))
            .DistinctBy(p => p.Item1)
            .OrderBy(p => p.Item2, StringComparer.Ordinal)
            .ToList();

        var result = new List<ProviderBenchmark>();
        foreach (var (accountId, name) in providers)
        {
            var mine = rows.Where(r => r.ProviderAccountId == accountId).ToList();
            var total = new LatencyHistogram();
            var series = new List<BenchmarkPoint>();
            foreach (var step in mine.GroupBy(r => RollupBuilder.Floor(r.BucketStart, window.Step)).OrderBy(g => g.Key))
            {
                var latency = new LatencyHistogram();
                foreach (var row in step)
                {
                    latency.Add(LatencyHistogram.Decode(row.Histogram));
                }
                total.Add(latency);
                series.Add(new BenchmarkPoint(step.Key, step.Sum(r => r.Count), latency.Percentile(50), latency.Percentile(95), step.Sum(r => r.Errors)));
            }
            long count = mine.Sum(r => r.Count), errors = mine.Sum(r => r.Errors), hits = mine.Sum(r => r.CacheHits);
            result.Add(new ProviderBenchmark(name, accountId, count, errors, mine.Sum(r => (long)r.Skipped),
                total.Percentile(50), total.Percentile(95), total.Percentile(99),
                count == 0 ? null : Math.Round((double)(count - errors) / count, 4),
                count - errors == 0 ? null : Math.Round((double)hits / (count - errors), 4),
                series));
        }
        return result;
    }
}
