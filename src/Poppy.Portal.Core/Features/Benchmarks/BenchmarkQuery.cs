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
/// Reads a service's benchmarks for a window from the rollups (the project board from the project rollups): per
/// provider, the window's percentiles from the sum of its buckets' histograms, availability and cache-hit ratio, and a
/// series at the window's step. A step of the rollups' own size is one bucket: its point is the bucket's stored
/// figures; a coarser step's percentiles come from its buckets' histograms added. Members of the project may read it.
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
        var rows = await db.Set<BenchmarkRollup>().AsNoTracking()
            .Where(r => r.ServiceId == serviceId && r.Resolution == window.Source && r.BucketStart >= from && r.BucketStart < until)
            .Select(r => new RollupRow(r.ProviderAccountId, r.ProviderName, r.BucketStart, r.Count, r.Errors, r.Skipped, r.CacheHits, r.P50Ms, r.P95Ms, r.Histogram))
            .ToListAsync(cancellationToken);
        var result = PerProvider(service.Providers.Select(p => (p.ProviderAccountId, p.ProviderName)), rows, window);
        return new ServiceBenchmarks(serviceId, window, from, until, result);
    }

    /// <summary>
    /// The project's provider board: per provider, its figures over all the project's services (the project rollups:
    /// every service probed in each bucket, archived ones included for the buckets they were probed in), and the live
    /// services to choose from for a per-service view.
    /// </summary>
    public async Task<ProjectBenchmarks> GetProjectAsync(Guid projectId, BenchmarkWindow window, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        var services = await db.Set<CdnService>().AsNoTracking()
            .Where(s => s.ProjectId == projectId && s.ArchivedAt == null)
            .OrderBy(s => s.Name)
            .Select(s => new { s.Id, s.Name, Providers = s.Providers.Select(p => new { p.ProviderAccountId, p.ProviderName }).ToList() })
            .ToListAsync(cancellationToken);
        var (from, until) = Bounds(window);
        var rows = await db.Set<BenchmarkProjectRollup>().AsNoTracking()
            .Where(r => r.ProjectId == projectId && r.Resolution == window.Source && r.BucketStart >= from && r.BucketStart < until)
            .Select(r => new RollupRow(r.ProviderAccountId, r.ProviderName, r.BucketStart, r.Count, r.Errors, r.Skipped, r.CacheHits, r.P50Ms, r.P95Ms, r.Histogram))
            .ToListAsync(cancellationToken);
        var providers = PerProvider(services.SelectMany(s => s.Providers.Select(p => (p.ProviderAccountId, p.ProviderName))), rows, window);
        return new ProjectBenchmarks(projectId, window, from, until, providers, [.. services.Select(s => new BenchmarkedService(s.Id, s.Name))]);
    }

    private (DateTimeOffset From, DateTimeOffset Until) Bounds(BenchmarkWindow window)
    {
        var until = RollupBuilder.Floor(clock.GetUtcNow(), RollupBuilder.SizeOf(window.Source));
        return (until - window.Length, until);
    }

    /// <summary>A rollup row as the query needs it (per-service or per-project: one row per provider and bucket).</summary>
    private sealed record RollupRow(
        Guid ProviderAccountId, string ProviderName, DateTimeOffset BucketStart, int Count, int Errors, int Skipped, int CacheHits,
        double? P50Ms, double? P95Ms, byte[] Histogram);

    /// <summary>Per provider (the given ones, and any that has rows): totals, percentiles and the series at the window's step.</summary>
    private static List<ProviderBenchmark> PerProvider(IEnumerable<(Guid AccountId, string Name)> known, List<RollupRow> rows, BenchmarkWindow window)
    {
        var providers = known
            .Concat(rows.Select(r => (r.ProviderAccountId, r.ProviderName)))
            .DistinctBy(p => p.Item1)
            .OrderBy(p => p.Item2, StringComparer.Ordinal)
            .ToList();
        var byProvider = rows.ToLookup(r => r.ProviderAccountId);
        var bucketSize = RollupBuilder.SizeOf(window.Source);

        // Two histograms for the whole query, reset per provider and per step.
        var total = new LatencyCounts();
        var step = new LatencyCounts();
        var result = new List<ProviderBenchmark>();
        foreach (var (accountId, name) in providers)
        {
            var mine = byProvider[accountId].OrderBy(r => r.BucketStart).ToList();
            total.Reset();
            long count = 0, errors = 0, skipped = 0, hits = 0;
            foreach (var row in mine)
            {
                total.Add(row.Histogram);
                count += row.Count;
                errors += row.Errors;
                skipped += row.Skipped;
                hits += row.CacheHits;
            }

            var series = new List<BenchmarkPoint>();
            for (var i = 0; i < mine.Count;)
            {
                var stepStart = RollupBuilder.Floor(mine[i].BucketStart, window.Step);
                var j = i;
                while (j < mine.Count && RollupBuilder.Floor(mine[j].BucketStart, window.Step) == stepStart)
                {
                    j++;
                }
                if (j - i == 1 && window.Step == bucketSize)
                {
                    // The step is the bucket: its own figures, no histogram to read.
                    var row = mine[i];
                    series.Add(new BenchmarkPoint(stepStart, row.Count, row.P50Ms, row.P95Ms, row.Errors));
                }
                else
                {
                    step.Reset();
                    int samples = 0, stepErrors = 0;
                    for (var k = i; k < j; k++)
                    {
                        step.Add(mine[k].Histogram);
                        samples += mine[k].Count;
                        stepErrors += mine[k].Errors;
                    }
                    series.Add(new BenchmarkPoint(stepStart, samples, step.Percentile(50), step.Percentile(95), stepErrors));
                }
                i = j;
            }
            result.Add(new ProviderBenchmark(name, accountId, count, errors, skipped,
                total.Percentile(50), total.Percentile(95), total.Percentile(99),
                count == 0 ? null : Math.Round((double)(count - errors) / count, 4),
                count - errors == 0 ? null : Math.Round((double)hits / (count - errors), 4),
                series));
        }
        return result;
    }
}
