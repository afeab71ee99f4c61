using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>When a service being deleted is gone from every provider, and what then happens to it.</summary>
internal static class ServiceRemoval
{
    /// <summary>
    /// Archives <paramref name="service"/> (tracked, with its providers and domains) when every provider it still has
    /// is removing it and the latest configuration change of each is a delete that succeeded, or that an administrator
    /// abandoned. Providers that left the service earlier (their state is gone) do not count. Returns whether it did.
    /// </summary>
    public static async Task<bool> ArchiveIfRemovedEverywhereAsync(PortalDbContext db, CdnService service, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        // Only a service whose providers are all removing it can be gone from every vendor: ask then, not every run.
        if (service.Providers.Count == 0 || service.Providers.Any(p => p.Status != ProviderStatus.DeleteInProgress))
        {
            return false;
        }
        var providers = service.Providers.Select(p => p.ProviderAccountId).ToList();
        // Operations changed on this context but not saved yet (an abandon being recorded) count as they are now.
        var unsaved = db.ChangeTracker.Entries<ProvisioningOperation>().Where(e => e.State == EntityState.Modified)
            .ToDictionary(e => e.Entity.Id, e => e.Entity.State);
        var latest = (await db.Set<ProvisioningOperation>().AsNoTracking()
                .Where(o => o.ServiceId == service.Id && o.Kind != OperationKind.Purge && providers.Contains(o.ProviderAccountId))
                .Select(o => new { o.Id, o.ProviderAccountId, o.Kind, o.State })
                .ToListAsync(cancellationToken))
            .Select(o => unsaved.TryGetValue(o.Id, out var state) ? o with { State = state } : o)
            .GroupBy(o => o.ProviderAccountId).Select(g => g.MaxBy(o => o.Id)!).ToList();
        var removed = latest.Count == providers.Count
            && latest.All(o => o.Kind == OperationKind.Delete && o.State is OperationState.Succeeded or OperationState.Abandoned);
        if (removed)
        {
            service.ArchivedAt = now;
            // Archived services free their domains for others.
            service.Domains.Clear();
        }
        return removed;
    }
}
