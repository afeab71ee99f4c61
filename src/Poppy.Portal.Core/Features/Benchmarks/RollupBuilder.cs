using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>What one rollup run did.</summary>
/// <param name="ProjectBucketsFolded">Project rollups built from per-service rollups written before the project table existed.</param>
public sealed record RollupRunResult(int MinuteBuckets, int HourBuckets, int SamplesDeleted, int RollupsDeleted, int ProjectRollupsDeleted = 0,
    int ProjectBucketsFolded = 0);

/// <summary>
/// Brings the per-minute and per-hour rollups up to date from the raw samples and applies retention. Each resolution
/// has a watermark (rolled up to here, exclusive): a run rolls the closed buckets after it, in chunks, each chunk's rows
/// and the new watermark saved in one transaction, so a crash mid-run leaves no half bucket and the next run continues.
/// A bucket is closed once no probe that started in it can still be running (its end + the probe timeout + a tick).
/// Each chunk also writes the per-project rollups of its buckets (the board's), summed from its per-service rows; after
/// an upgrade, per-service rollups older than the oldest project rollup are folded into project rollups, newest first.
/// </summary>
public sealed class RollupBuilder(IServiceScopeFactory scopes, IOptions<BenchmarkOptions> options, TimeProvider clock)
{
    public static TimeSpan SizeOf(RollupResolution resolution) => resolution == RollupResolution.Minute ? TimeSpan.FromMinutes(1) : TimeSpan.FromHours(1);

    public static DateTimeOffset Floor(DateTimeOffset time, TimeSpan size) =>
        new(time.UtcTicks - time.UtcTicks % size.Ticks, TimeSpan.Zero);

    public async Task<RollupRunResult> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var closedUntil = now - settings.ProbeTimeout - settings.Tick;
        await using var scope = scopes.CreateAsyncScope(Actor.System("benchmark-rollups"));
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();

        var minutes = await RollUpAsync(db, RollupResolution.Minute, closedUntil, now - settings.RawRetention, TimeSpan.FromHours(1), cancellationToken);
        var hours = await RollUpAsync(db, RollupResolution.Hour, closedUntil, now - settings.RawRetention, TimeSpan.FromHours(6), cancellationToken);

        // Retention: by time alone, on the At / (Resolution, BucketStart) indexes.
        var rawBefore = now - settings.RawRetention;
        var minuteBefore = now - settings.MinuteRetention;
        var hourBefore = now - settings.HourlyRetention;
        var samples = await db.Set<ProbeSample>().Where(s => s.At < rawBefore).ExecuteDeleteAsync(cancellationToken);
        var rollups = await db.Set<BenchmarkRollup>().Where(r => r.Resolution == RollupResolution.Minute && r.BucketStart < minuteBefore).ExecuteDeleteAsync(cancellationToken)
            + await db.Set<BenchmarkRollup>().Where(r => r.Resolution == RollupResolution.Hour && r.BucketStart < hourBefore).ExecuteDeleteAsync(cancellationToken);
        var projectRollups = await db.Set<BenchmarkProjectRollup>().Where(r => r.Resolution == RollupResolution.Minute && r.BucketStart < minuteBefore).ExecuteDeleteAsync(cancellationToken)
            + await db.Set<BenchmarkProjectRollup>().Where(r => r.Resolution == RollupResolution.Hour && r.BucketStart < hourBefore).ExecuteDeleteAsync(cancellationToken);

        var folded = await FoldAsync(db, RollupResolution.Minute, TimeSpan.FromHours(1), cancellationToken)
            + await FoldAsync(db, RollupResolution.Hour, TimeSpan.FromHours(6), cancellationToken);
        return new RollupRunResult(minutes, hours, samples, rollups, projectRollups, folded);
    }

    /// <summary>
    /// Folds per-service rollups that have no project rollups yet (written before the project table existed) into
    /// project rollups: each step takes the chunk that ends with the newest per-service bucket older than the oldest
    /// project bucket, so progress needs no bookkeeping of its own and a crash between chunks loses nothing.
    /// </summary>
    private static async Task<int> FoldAsync(PortalDbContext db, RollupResolution resolution, TimeSpan chunk, CancellationToken cancellationToken)
    {
        var size = SizeOf(resolution);
        var folded = 0;
        while (true)
        {
            var oldestProject = await db.Set<BenchmarkProjectRollup>().Where(r => r.Resolution == resolution)
                .MinAsync(r => (DateTimeOffset?)r.BucketStart, cancellationToken);
            var newestUnfolded = await db.Set<BenchmarkRollup>()
                .Where(r => r.Resolution == resolution && (oldestProject == null || r.BucketStart < oldestProject))
                .MaxAsync(r => (DateTimeOffset?)r.BucketStart, cancellationToken);
            if (newestUnfolded is not { } newest)
            {
                return folded;
            }
            var end = newest + size;
            var start = end - chunk;
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await db.Set<BenchmarkProjectRollup>()
                .Where(r => r.Resolution == resolution && r.BucketStart >= start && r.BucketStart < end)
                .ExecuteDeleteAsync(cancellationToken);
            var rows = await db.Set<BenchmarkRollup>().AsNoTracking()
                .Where(r => r.Resolution == resolution && r.BucketStart >= start && r.BucketStart < end)
                .ToListAsync(cancellationToken);
            var projects = await ProjectsOfAsync(db, rows, cancellationToken);
            var projectRows = ProjectRollups(rows, projects);
            db.AddRange(projectRows);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            db.ChangeTracker.Clear();
            folded += projectRows.Count;
        }
    }

    /// <summary>The project of each service with rows (archived ones too: their samples count where they were taken).</summary>
    private static async Task<Dictionary<Guid, Guid>> ProjectsOfAsync(PortalDbContext db, List<BenchmarkRollup> rows, CancellationToken cancellationToken)
    {
        var ids = rows.Select(r => r.ServiceId).Distinct().ToList();
        return ids.Count == 0
            ? []
            : await db.Set<CdnService>().AsNoTracking().Where(s => ids.Contains(s.Id))
                .ToDictionaryAsync(s => s.Id, s => s.ProjectId, cancellationToken);
    }

    /// <summary>
    /// The project rollups of per-service rollups: per project, provider account, resolution and bucket, the counts
    /// summed and the histograms added (percentiles and mean from the sum). Rows of services not in
    /// <paramref name="projectOf"/> (deleted) are left out.
    /// </summary>
    public static List<BenchmarkProjectRollup> ProjectRollups(IEnumerable<BenchmarkRollup> rows, IReadOnlyDictionary<Guid, Guid> projectOf)
    {
        var latency = new LatencyCounts();
        var result = new List<BenchmarkProjectRollup>();
        foreach (var bucket in rows
                     .Where(r => projectOf.ContainsKey(r.ServiceId))
                     .GroupBy(r => (Project: projectOf[r.ServiceId], r.ProviderAccountId, r.Resolution, r.BucketStart)))
        {
            latency.Reset();
            int services = 0, count = 0, errors = 0, skipped = 0, hits = 0;
            foreach (var row in bucket)
            {
                services++;
                count += row.Count;
                errors += row.Errors;
                skipped += row.Skipped;
                hits += row.CacheHits;
                latency.Add(row.Histogram);
            }
            result.Add(new BenchmarkProjectRollup
            {
                ProjectId = bucket.Key.Project,
                ProviderAccountId = bucket.Key.ProviderAccountId,
                ProviderName = bucket.First().ProviderName,
                Resolution = bucket.Key.Resolution,
                BucketStart = bucket.Key.BucketStart,
                Services = services,
                Count = count,
                Errors = errors,
                Skipped = skipped,
                CacheHits = hits,
                P50Ms = latency.Percentile(50),
                P95Ms = latency.Percentile(95),
                P99Ms = latency.Percentile(99),
                MeanMs = latency.Mean,
                Histogram = latency.Encode(),
            });
        }
        return result;
    }

    private static async Task<int> RollUpAsync(PortalDbContext db, RollupResolution resolution, DateTimeOffset closedUntil,
        DateTimeOffset oldestRaw, TimeSpan chunk, CancellationToken cancellationToken)
    {
        var size = SizeOf(resolution);
        var end = Floor(closedUntil, size);
        var watermark = await db.Set<BenchmarkRollupWatermark>().FirstOrDefaultAsync(w => w.Resolution == resolution, cancellationToken);
        DateTimeOffset start;
        if (watermark is not null)
        {
            start = watermark.RolledUntil;
        }
        else
        {
            // First run: from the oldest sample there is.
            var oldest = await db.Set<ProbeSample>().OrderBy(s => s.At).Select(s => (DateTimeOffset?)s.At).FirstOrDefaultAsync(cancellationToken);
            start = oldest is { } at ? Floor(at, size) : end;
            watermark = new BenchmarkRollupWatermark { Resolution = resolution, RolledUntil = start };
            db.Add(watermark);
        }
        // Samples older than the raw retention are gone (or going): nothing to roll from them.
        var retained = Floor(oldestRaw, size) + size;
        if (start < retained)
        {
            start = retained;
        }

        var buckets = 0;
        while (start < end)
        {
            var chunkEnd = start + chunk < end ? start + chunk : end;
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // Idempotent: rows of this range from an earlier run that died before moving the watermark are replaced.
            await db.Set<BenchmarkRollup>()
                .Where(r => r.Resolution == resolution && r.BucketStart >= start && r.BucketStart < chunkEnd)
                .ExecuteDeleteAsync(cancellationToken);
            await db.Set<BenchmarkProjectRollup>()
                .Where(r => r.Resolution == resolution && r.BucketStart >= start && r.BucketStart < chunkEnd)
                .ExecuteDeleteAsync(cancellationToken);
            var rows = await BuildAsync(db, resolution, start, chunkEnd, cancellationToken);
            db.AddRange(rows);
            db.AddRange(ProjectRollups(rows, await ProjectsOfAsync(db, rows, cancellationToken)));
            watermark.RolledUntil = chunkEnd;
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            db.ChangeTracker.Clear();
            watermark = await db.Set<BenchmarkRollupWatermark>().FirstAsync(w => w.Resolution == resolution, cancellationToken);
            buckets += rows.Count;
            start = chunkEnd;
        }
        if (db.ChangeTracker.HasChanges())
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        return buckets;
    }

    /// <summary>The rollup rows of [from, until) from the raw samples, streamed in time order.</summary>
    internal static async Task<List<BenchmarkRollup>> BuildAsync(PortalDbContext db, RollupResolution resolution, DateTimeOffset from,
        DateTimeOffset until, CancellationToken cancellationToken)
    {
        var size = SizeOf(resolution);
        var open = new Dictionary<(Guid Service, Guid Account, DateTimeOffset Bucket), Accumulator>();
        var samples = db.Set<ProbeSample>().AsNoTracking()
            .Where(s => s.At >= from && s.At < until)
            .Select(s => new { s.ServiceId, s.ProviderAccountId, s.ProviderName, s.At, s.Outcome, s.TotalMs, s.CacheStatus })
            .AsAsyncEnumerable();
        await foreach (var s in samples.WithCancellation(cancellationToken))
        {
            var key = (s.ServiceId, s.ProviderAccountId, Floor(s.At, size));
            if (!open.TryGetValue(key, out var bucket))
            {
                open[key] = bucket = new Accumulator(s.ProviderName);
            }
            switch (s.Outcome)
            {
                case ProbeOutcome.Skipped:
                    bucket.Skipped++;
                    break;
                case ProbeOutcome.Error:
                    bucket.Count++;
                    bucket.Errors++;
                    break;
                default:
                    bucket.Count++;
                    if (s.TotalMs is { } total)
                    {
                        bucket.Totals.Add(total);
                    }
                    if (s.CacheStatus == "hit")
                    {
                        bucket.CacheHits++;
                    }
                    break;
            }
        }
        // One histogram, reset per bucket: a bucket of a few probes does not hold a 180 KB histogram of its own.
        var latency = new LatencyCounts();
        var rows = new List<BenchmarkRollup>(open.Count);
        foreach (var (key, bucket) in open)
        {
            latency.Reset();
            foreach (var total in bucket.Totals)
            {
                latency.Record(total);
            }
            rows.Add(new BenchmarkRollup
            {
                ServiceId = key.Service,
                ProviderAccountId = key.Account,
                ProviderName = bucket.Provider,
                Resolution = resolution,
                BucketStart = key.Bucket,
                Count = bucket.Count,
                Errors = bucket.Errors,
                Skipped = bucket.Skipped,
                CacheHits = bucket.CacheHits,
                P50Ms = latency.Percentile(50),
                P95Ms = latency.Percentile(95),
                P99Ms = latency.Percentile(99),
                MeanMs = latency.Mean,
                Histogram = latency.Encode(),
            });
        }
        return rows;
    }

    private sealed class Accumulator(string provider)
    {
        public string Provider { get; } = provider;
        public int Count, Errors, Skipped, CacheHits;
        public List<double> Totals { get; } = [];
    }
}
