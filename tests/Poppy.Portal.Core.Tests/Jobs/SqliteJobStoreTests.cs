using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Poppy.Portal.Core.Data;
using Poppy.Portal.TestSupport;
using Quartz;

namespace Poppy.Portal.Core.Tests.Jobs;

/// <summary>
/// Quartz's job store in the portal's SQLite file: jobs outlive the process that scheduled them, a job that was running
/// when its process stopped is run again, and a process with jobs disabled stores jobs without running them.
/// </summary>
public sealed class SqliteJobStoreTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_job_scheduled_before_a_restart_is_still_stored_and_runs_in_the_new_process()
    {
        using var temp = new TempDirectory("poppy-jobs");
        var connectionString = JobTestHost.SqliteConnectionString(temp.File("portal.db"));
        var run = Guid.NewGuid().ToString("N");
        var job = new JobKey(run, "tests");

        await using (var first = await JobTestHost.StartAsync(DatabaseProvider.Sqlite, connectionString))
        {
            var scheduler = await first.SchedulerAsync();
            await scheduler.ScheduleJob(RecordingJob.Detail(run), TriggerBuilder.Create()
                .WithIdentity(run, "tests")
                .StartAt(TimeProvider.System.GetUtcNow().AddSeconds(2))
                .Build());
        }
        Assert.Empty(RecordingJob.RunsOf(run));

        await using var second = await JobTestHost.StartAsync(DatabaseProvider.Sqlite, connectionString);
        var restarted = await second.SchedulerAsync();
        Assert.True(await restarted.Exists(job) || RecordingJob.RunsOf(run).Count > 0, "The job did not survive the restart.");

        await JobTestHost.WaitUntilAsync(() => RecordingJob.RunsOf(run).Count > 0, Deadline, "the stored job runs");
        Assert.Single(RecordingJob.RunsOf(run));
    }

    [Fact]
    public async Task A_recoverable_job_that_was_running_when_its_process_stopped_runs_again_on_restart()
    {
        using var temp = new TempDirectory("poppy-jobs");
        var connectionString = JobTestHost.SqliteConnectionString(temp.File("portal.db"));
        var run = Guid.NewGuid().ToString("N");
        var gate = RecordingJob.BlockFirstExecution(run);
        try
        {
            var first = await JobTestHost.StartAsync(DatabaseProvider.Sqlite, connectionString);
            var scheduler = await first.SchedulerAsync();
            await scheduler.ScheduleJob(RecordingJob.Detail(run, requestRecovery: true),
                TriggerBuilder.Create().WithIdentity(run, "tests").StartNow().Build());
            await JobTestHost.WaitUntilAsync(() => RecordingJob.RunsOf(run).Count == 1, Deadline, "the job is running");

            // The process goes away mid-job: its scheduler stops without waiting, the job never completes, so its
            // firing stays in qrtz_fired_triggers as a crash would leave it.
            await scheduler.Shutdown(waitForJobsToComplete: false);

            await using var second = await JobTestHost.StartAsync(DatabaseProvider.Sqlite, connectionString);
            await JobTestHost.WaitUntilAsync(() => RecordingJob.RunsOf(run).Count == 2, Deadline, "the interrupted job runs again");

            var runs = RecordingJob.RunsOf(run);
            Assert.False(runs[0].Recovering);
            Assert.True(runs[1].Recovering, "The second run should be Quartz's recovery of the interrupted one.");
            first.Host.Dispose();
        }
        finally
        {
            gate.TrySetResult();
        }
    }

    [Fact]
    public async Task With_jobs_disabled_a_scheduled_job_is_stored_but_runs_only_where_jobs_are_enabled()
    {
        using var temp = new TempDirectory("poppy-jobs");
        var connectionString = JobTestHost.SqliteConnectionString(temp.File("portal.db"));
        var run = Guid.NewGuid().ToString("N");
        var disabled = new Dictionary<string, string?> { ["Portal:Jobs:Enabled"] = "false" };

        await using (var webOnly = await JobTestHost.StartAsync(DatabaseProvider.Sqlite, connectionString, disabled))
        {
            Assert.DoesNotContain(webOnly.Host.Services.GetServices<IHostedService>(),
                service => service.GetType().Namespace?.StartsWith("Quartz", StringComparison.Ordinal) == true);
            var scheduler = await webOnly.SchedulerAsync();
            await scheduler.ScheduleJob(RecordingJob.Detail(run), TriggerBuilder.Create().WithIdentity(run, "tests").StartNow().Build());

            Assert.NotEqual(SchedulerStatus.Running, scheduler.Status);
            Assert.True(await scheduler.Exists(new JobKey(run, "tests")));
            // Due at once, yet nothing picks it up here.
            await Task.Delay(TimeSpan.FromMilliseconds(750));
            Assert.Empty(RecordingJob.RunsOf(run));
        }

        await using var worker = await JobTestHost.StartAsync(DatabaseProvider.Sqlite, connectionString);
        await JobTestHost.WaitUntilAsync(() => RecordingJob.RunsOf(run).Count > 0, Deadline, "a process with jobs enabled runs it");
        Assert.Single(RecordingJob.RunsOf(run));
    }

    [Fact]
    public async Task The_scheduler_refuses_a_database_whose_quartz_tables_are_incomplete()
    {
        using var temp = new TempDirectory("poppy-jobs");
        var connectionString = JobTestHost.SqliteConnectionString(temp.File("portal.db"));
        await using var host = await JobTestHost.StartAsync(DatabaseProvider.Sqlite, connectionString, start: false);
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var drop = connection.CreateCommand();
            drop.CommandText = "DROP TABLE qrtz_locks";
            await drop.ExecuteNonQueryAsync();
        }

        // Schema validation at startup: a missing migration fails here, naming the table, not later inside a job.
        var refused = await Assert.ThrowsAnyAsync<Exception>(async () => await host.SchedulerAsync());
        Assert.Contains("LOCKS", refused.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
