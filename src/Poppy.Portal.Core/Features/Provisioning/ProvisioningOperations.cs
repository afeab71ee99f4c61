using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>Which operations the jobs page lists.</summary>
public enum JobListFilter { Active, Running, Queued, Failed, All }

/// <summary>
/// What the portal shows and does with provisioning operations: a service's progress, the jobs page, retries. Each
/// operation sees only the acting user's projects (<see cref="AccessPolicy"/>).
/// </summary>
public sealed class ProvisioningOperations(PortalDbContext db, AccessPolicy access, AuditLog audit, ProvisioningScheduler scheduler, TimeProvider clock)
{
    /// <summary>The latest operation of each provider for configuration changes, and the service's recent purges.</summary>
    public async Task<ServiceProgress> ForServiceAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        var projectId = await db.Set<CdnService>().Where(s => s.Id == serviceId).Select(s => (Guid?)s.ProjectId).FirstOrDefaultAsync(cancellationToken);
        if (projectId is null || !await access.CanSeeProjectAsync(projectId.Value, cancellationToken))
        {
            return new ServiceProgress([], []);
        }
        var operations = await db.Set<ProvisioningOperation>().AsNoTracking().Include(o => o.Purge)
            .Where(o => o.ServiceId == serviceId).OrderByDescending(o => o.Id).Take(200).ToListAsync(cancellationToken);
        var changes = operations.Where(o => o.Kind != OperationKind.Purge)
            .GroupBy(o => o.ProviderAccountId).Select(g => g.First()).OrderBy(o => o.ProviderName).ToList();
        var purges = operations.Where(o => o.Kind == OperationKind.Purge).Take(40).ToList();
        return new ServiceProgress(changes, purges);
    }

    /// <summary>
    /// A service with its providers' states for the live progress view, archived ones included (so the view can tell
    /// the page that the service is gone); null when there is no such service the actor may see.
    /// </summary>
    public async Task<CdnService?> FindServiceAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        var service = await db.Set<CdnService>().AsNoTracking().Include(s => s.Providers).FirstOrDefaultAsync(s => s.Id == serviceId, cancellationToken);
        return service is not null && await access.CanSeeProjectAsync(service.ProjectId, cancellationToken) ? service : null;
    }

    /// <summary>One operation the actor may see, or null.</summary>
    public async Task<ProvisioningOperation?> FindAsync(long operationId, CancellationToken cancellationToken)
    {
        var operation = await db.Set<ProvisioningOperation>().AsNoTracking().FirstOrDefaultAsync(o => o.Id == operationId, cancellationToken);
        return operation is not null && await access.CanSeeProjectAsync(operation.ProjectId, cancellationToken) ? operation : null;
    }

    /// <summary>
    /// Operations for the jobs page, newest first, in the projects the actor may see. "Active" is running, retrying and
    /// queued work.
    /// </summary>
    public async Task<IReadOnlyList<ProvisioningOperation>> ListAsync(JobListFilter filter, int limit, CancellationToken cancellationToken)
    {
        var query = await VisibleAsync(cancellationToken);
        query = filter switch
        {
            JobListFilter.Active => query.Where(o => ProvisioningOperation.PendingStates.Contains(o.State)),
            JobListFilter.Running => query.Where(o => o.State == OperationState.Running || o.State == OperationState.Retrying),
            JobListFilter.Queued => query.Where(o => o.State == OperationState.Queued),
            JobListFilter.Failed => query.Where(o => o.State == OperationState.Failed),
            _ => query,
        };
        return await query.OrderByDescending(o => o.Id).Take(Math.Clamp(limit, 1, 500)).ToListAsync(cancellationToken);
    }

    /// <summary>Counts for the jobs page's tabs.</summary>
    public async Task<JobCounts> CountAsync(CancellationToken cancellationToken)
    {
        var query = await VisibleAsync(cancellationToken);
        var counts = await query.Where(o => o.State != OperationState.Succeeded && o.State != OperationState.Cancelled)
            .GroupBy(o => o.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        int Of(OperationState state) => counts.FirstOrDefault(c => c.Key == state)?.Count ?? 0;
        return new JobCounts(Of(OperationState.Running) + Of(OperationState.Retrying), Of(OperationState.Queued), Of(OperationState.Failed));
    }

    /// <summary>
    /// Tries a failed operation again (the user fixed the credentials, say): it is queued with a fresh attempt budget
    /// and its provider goes back in progress. Only the latest change of a provider, or a purge, can be retried.
    /// </summary>
    public async Task<ChangeResult> RetryAsync(Guid projectId, long operationId, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Change, cancellationToken);
        var operation = await db.Set<ProvisioningOperation>().FirstOrDefaultAsync(o => o.Id == operationId && o.ProjectId == projectId, cancellationToken);
        if (operation is null)
        {
            return ChangeResult.NotFound;
        }
        if (operation.State != OperationState.Failed)
        {
            return ChangeResult.Invalid("operation", "Only a failed operation can be retried.");
        }
        var service = await db.Set<CdnService>().Include(s => s.Providers).FirstOrDefaultAsync(s => s.Id == operation.ServiceId && s.ArchivedAt == null, cancellationToken);
        if (service is null)
        {
            return ChangeResult.Invalid("operation", "The service no longer exists.");
        }
        if (operation.Kind != OperationKind.Purge && await db.Set<ProvisioningOperation>().AnyAsync(o => o.ServiceId == operation.ServiceId
                && o.ProviderAccountId == operation.ProviderAccountId && o.Kind != OperationKind.Purge && o.Id > operation.Id, cancellationToken))
        {
            return ChangeResult.Invalid("operation", "A later change of this provider replaced this operation.");
        }

        var now = clock.GetUtcNow();
        var previousAttempts = operation.Attempts;
        operation.State = OperationState.Queued;
        operation.Step = OperationStep.Waiting;
        operation.Attempts = 0;
        operation.NextAttemptAt = null;
        operation.FinishedAt = null;
        operation.UpdatedAt = now;
        var state = service.Providers.FirstOrDefault(p => p.ProviderAccountId == operation.ProviderAccountId);
        if (state is not null && operation.Kind != OperationKind.Purge)
        {
            state.Status = ProvisioningOperation.InProgressStatus(operation.Kind);
            state.ErrorMessage = null;
            state.UpdatedAt = now;
            service.Status = ServiceStatuses.Derive(service.Providers.Select(p => p.Status).ToList());
        }
        audit.Record(projectId, AuditEntityTypes.Service, service.Id.ToString(), "retry",
            $"Retried the {operation.Kind.ToString().ToLowerInvariant()} of {service.Name} at {operation.ProviderName}",
            new { operation = operation.Id, attempts = previousAttempts, error = operation.LastError }, null);
        await db.SaveChangesAsync(cancellationToken);
        await scheduler.ScheduleAsync(service.Id, at: null, cancellationToken);
        return ChangeResult.Ok;
    }

    private async Task<IQueryable<ProvisioningOperation>> VisibleAsync(CancellationToken cancellationToken)
    {
        var query = db.Set<ProvisioningOperation>().AsNoTracking();
        var projectIds = await access.VisibleProjectIdsAsync(cancellationToken);
        return projectIds is null ? query : query.Where(o => projectIds.Contains(o.ProjectId));
    }
}

/// <param name="Changes">Per provider, its latest configuration change (create, update or delete).</param>
/// <param name="Purges">Recent purge operations, newest first.</param>
public sealed record ServiceProgress(IReadOnlyList<ProvisioningOperation> Changes, IReadOnlyList<ProvisioningOperation> Purges);

public sealed record JobCounts(int Running, int Queued, int Failed);
