using Poppy.Portal.Core.Data;
using Poppy.Portal.TestSupport;
using Quartz;

namespace Poppy.Portal.Core.Tests.Jobs;

/// <summary>Two portal processes on one PostgreSQL database form a Quartz cluster and share the work without doubling it.</summary>
public sealed class PostgresClusterTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Two_clustered_nodes_run_every_job_exactly_once_and_share_them()
    {
        // Pooled here (the fixture's strings are not): Quartz opens a connection per operation, and without a pool
        // scheduling 20 jobs costs seconds.
        var connectionString = (await postgres.CreateDatabaseAsync("jobs")).Replace("Pooling=false", "Pooling=true", StringComparison.Ordinal);
        // Four at a time per node, each job holding a moment, so that one node cannot take the whole batch alone.
        var settings = new Dictionary<string, string?> { ["Portal:Jobs:MaxConcurrency"] = "4" };
        var runs = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid().ToString("N")).ToList();

        await using var first = await JobTestHost.StartAsync(DatabaseProvider.PostgreSQL, connectionString, settings, start: false);
        await using var second = await JobTestHost.StartAsync(DatabaseProvider.PostgreSQL, connectionString, settings, start: false, migrate: false);

        // Scheduled into the shared store before either node runs, due shortly, so both nodes find them on their
        // first acquisition rather than one idle node sleeping until its next poll.
        var scheduler = await first.SchedulerAsync();
        var fireAt = TimeProvider.System.GetUtcNow().AddSeconds(2);
        foreach (var run in runs)
        {
            await scheduler.ScheduleJob(RecordingJob.Detail(run, holdMilliseconds: 200),
                TriggerBuilder.Create().WithIdentity(run, "tests").StartAt(fireAt).Build());
        }
        await Task.WhenAll(first.Host.StartAsync(), second.Host.StartAsync());

        await JobTestHost.WaitUntilAsync(() => RecordingJob.RunCount(runs) >= runs.Count, TimeSpan.FromSeconds(20), "all 20 jobs ran");
        // Let anything still in flight finish, so a late duplicate would be counted.
        var firstScheduler = await first.SchedulerAsync();
        var secondScheduler = await second.SchedulerAsync();
        Assert.NotEqual(firstScheduler.SchedulerInstanceId, secondScheduler.SchedulerInstanceId);
        await first.Host.StopAsync();
        await second.Host.StopAsync();

        Assert.All(runs, run => Assert.Single(RecordingJob.RunsOf(run)));
        var byNode = runs.SelectMany(RecordingJob.RunsOf).GroupBy(r => r.SchedulerInstanceId).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(byNode.Count == 2,
            "Both nodes should have run some jobs: " + string.Join(", ", byNode.Select(n => $"{n.Key}={n.Value}")));
    }
}
