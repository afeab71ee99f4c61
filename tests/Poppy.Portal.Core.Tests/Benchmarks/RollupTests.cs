using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Core.Tests.Benchmarks;

/// <summary>
/// Rollups and retention against the raw samples they come from, on an injected clock, on SQLite and PostgreSQL: every
/// minute's and hour's counts equal the samples', its percentiles are the samples' exact nearest-rank percentiles within
/// the histogram's 0.1 %, a second run changes nothing, and retention removes exactly what is older than its limit.
/// The project rollups (two services of one project) are the sums of the per-service ones and agree with the samples,
/// are rebuilt the same from per-service rollups after an upgrade, follow the same retention, and the project board
/// read from them shows what the board computed from every service's rollups before.
/// </summary>
public sealed class RollupTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Sqlite_rollups_and_retention_agree_with_the_raw_samples()
    {
        using var folder = new TempDirectory("poppy-rollups");
        await CheckAsync(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(folder.Path, "portal.db")};Pooling=False");
    }

    [Fact]
    public async Task Postgres_rollups_and_retention_agree_with_the_raw_samples() =>
        await CheckAsync(DatabaseProvider.PostgreSQL, await postgres.CreateDatabaseAsync("rollups"));

    private static async Task CheckAsync(DatabaseProvider provider, string connectionString)
    {
        var clock = new ManualClock(Start);
        await using var store = await BenchmarkStore.CreateAsync(provider, connectionString, clock);
        var (projectId, serviceId) = await store.AddServiceAsync("rollups");
        var (_, otherId) = await store.AddServiceAsync("rollups-other", projectId);
        var fast = Guid.NewGuid();
        var slow = Guid.NewGuid();
        var samples = Generate(serviceId, fast, slow, seed: 12);
        var otherSamples = Generate(otherId, fast, slow, seed: 13);
        await using (var scope = store.Services.CreateAsyncScope(Actor.System()))
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            db.AddRange(samples);
            db.AddRange(otherSamples);
            await db.SaveChangesAsync();
        }

        // Three hours of samples; it is now ten minutes past their end.
        clock.Advance(TimeSpan.FromHours(3) + TimeSpan.FromMinutes(10));
        var builder = store.Services.GetRequiredService<RollupBuilder>();
        var first = await builder.RunAsync(default);
        Assert.True(first.MinuteBuckets > 0);
        var again = await builder.RunAsync(default);
        Assert.Equal(0, again.MinuteBuckets);
        Assert.Equal(0, again.HourBuckets);
        Assert.Equal(0, again.ProjectBucketsFolded);

        var everything = await ReadAsync<BenchmarkRollup>(store);
        var projectRollups = await ReadAsync<BenchmarkProjectRollup>(store);
        CheckProjectRollups(everything, projectRollups, samples.Concat(otherSamples).ToList(), projectId);
        await CheckBoardAsync(store, projectId, everything);

        // An upgrade: per-service rollups without project rollups. The next run folds them into the same rows.
        await using (var scope = store.Services.CreateAsyncScope(Actor.System()))
        {
            await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<BenchmarkProjectRollup>().ExecuteDeleteAsync();
        }
        var upgrade = await builder.RunAsync(default);
        Assert.Equal(projectRollups.Count, upgrade.ProjectBucketsFolded);
        Assert.Equal(
            projectRollups.Select(Shape).Order().ToList(),
            (await ReadAsync<BenchmarkProjectRollup>(store)).Select(Shape).Order().ToList());
        Assert.Equal(0, (await builder.RunAsync(default)).ProjectBucketsFolded);

        var rollups = everything.Where(r => r.ServiceId == serviceId).ToList();
        foreach (var resolution in new[] { RollupResolution.Minute, RollupResolution.Hour })
        {
            var size = RollupBuilder.SizeOf(resolution);
            var expected = samples.GroupBy(s => (s.ProviderAccountId, Bucket: RollupBuilder.Floor(s.At, size))).ToList();
            var actual = rollups.Where(r => r.Resolution == resolution).ToList();
            Assert.Equal(expected.Count, actual.Count);
            foreach (var group in expected)
            {
                var row = actual.Single(r => r.ProviderAccountId == group.Key.ProviderAccountId && r.BucketStart == group.Key.Bucket);
                var verdicts = group.Where(s => s.Outcome != ProbeOutcome.Skipped).ToList();
                Assert.Equal(verdicts.Count, row.Count);
                Assert.Equal(group.Count(s => s.Outcome == ProbeOutcome.Error), row.Errors);
                Assert.Equal(group.Count(s => s.Outcome == ProbeOutcome.Skipped), row.Skipped);
                Assert.Equal(group.Count(s => s.Outcome == ProbeOutcome.Ok && s.CacheStatus == "hit"), row.CacheHits);
                var totals = group.Where(s => s.Outcome == ProbeOutcome.Ok).Select(s => s.TotalMs!.Value).ToList();
                AssertClose(Exact(totals, 50), row.P50Ms);
                AssertClose(Exact(totals, 95), row.P95Ms);
                AssertClose(Exact(totals, 99), row.P99Ms);
                AssertClose(totals.Count == 0 ? null : totals.Average(), row.MeanMs);
            }
        }

        // The API's numbers for the last 24 h (minute rollups) over the whole three hours.
        await using (var scope = store.Services.CreateAsyncScope(Actor.System()))
        {
            var query = scope.ServiceProvider.GetRequiredService<BenchmarkQuery>();
            var day = (await query.GetAsync(projectId, serviceId, BenchmarkWindow.OneDay, default))!;
            var fastRow = day.Providers.Single(p => p.ProviderAccountId == fast);
            var fastSamples = samples.Where(s => s.ProviderAccountId == fast && s.Outcome != ProbeOutcome.Skipped).ToList();
            Assert.Equal(fastSamples.Count, fastRow.Samples);
            var okTotals = fastSamples.Where(s => s.Outcome == ProbeOutcome.Ok).Select(s => s.TotalMs!.Value).ToList();
            AssertClose(Exact(okTotals, 95), fastRow.P95Ms);
            Assert.Equal(Math.Round((double)okTotals.Count / fastSamples.Count, 4), fastRow.Availability);
            Assert.Equal(3 * 12, fastRow.Series.Count); // 5-minute steps
            Assert.Equal(fastSamples.Count, fastRow.Series.Sum(p => p.Samples));
            var slowRow = day.Providers.Single(p => p.ProviderAccountId == slow);
            Assert.True(slowRow.P50Ms > fastRow.P95Ms);
        }

        // Retention: 49 h later, raw samples (48 h) and minute rollups (48 h) of the first hour are gone; hours stay.
        clock.Advance(TimeSpan.FromHours(46));
        var retention = await builder.RunAsync(default);
        var cutoff = clock.GetUtcNow() - TimeSpan.FromHours(48);
        Assert.Equal(samples.Concat(otherSamples).Count(s => s.At < cutoff), retention.SamplesDeleted);
        Assert.Equal(samples.Concat(otherSamples).Count(s => s.At >= cutoff), (await ReadAsync<ProbeSample>(store)).Count);
        var left = (await ReadAsync<BenchmarkRollup>(store)).Where(r => r.ServiceId == serviceId).ToList();
        Assert.All(left.Where(r => r.Resolution == RollupResolution.Minute), r => Assert.True(r.BucketStart >= cutoff));
        Assert.Equal(rollups.Count(r => r.Resolution == RollupResolution.Hour), left.Count(r => r.Resolution == RollupResolution.Hour));
        var projectLeft = await ReadAsync<BenchmarkProjectRollup>(store);
        Assert.Equal(projectRollups.Count(r => r.Resolution == RollupResolution.Minute && r.BucketStart < cutoff), retention.ProjectRollupsDeleted);
        Assert.All(projectLeft.Where(r => r.Resolution == RollupResolution.Minute), r => Assert.True(r.BucketStart >= cutoff));
        Assert.Equal(projectRollups.Count(r => r.Resolution == RollupResolution.Hour), projectLeft.Count(r => r.Resolution == RollupResolution.Hour));
        // What retention removed is not folded back from anything.
        Assert.Equal(0, retention.ProjectBucketsFolded);

        // 31 days on, the hourly rollups are gone as well.
        clock.Advance(TimeSpan.FromDays(31));
        await builder.RunAsync(default);
        Assert.Empty(await ReadAsync<BenchmarkRollup>(store));
        Assert.Empty(await ReadAsync<BenchmarkProjectRollup>(store));
        Assert.Empty(await ReadAsync<ProbeSample>(store));
    }

    /// <summary>
    /// Every project rollup is the sum of the bucket's per-service rollups (counts added, percentiles those of the
    /// added histograms) and its percentiles are the raw samples' within the histogram's precision.
    /// </summary>
    private static void CheckProjectRollups(List<BenchmarkRollup> perService, List<BenchmarkProjectRollup> perProject, List<ProbeSample> samples, Guid projectId)
    {
        Assert.All(perProject, r => Assert.Equal(projectId, r.ProjectId));
        foreach (var resolution in new[] { RollupResolution.Minute, RollupResolution.Hour })
        {
            var buckets = perService.Where(r => r.Resolution == resolution).GroupBy(r => (r.ProviderAccountId, r.BucketStart)).ToList();
            Assert.Equal(buckets.Count, perProject.Count(r => r.Resolution == resolution));
            var size = RollupBuilder.SizeOf(resolution);
            foreach (var bucket in buckets)
            {
                var row = perProject.Single(r => r.Resolution == resolution && r.ProviderAccountId == bucket.Key.ProviderAccountId && r.BucketStart == bucket.Key.BucketStart);
                Assert.Equal(bucket.Count(), row.Services);
                Assert.Equal(bucket.Sum(r => r.Count), row.Count);
                Assert.Equal(bucket.Sum(r => r.Errors), row.Errors);
                Assert.Equal(bucket.Sum(r => r.Skipped), row.Skipped);
                Assert.Equal(bucket.Sum(r => r.CacheHits), row.CacheHits);
                var added = new LatencyHistogram();
                foreach (var r in bucket)
                {
                    added.Add(LatencyHistogram.Decode(r.Histogram));
                }
                Assert.Equal(added.Percentile(50), row.P50Ms);
                Assert.Equal(added.Percentile(95), row.P95Ms);
                Assert.Equal(added.Percentile(99), row.P99Ms);
                Assert.Equal(added.Mean, row.MeanMs);

                var totals = samples
                    .Where(s => s.ProviderAccountId == bucket.Key.ProviderAccountId && RollupBuilder.Floor(s.At, size) == bucket.Key.BucketStart && s.Outcome == ProbeOutcome.Ok)
                    .Select(s => s.TotalMs!.Value).ToList();
                AssertClose(Exact(totals, 50), row.P50Ms);
                AssertClose(Exact(totals, 95), row.P95Ms);
                AssertClose(Exact(totals, 99), row.P99Ms);
            }
        }
    }

    /// <summary>
    /// The board read from the project rollups equals the board as computed before them: every live service's rollups,
    /// each histogram decoded and added, per provider and per step.
    /// </summary>
    private static async Task CheckBoardAsync(BenchmarkStore store, Guid projectId, List<BenchmarkRollup> perService)
    {
        await using var scope = store.Services.CreateAsyncScope(Actor.System());
        var query = scope.ServiceProvider.GetRequiredService<BenchmarkQuery>();
        foreach (var window in BenchmarkWindow.All)
        {
            var board = await query.GetProjectAsync(projectId, window, default);
            Assert.Equal(2, board.Services.Count);
            var expectedProviders = perService.Select(r => r.ProviderName).Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expectedProviders, board.Providers.Select(p => p.Provider));
            foreach (var provider in board.Providers)
            {
                var rows = perService.Where(r => r.ProviderAccountId == provider.ProviderAccountId && r.Resolution == window.Source
                    && r.BucketStart >= board.From && r.BucketStart < board.Until).ToList();
                var total = new LatencyHistogram();
                var series = new List<BenchmarkPoint>();
                foreach (var step in rows.GroupBy(r => RollupBuilder.Floor(r.BucketStart, window.Step)).OrderBy(g => g.Key))
                {
                    var latency = new LatencyHistogram();
                    foreach (var row in step)
                    {
                        latency.Add(LatencyHistogram.Decode(row.Histogram));
                    }
                    total.Add(latency);
                    series.Add(new BenchmarkPoint(step.Key, step.Sum(r => r.Count), latency.Percentile(50), latency.Percentile(95), step.Sum(r => r.Errors)));
                }
                long count = rows.Sum(r => r.Count), errors = rows.Sum(r => r.Errors), hits = rows.Sum(r => r.CacheHits);
                Assert.True(window == BenchmarkWindow.OneHour || count > 0, $"{window.Name}: nothing to compare");
                Assert.Equal(count, provider.Samples);
                Assert.Equal(errors, provider.Errors);
                Assert.Equal(rows.Sum(r => (long)r.Skipped), provider.Skipped);
                Assert.Equal(total.Percentile(50), provider.P50Ms);
                Assert.Equal(total.Percentile(95), provider.P95Ms);
                Assert.Equal(total.Percentile(99), provider.P99Ms);
                Assert.Equal(count == 0 ? null : Math.Round((double)(count - errors) / count, 4), provider.Availability);
                Assert.Equal(count - errors == 0 ? null : Math.Round((double)hits / (count - errors), 4), provider.CacheHitRatio);
                Assert.Equal(series, provider.Series);
            }
        }
    }

    private static string Shape(BenchmarkProjectRollup r) =>
        $"{r.ProjectId} {r.ProviderAccountId} {r.ProviderName} {r.Resolution} {r.BucketStart:O} {r.Services} {r.Count} {r.Errors} {r.Skipped} {r.CacheHits} "
        + $"{r.P50Ms} {r.P95Ms} {r.P99Ms} {r.MeanMs} {Convert.ToHexString(r.Histogram)}";

    /// <summary>Three hours of probes every 10 s for two providers: one fast with some errors and hits, one slow, some skipped.</summary>
    private static List<ProbeSample> Generate(Guid serviceId, Guid fast, Guid slow, int seed)
    {
        var random = new Random(seed);
        var samples = new List<ProbeSample>();
        for (var at = Start; at < Start + TimeSpan.FromHours(3); at += TimeSpan.FromSeconds(10))
        {
            foreach (var (account, name, baseMs) in new[] { (fast, "fast", 20.0), (slow, "slow", 120.0) })
            {
                var roll = random.NextDouble();
                var outcome = roll < 0.05 ? ProbeOutcome.Error : roll < 0.08 ? ProbeOutcome.Skipped : ProbeOutcome.Ok;
                samples.Add(new ProbeSample
                {
                    ServiceId = serviceId, ProviderAccountId = account, ProviderName = name, At = at + TimeSpan.FromMilliseconds(random.Next(1000)),
                    Outcome = outcome,
                    TotalMs = outcome == ProbeOutcome.Ok ? Math.Round(baseMs + random.NextDouble() * baseMs * (random.NextDouble() < 0.1 ? 5 : 1), 3) : null,
                    Status = outcome == ProbeOutcome.Ok ? 200 : outcome == ProbeOutcome.Error ? 503 : null,
                    CacheStatus = outcome == ProbeOutcome.Ok ? (random.NextDouble() < 0.7 ? "hit" : "miss") : null,
                });
            }
        }
        return samples;
    }

    /// <summary>
    /// The percentile computed the plain way (the test's reference, not the portal's method), with HdrHistogram's rank:
    /// the value of rank p/100 × n rounded half up (at least 1), in ascending order.
    /// </summary>
    private static double? Exact(List<double> values, double percentile)
    {
        if (values.Count == 0)
        {
            return null;
        }
        var sorted = values.Order().ToList();
        var rank = (int)(percentile / 100 * sorted.Count + 0.5);
        return sorted[Math.Max(rank, 1) - 1];
    }

    private static void AssertClose(double? expected, double? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }
        Assert.NotNull(actual);
        Assert.True(Math.Abs(actual.Value - expected.Value) <= expected.Value * 0.001 + 0.002, $"expected {expected} ± 0.1 %, got {actual}");
    }

    private static async Task<List<T>> ReadAsync<T>(BenchmarkStore store) where T : class
    {
        await using var scope = store.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<T>().AsNoTracking().ToListAsync();
    }
}
