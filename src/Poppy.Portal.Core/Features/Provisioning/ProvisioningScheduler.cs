using Quartz;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>
/// Schedules the Quartz job that works on one service's pending operations. Jobs live in the portal database, so a
/// scheduled run survives a restart and, on PostgreSQL with clustering, any portal process may take it.
/// </summary>
public sealed class ProvisioningScheduler(ISchedulerFactory schedulers, TimeProvider clock)
{
    public const string Group = "provisioning";
    public const string ServiceIdKey = "serviceId";

    public static JobKey JobKeyFor(Guid serviceId) => new($"service-{serviceId}", Group);

    /// <summary>Runs the service's job at <paramref name="at"/> (now when null), unless a run is already due by then.</summary>
    public async Task ScheduleAsync(Guid serviceId, DateTimeOffset? at, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var key = JobKeyFor(serviceId);
        var now = clock.GetUtcNow();
        var job = JobBuilder.Create<ProvisionServiceJob>()
            .WithIdentity(key)
            .UsingJobData(ServiceIdKey, serviceId.ToString())
            .StoreDurably()
            // A run cut short by a crash runs again when the scheduler comes back.
            .RequestRecovery()
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(key.Name, Group)
            .ForJob(key)
            .StartAt(at is { } time && time > now ? time : now)
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        if (at is null || at <= now)
        {
            // "Now" is as early as a run can be, so job and trigger are stored over any earlier ones in one store
            // operation (a change of a service: the hot path of the API, sharing the database with the jobs).
            await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, cancellationToken);
        }
        else
        {
            // A later run (a poll, a backoff) never pushes back a pending earlier one: one trigger per service, the earlier kept.
            // The job itself is durable, so it exists: only runs of it schedule later ones.
            await scheduler.ScheduleTrigger(trigger, TriggerConflict.KeepEarlier, cancellationToken);
        }
    }

    /// <summary>Whether the service's job has a run scheduled (or running).</summary>
    public async Task<bool> HasRunAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        return (await scheduler.GetTriggersOfJob(JobKeyFor(serviceId), cancellationToken)).Count > 0;
    }
}
