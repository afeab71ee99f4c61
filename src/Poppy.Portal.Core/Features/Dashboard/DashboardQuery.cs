using Microsoft.EntityFrameworkCore;
using Polly.CircuitBreaker;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Dashboard;

/// <summary>A provider account's circuit as this node sees it (closed until the account has been called).</summary>
public sealed record ProviderCircuitView(Guid AccountId, string Name, ProviderKind Kind, bool IsEnabled, CircuitState Circuit)
{
    /// <summary>Calls to the vendor are refused now (open or isolated).</summary>
    public bool IsBroken => Circuit is CircuitState.Open or CircuitState.Isolated;
}

/// <summary>
/// The dashboard's cards for one project: its live services per status, its open provisioning operations, those that
/// failed in the last 24 hours, and every provider account's circuit.
/// </summary>
public sealed record DashboardSummary(
    Guid ProjectId, DateTimeOffset At, IReadOnlyDictionary<ServiceStatus, int> ServicesByStatus, int OpenOperations,
    int FailedOperationsLastDay, IReadOnlyList<ProviderCircuitView> Providers)
{
    public int Services => ServicesByStatus.Values.Sum();

    public int ServicesIn(ServiceStatus status) => ServicesByStatus.GetValueOrDefault(status);
}

/// <summary>Reads the dashboard's figures; members of the project may read them.</summary>
public sealed class DashboardQuery(PortalDbContext db, AccessPolicy access, ProviderResilience resilience, TimeProvider clock)
{
    public static readonly TimeSpan FailedWindow = TimeSpan.FromHours(24);

    public async Task<DashboardSummary> GetAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        var now = clock.GetUtcNow();

        var statuses = await db.Set<CdnService>().AsNoTracking()
            .Where(s => s.ProjectId == projectId && s.ArchivedAt == null)
            .GroupBy(s => s.Status).Select(g => new { g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);

        var operations = db.Set<ProvisioningOperation>().AsNoTracking().Where(o => o.ProjectId == projectId);
        var open = await operations.CountAsync(o => ProvisioningOperation.PendingStates.Contains(o.State), cancellationToken);
        // A failed operation changes no more after failing: its last update is when it failed.
        var since = now - FailedWindow;
        var failed = await operations.CountAsync(o => o.State == OperationState.Failed && o.UpdatedAt >= since, cancellationToken);

        var accounts = await db.Set<ProviderAccount>().AsNoTracking().OrderBy(a => a.Name)
            .Select(a => new { a.Id, a.Name, a.Kind, a.IsEnabled }).ToListAsync(cancellationToken);
        var providers = accounts.Select(a => new ProviderCircuitView(a.Id, a.Name, a.Kind, a.IsEnabled, resilience.CircuitStateOf(a.Id))).ToList();

        return new DashboardSummary(projectId, now, statuses.ToDictionary(s => s.Key, s => s.Count), open, failed, providers);
    }
}
