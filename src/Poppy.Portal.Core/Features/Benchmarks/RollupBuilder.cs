using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>What one rollup run did.</summary>
public sealed record RollupRunResult(int MinuteBuckets, int HourBuckets, int SamplesDeleted, int RollupsDeleted);

/// <summary>
/// Brings the per-minute and per-hour rollups up to date from the raw samples and applies retention. Each resolution
/// has a watermark (rolled up to here, exclusive): a run rolls the closed buckets after it, in chunks, each chunk's rows
/// and the new watermark saved in one transaction, so a crash mid-run leaves no half bucket and the next run continues.
/// A bucket is closed once no probe that started in it can still be running (its end + the probe timeout + a tick).
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
        return new RollupRunResult(minutes, hours, samples, rollups);
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
            var rows = await BuildAsync(db, resolution, start, chunkEnd, cancellationToken);
            db.AddRange(rows);
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
                        bucket.Latency.Record(total);
                    }
                    if (s.CacheStatus == "hit")
                    {
                        bucket.CacheHits++;
                    }
                    break;
            }
        }
        return open.Select(e => new BenchmarkRollup
        {
            ServiceId = e.Key.Service,
            ProviderAccountId = e.Key.Account,
            ProviderName = e.Value.Provider,
            Resolution = resolution,
            BucketStart = e.Key.Bucket,
            Count = e.Value.Count,
            Errors = e.Value.Errors,
            Skipped = e.Value.Skipped,
            CacheHits = e.Value.CacheHits,
            P50Ms = e.Value.Latency.Percentile(50),
            P95Ms = e.Value.Latency.Percentile(95),
            P99Ms = e.Value.Latency.Percentile(99),
            MeanMs = e.Value.Latency.Mean,
            Histogram = e.Value.Latency.Encode(),
        }).ToList();
    }

    private sealed class Accumulator(string provider)
    {
        public string Provider { get; } = provider;
        public int Count, Errors, Skipped, CacheHits;
        public LatencyHistogram Latency { get; } = new();
    }
}
