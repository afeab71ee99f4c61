using Quartz;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>The Quartz job: one run works on every due operation of one service, then schedules the next run if needed.</summary>
[DisallowConcurrentExecution]
public sealed class ProvisionServiceJob(ServiceProvisioner provisioner, ProvisioningScheduler scheduler) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var serviceId = Guid.Parse(context.MergedJobDataMap.GetString(ProvisioningScheduler.ServiceIdKey)!);
        var next = await provisioner.RunAsync(serviceId, cancellationToken);
        if (next is { } at)
        {
            await scheduler.ScheduleAsync(serviceId, at, cancellationToken);
        }
    }
}
