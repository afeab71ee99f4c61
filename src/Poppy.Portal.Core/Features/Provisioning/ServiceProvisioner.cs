using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Steering;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>
/// Carries out a service's pending operations: one run calls every provider that is due, in parallel, through the
/// account's resilience pipeline, records the outcome on the operation and the provider's state, and derives the
/// service's status. A run is safe to repeat at any point: drivers find their vendor resource by the service id.
/// </summary>
public sealed partial class ServiceProvisioner(
    PortalDbContext db,
    ProviderOperationRunner runner,
    ServiceDnsStep dnsStep,
    ProvisioningEvents events,
    TimeProvider clock,
    ILogger<ServiceProvisioner> logger)
{
    /// <summary>
    /// Works on the due operations of <paramref name="serviceId"/>; returns when the next run is due, if any. Work due
    /// within a few seconds (a vendor finishing a rollout) is waited for in this run, which is cheaper than a new one.
    /// </summary>
    public async Task<DateTimeOffset?> RunAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        var started = clock.GetUtcNow();
        while (true)
        {
            var next = await RunDueAsync(serviceId, cancellationToken);
            var now = clock.GetUtcNow();
            if (next is null || next - now > InlineWaitLimit || now - started > RunTimeLimit)
            {
                return next;
            }
            await Task.Delay(next.Value > now ? next.Value - now : TimeSpan.Zero, clock, cancellationToken);
        }
    }

    /// <summary>The longest wait for due work that a run does itself rather than leave to a later run.</summary>
    private static readonly TimeSpan InlineWaitLimit = TimeSpan.FromSeconds(5);

    /// <summary>How long one run may keep its job worker busy before it hands the rest to a later run.</summary>
    private static readonly TimeSpan RunTimeLimit = TimeSpan.FromSeconds(60);

    /// <summary>The due provider operations, then the service's DNS records (which follow what the providers did).</summary>
    private async Task<DateTimeOffset?> RunDueAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        var next = await RunOperationsAsync(serviceId, cancellationToken);
        DateTimeOffset? dnsNext;
        try
        {
            db.ChangeTracker.Clear();
            dnsNext = await dnsStep.RunAsync(db, serviceId, cancellationToken);
            events.Changed();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The records' own failures are kept on them; this is the database failing. The CDN work is not undone by
            // it, and the next run (or the recovery sweep) takes the records up again.
            LogDnsStepFailed(e, serviceId);
            dnsNext = clock.GetUtcNow() + TimeSpan.FromSeconds(5);
        }
        var due = dnsNext is null ? next : next is null || dnsNext < next ? dnsNext : next;
        if (due is null)
        {
            return null;
        }
        // The DNS step took time: what was due soon may be due already. The same short gap as for operations.
        var soonest = clock.GetUtcNow() + MinimumGap;
        return due > soonest ? due : soonest;
    }

    private async Task<DateTimeOffset?> RunOperationsAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var pending = await PendingAsync(serviceId, cancellationToken);
        var now = clock.GetUtcNow();
        var superseded = Supersede(pending, now);
        if (superseded.Count > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            pending = pending.Except(superseded).ToList();
        }

        var due = NextPerProvider(pending).Where(o => o.NextAttemptAt is null || o.NextAttemptAt <= now).ToList();
        var service = due.Count > 0 || superseded.Count > 0 ? await ServiceAsync(serviceId, cancellationToken) : null;
        if (service is null && due.Count > 0)
        {
            // Nothing left to provision (an archived service, or one removed from the database by hand).
            Cancel(pending, "The service no longer exists.", now);
            await db.SaveChangesAsync(cancellationToken);
            return null;
        }

        if (service is not null && due.Count > 0)
        {
            // Every due provider at once, on this one DbContext: what they share is read once, and each records its
            // outcome as soon as it has one (the run serialises those saves; a DbContext is not thread-safe).
            await runner.RunAsync(db, service, due, cancellationToken);
        }

        if (service is not null)
        {
            var purgesTouched = due.Concat(superseded).Any(o => o.Kind == OperationKind.Purge);
            await FinishServiceAsync(service, purgesTouched, cancellationToken);
            events.Changed();
        }

        pending = pending.Where(o => o.IsPending).ToList();
        if (pending.Count == 0)
        {
            return null;
        }
        // Work that is due already (a purge that waited for its provider's change, an outcome that could not be
        // recorded) comes back after a short gap rather than at once, so a persistent failure cannot spin.
        var next = NextPerProvider(pending).Min(o => o.NextAttemptAt ?? now);
        var soonest = clock.GetUtcNow() + MinimumGap;
        return next > soonest ? next : soonest;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The DNS step of service {ServiceId} failed; it runs again shortly")]
    private partial void LogDnsStepFailed(Exception exception, Guid serviceId);

    private static readonly TimeSpan MinimumGap = TimeSpan.FromMilliseconds(500);

    private Task<List<ProvisioningOperation>> PendingAsync(Guid serviceId, CancellationToken cancellationToken) =>
        db.Set<ProvisioningOperation>().Include(o => o.Purge)
            .Where(o => o.ServiceId == serviceId && ProvisioningOperation.PendingStates.Contains(o.State))
            .OrderBy(o => o.Id).ToListAsync(cancellationToken);

    private Task<CdnService?> ServiceAsync(Guid serviceId, CancellationToken cancellationToken) =>
        db.Set<CdnService>().Include(s => s.Providers).Include(s => s.Domains)
            .FirstOrDefaultAsync(s => s.Id == serviceId && s.ArchivedAt == null, cancellationToken);

    /// <summary>
    /// A later change of a provider makes its earlier pending changes moot (a delete after a create, say), and a pending
    /// delete makes its pending purges moot.
    /// </summary>
    private static List<ProvisioningOperation> Supersede(List<ProvisioningOperation> pending, DateTimeOffset now)
    {
        var moot = pending.Where(o => o.Kind != OperationKind.Purge)
            .GroupBy(o => o.ProviderAccountId)
            .SelectMany(g => g.SkipLast(1).Concat(g.Last().Kind == OperationKind.Delete ? pending.Where(p => p.Kind == OperationKind.Purge && p.ProviderAccountId == g.Key) : []))
            .ToList();
        Cancel(moot, "Superseded by a later change.", now);
        return moot;
    }

    private static void Cancel(IEnumerable<ProvisioningOperation> operations, string reason, DateTimeOffset now)
    {
        foreach (var operation in operations)
        {
            operation.Cancel(reason, now);
        }
    }

    /// <summary>Per provider, the operation to work on next: its configuration change first, then purges in order.</summary>
    private static IEnumerable<ProvisioningOperation> NextPerProvider(IEnumerable<ProvisioningOperation> pending) =>
        pending.GroupBy(o => o.ProviderAccountId)
            .Select(g => g.FirstOrDefault(o => o.Kind != OperationKind.Purge) ?? g.First());

    /// <summary>Derives the service's status from its providers; archives it once every provider has removed it.</summary>
    private async Task FinishServiceAsync(CdnService service, bool purgesTouched, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await ServiceRemoval.ArchiveIfRemovedEverywhereAsync(db, service, clock.GetUtcNow(), cancellationToken);
            service.Status = ServiceStatuses.Derive(service.Providers.Select(p => p.Status).ToList());
            if (purgesTouched)
            {
                await CompletePurgesAsync(service.Id, cancellationToken);
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateConcurrencyException) when (attempt < 3)
            {
                // A user changed the service meanwhile; derive again from what is there now.
                db.ChangeTracker.Clear();
                if (await ServiceAsync(service.Id, cancellationToken) is not { } fresh)
                {
                    return;
                }
                service = fresh;
            }
        }
    }

    /// <summary>A purge is done when none of its operations is pending any more.</summary>
    private async Task CompletePurgesAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        var done = await db.Set<ServicePurge>()
            .Where(p => p.ServiceId == serviceId && p.CompletedAt == null)
            .Where(p => !db.Set<ProvisioningOperation>().Any(o => o.PurgeId == p.Id && ProvisioningOperation.PendingStates.Contains(o.State)))
            .ToListAsync(cancellationToken);
        done.ForEach(purge => purge.CompletedAt = clock.GetUtcNow());
    }
}
