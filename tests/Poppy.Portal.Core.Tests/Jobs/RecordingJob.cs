using System.Collections.Concurrent;
using Quartz;

namespace Poppy.Portal.Core.Tests.Jobs;

/// <summary>One execution of <see cref="RecordingJob"/>: which scheduler node ran it, and whether as a recovery.</summary>
internal sealed record JobRun(string Run, string SchedulerInstanceId, bool Recovering);

/// <summary>
/// A test job that records every execution under the run key in its (string) job data, so tests in parallel do not
/// see each other's runs. It can hold for a while, or block until released (a process stuck mid-job).
/// </summary>
public sealed class RecordingJob : IJob
{
    public const string RunKey = "run";
    public const string HoldMillisecondsKey = "hold-ms";

    private static readonly ConcurrentDictionary<string, ConcurrentQueue<JobRun>> Runs = new();
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Gates = new();

    internal static IReadOnlyList<JobRun> RunsOf(string run) =>
        Runs.TryGetValue(run, out var runs) ? runs.ToArray() : [];

    internal static int RunCount(IEnumerable<string> runs) => runs.Sum(run => RunsOf(run).Count);

    /// <summary>Makes the first (non-recovering) execution of <paramref name="run"/> block until the returned gate is released.</summary>
    internal static TaskCompletionSource BlockFirstExecution(string run) =>
        Gates.GetOrAdd(run, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    internal static IJobDetail Detail(string run, bool requestRecovery = false, int holdMilliseconds = 0) =>
        JobBuilder.Create<RecordingJob>()
            .WithIdentity(run, "tests")
            .UsingJobData(RunKey, run)
            .UsingJobData(HoldMillisecondsKey, holdMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .RequestRecovery(requestRecovery)
            .Build();

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var run = context.MergedJobDataMap.GetString(RunKey) ?? throw new InvalidOperationException("No run key.");
        Runs.GetOrAdd(run, _ => new ConcurrentQueue<JobRun>())
            .Enqueue(new JobRun(run, context.Scheduler.SchedulerInstanceId, context.Recovering));

        if (!context.Recovering && Gates.TryGetValue(run, out var gate))
        {
            // Deliberately deaf to cancellation: this stands for a process that dies mid-job.
            await gate.Task;
            return;
        }
        var hold = int.Parse(context.MergedJobDataMap.GetString(HoldMillisecondsKey) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        if (hold > 0)
        {
            await Task.Delay(hold, cancellationToken);
        }
    }
}
