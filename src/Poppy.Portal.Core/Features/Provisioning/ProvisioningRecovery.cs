using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>
/// Finds pending operations that no scheduled job will reach (the process died between saving a change and
/// scheduling its job, or a job was lost) and schedules their service's job. Runs at start and then periodically;
/// in a cluster every node sweeps, which is harmless because scheduling is idempotent.
/// </summary>
public sealed partial class ProvisioningRecovery(
    IServiceScopeFactory scopes, IOptions<ProvisioningOptions> options, TimeProvider clock, ILogger<ProvisioningRecovery> logger) : BackgroundService
{
    /// <summary>How overdue an operation must be before the sweep steps in, so it does not race the normal path.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RecoverySweepInterval, clock);
        do
        {
            try
            {
                var scheduled = await SweepAsync(stoppingToken);
                if (scheduled > 0)
                {
                    LogRecovered(scheduled);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Schedules the job of every service with overdue pending operations and no run; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var scheduler = scope.ServiceProvider.GetRequiredService<ProvisioningScheduler>();
        var overdue = clock.GetUtcNow() - Grace;
        var services = await db.Set<ProvisioningOperation>()
            .Where(o => ProvisioningOperation.PendingStates.Contains(o.State) && (o.NextAttemptAt ?? o.UpdatedAt) < overdue)
            .Select(o => o.ServiceId).Distinct().ToListAsync(cancellationToken);
        // DNS records of the provisioning step that are overdue (their run was lost) bring their service's job back too.
        services = services.Union(await db.Set<Steering.ServiceDnsRecord>()
            .Where(r => r.State != Steering.DnsRecordState.Live && (r.NextAttemptAt ?? r.UpdatedAt) < overdue)
            .Select(r => r.ServiceId).Distinct().ToListAsync(cancellationToken)).ToList();
        var scheduled = 0;
        foreach (var serviceId in services)
        {
            if (!await scheduler.HasRunAsync(serviceId, cancellationToken))
            {
                await scheduler.ScheduleAsync(serviceId, at: null, cancellationToken);
                scheduled++;
            }
        }
        return scheduled;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled provisioning for {Count} services whose pending operations had no job")]
    private partial void LogRecovered(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The provisioning recovery sweep failed; it runs again shortly")]
    private partial void LogSweepFailed(Exception exception);
}
