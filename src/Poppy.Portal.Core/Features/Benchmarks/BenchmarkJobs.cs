using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Configuration;
using Poppy.Portal.Core.Jobs;
using Quartz;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>
/// A probe round per tick. Each firing covers [its scheduled time - tick, its scheduled time): Quartz fires a trigger
/// once in the whole cluster, so every window is probed by one node, and windows neither overlap nor leave gaps.
/// Firings missed while no node ran are dropped (not caught up): no storm after a pause or a restart.
/// </summary>
public sealed class ProbeRoundJob(ProbeRound round, IOptions<BenchmarkOptions> options) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var until = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        await round.RunAsync(until - options.Value.Tick, until, cancellationToken);
    }
}

/// <summary>Rolls samples up and applies retention; one run at a time in the cluster.</summary>
[DisallowConcurrentExecution]
public sealed class BenchmarkRollupJob(RollupBuilder rollups) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken) => await rollups.RunAsync(cancellationToken);
}

/// <summary>
/// Puts the two benchmark jobs into the (shared) job store at start, or updates their timing when it changed; removes
/// them when benchmarks are turned off.
/// </summary>
public sealed class BenchmarkSchedule(ISchedulerFactory schedulers, IOptions<BenchmarkOptions> options, TimeProvider clock) : IHostedService
{
    public const string Group = "benchmarks";
    public static readonly JobKey ProbeJob = new("probe-round", Group);
    public static readonly JobKey RollupJob = new("rollup", Group);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var settings = options.Value;
        if (!settings.Enabled)
        {
            // Turned off: the jobs leave the shared store too, or another node would go on running them.
            await scheduler.DeleteJobs([ProbeJob, RollupJob], cancellationToken);
            return;
        }
        // Ticks on whole multiples of the tick, so windows line up across restarts and nodes.
        var now = clock.GetUtcNow();
        var firstTick = RollupBuilder.Floor(now, settings.Tick) + settings.Tick;
        await EnsureAsync(scheduler, JobBuilder.Create<ProbeRoundJob>().WithIdentity(ProbeJob).StoreDurably().Build(), settings.Tick, firstTick, cancellationToken);
        await EnsureAsync(scheduler, JobBuilder.Create<BenchmarkRollupJob>().WithIdentity(RollupJob).StoreDurably().Build(), settings.RollupInterval,
            RollupBuilder.Floor(now, TimeSpan.FromMinutes(1)) + TimeSpan.FromMinutes(1), cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task EnsureAsync(IScheduler scheduler, IJobDetail job, TimeSpan every, DateTimeOffset start, CancellationToken cancellationToken)
    {
        var key = new TriggerKey(job.Key.Name, Group);
        if (await scheduler.GetTrigger(key, cancellationToken) is ISimpleTrigger existing && existing.RepeatInterval == every)
        {
            return;
        }
        var trigger = TriggerBuilder.Create().WithIdentity(key).ForJob(job).StartAt(start)
            .WithSimpleSchedule(s => s.WithInterval(every).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount))
            .Build();
        await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, cancellationToken);
    }
}

public static class BenchmarkRegistration
{
    /// <summary>Probes, rollups and their reading; the jobs are (un)scheduled where jobs run.</summary>
    public static IServiceCollection AddBenchmarks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BenchmarkOptions>().Bind(configuration.GetSection(BenchmarkOptions.Section))
            .ValidateSettings(BenchmarkOptions.Section, BenchmarkOptions.Check);
        services.AddSingleton<EdgeProber>();
        services.AddSingleton<ProbeRound>();
        services.AddSingleton<RollupBuilder>();
        services.AddScoped<BenchmarkQuery>();
        services.AddScoped<ProbeSettingsService>();
        if (JobOptions.Read(configuration).Enabled)
        {
            services.AddHostedService<BenchmarkSchedule>();
        }
        return services;
    }
}
