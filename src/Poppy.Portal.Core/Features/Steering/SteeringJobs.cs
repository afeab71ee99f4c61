using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Features.Benchmarks;
using Quartz;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>
/// A steering round per firing, numbered by its scheduled time: Quartz fires the trigger once in the cluster, and the
/// per-service round guard (<see cref="ServiceSteering.LastRound"/>) keeps even a repeated firing from deciding twice.
/// </summary>
[DisallowConcurrentExecution]
public sealed class SteeringRoundJob(SteeringRound round, IOptions<SteeringOptions> options) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var at = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        await round.RunAsync(SteeringRound.RoundAt(at, options.Value.RoundInterval), cancellationToken);
    }
}

/// <summary>Puts the steering job into the (shared) job store at start, or removes it when steering is off.</summary>
public sealed class SteeringSchedule(ISchedulerFactory schedulers, IOptions<SteeringOptions> options, TimeProvider clock) : IHostedService
{
    public const string Group = "steering";
    public static readonly JobKey RoundJob = new("steering-round", Group);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var settings = options.Value;
        if (!settings.Enabled)
        {
            await scheduler.DeleteJob(RoundJob, cancellationToken);
            return;
        }
        var key = new TriggerKey(RoundJob.Name, Group);
        if (await scheduler.GetTrigger(key, cancellationToken) is ISimpleTrigger existing && existing.RepeatInterval == settings.RoundInterval)
        {
            return;
        }
        var job = JobBuilder.Create<SteeringRoundJob>().WithIdentity(RoundJob).StoreDurably().Build();
        var start = RollupBuilder.Floor(clock.GetUtcNow(), settings.RoundInterval) + settings.RoundInterval;
        var trigger = TriggerBuilder.Create().WithIdentity(key).ForJob(job).StartAt(start)
            // Missed rounds are not caught up: a round decides from the probes of now.
            .WithSimpleSchedule(s => s.WithInterval(settings.RoundInterval).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount))
            .Build();
        await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
