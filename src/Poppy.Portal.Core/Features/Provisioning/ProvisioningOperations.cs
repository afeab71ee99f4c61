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
/// What the portal shows and does with provisioning operations: a service's progress, the jobs page, retries, and giving
/// up on a removal. Each operation sees only the acting user's projects (<see cref="AccessPolicy"/>).
/// </summary>
public sealed class ProvisioningOperations(PortalDbContext db, AccessPolicy access, AuditLog audit, ProvisioningScheduler scheduler,
    ProvisioningEvents events, TimeProvider clock)
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

    /// <summary>
    /// The jobs page: the latest operations the actor may see (optionally of one project and one provider account),
    /// grouped by the change that queued them (one service change queues one operation per provider at the same
    /// instant; a purge's operations share their purge), newest change first, with the tab counts, the provider names
    /// to filter by and which failed operations can be retried.
    /// </summary>
    public async Task<JobList> JobsAsync(JobQuery query, CancellationToken cancellationToken)
    {
        var visible = await VisibleAsync(cancellationToken);
        if (query.ProjectId is { } projectId)
        {
            visible = visible.Where(o => o.ProjectId == projectId);
        }
        var providers = await visible.Select(o => o.ProviderName).Distinct().ToListAsync(cancellationToken);
        if (!string.IsNullOrEmpty(query.Provider))
        {
            visible = visible.Where(o => o.ProviderName == query.Provider);
        }
        var counted = await visible.Where(o => o.State != OperationState.Succeeded && o.State != OperationState.Cancelled)
            .GroupBy(o => o.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        int Of(OperationState state) => counted.FirstOrDefault(c => c.Key == state)?.Count ?? 0;
        var counts = new JobCounts(Of(OperationState.Running) + Of(OperationState.Retrying), Of(OperationState.Queued), Of(OperationState.Failed));

        var filtered = query.Filter switch
        {
            JobListFilter.Active => visible.Where(o => ProvisioningOperation.PendingStates.Contains(o.State)),
            JobListFilter.Running => visible.Where(o => o.State == OperationState.Running || o.State == OperationState.Retrying),
            JobListFilter.Queued => visible.Where(o => o.State == OperationState.Queued),
            JobListFilter.Failed => visible.Where(o => o.State == OperationState.Failed),
            _ => visible,
        };
        var limit = Math.Clamp(query.Limit, 1, 500);
        var operations = await filtered.Include(o => o.Purge).OrderByDescending(o => o.Id).Take(limit + 1).ToListAsync(cancellationToken);
        var truncated = operations.Count > limit;
        if (truncated)
        {
            operations.RemoveAt(operations.Count - 1);
        }
        var retryable = await RetryableAsync(operations, cancellationToken);
        var groups = operations
            .GroupBy(o => o.PurgeId is { } purge ? $"purge-{purge}" : $"{o.ServiceId:N}-{o.Kind}-{o.CreatedAt.UtcTicks}")
            .Select(g => new JobGroup(g.Key, g.OrderBy(o => o.ProviderName, StringComparer.Ordinal).ToList()))
            .OrderByDescending(g => g.Operations.Max(o => o.Id))
            .ToList();
        return new JobList(groups, counts, providers.Order(StringComparer.Ordinal).ToList(), retryable, truncated);
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
    /// Which of <paramref name="operations"/> can be retried (<see cref="RetryAsync"/> accepts them): failed ones of a
    /// service that still exists, each the latest change of its provider (or a purge). The jobs page offers Retry on these.
    /// </summary>
    public async Task<IReadOnlySet<long>> RetryableAsync(IReadOnlyCollection<ProvisioningOperation> operations, CancellationToken cancellationToken)
    {
        var failed = operations.Where(o => o.State == OperationState.Failed).ToList();
        if (failed.Count == 0)
        {
            return new HashSet<long>();
        }
        var serviceIds = failed.Select(o => o.ServiceId).Distinct().ToList();
        var live = (await db.Set<CdnService>().AsNoTracking().Where(s => serviceIds.Contains(s.Id) && s.ArchivedAt == null)
            .Select(s => s.Id).ToListAsync(cancellationToken)).ToHashSet();
        var latest = (await db.Set<ProvisioningOperation>().AsNoTracking()
            .Where(o => serviceIds.Contains(o.ServiceId) && o.Kind != OperationKind.Purge)
            .GroupBy(o => new { o.ServiceId, o.ProviderAccountId }).Select(g => g.Max(o => o.Id))
            .ToListAsync(cancellationToken)).ToHashSet();
        return failed.Where(o => live.Contains(o.ServiceId) && (o.Kind == OperationKind.Purge || latest.Contains(o.Id))).Select(o => o.Id).ToHashSet();
    }

    /// <summary>
    /// Tries a failed operation again (the user fixed the credentials, say): it is queued with a fresh attempt budget
    /// and its provider goes back in progress. Only the latest change of a provider, or a purge, of a service that still
    /// exists can be retried.
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
        var (service, refusal) = await LiveLatestAsync(operation, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var now = clock.GetUtcNow();
        var previousAttempts = operation.Attempts;
        operation.Requeue(now);
        var state = service!.Providers.FirstOrDefault(p => p.ProviderAccountId == operation.ProviderAccountId);
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

    /// <summary>The longest reason an administrator may give for removing a service without its vendor.</summary>
    public const int MaxAbandonReasonLength = 500;

    /// <summary>
    /// "Remove without the vendor": an administrator gives up on a failed removal that cannot succeed (the vendor refuses
    /// the account's credentials, the account is gone). The operation is marked abandoned, the provider counts as
    /// removed, and once every provider is removed the service is archived, as after a delete that succeeded. Whatever
    /// the vendor still holds is left there; the audit entry names who decided that, and why.
    /// Only a failed delete (the latest change of its provider) can be abandoned, once no other provider is at work on
    /// the service: a create or an update that fails can be retried, or the service deleted, which then gives a delete
    /// to abandon. A concurrent change of the service (its Version) makes this refuse rather than overwrite it.
    /// </summary>
    public async Task<AbandonResult> AbandonAsync(Guid projectId, long operationId, string? reason, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Administer, cancellationToken);
        var operation = await db.Set<ProvisioningOperation>().FirstOrDefaultAsync(o => o.Id == operationId && o.ProjectId == projectId, cancellationToken);
        if (operation is null)
        {
            return new(ChangeResult.NotFound, Archived: false);
        }
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > MaxAbandonReasonLength || reason.Any(char.IsControl))
        {
            return Refused("reason", $"Say why the service is removed without the vendor: 1–{MaxAbandonReasonLength} characters, without control characters.");
        }
        if (operation.State != OperationState.Failed || operation.Kind != OperationKind.Delete)
        {
            return Refused("operation", $"Only a failed removal can be given up on; this is a {operation.State.ToString().ToLowerInvariant()} "
                + $"{operation.Kind.ToString().ToLowerInvariant()}. Retry a failed create or update, or delete the service.");
        }
        var (service, refusal) = await LiveLatestAsync(operation, cancellationToken);
        if (refusal is not null)
        {
            return new(refusal, Archived: false);
        }
        // While another provider is still at work the service cannot be judged removed everywhere (and provisioning,
        // which judges that after each run, would not see this decision); so the decision waits for it.
        // (A pending change that a later one replaced is moot: provisioning cancels it at its next run.)
        var operations = db.Set<ProvisioningOperation>().Where(o => o.ServiceId == service!.Id && o.Kind != OperationKind.Purge);
        if (await operations.AnyAsync(o => ProvisioningOperation.PendingStates.Contains(o.State)
                && !operations.Any(later => later.ProviderAccountId == o.ProviderAccountId && later.Id > o.Id), cancellationToken))
        {
            return Refused("operation", "Other providers are still working on this service; try again once they are done.");
        }

        var now = clock.GetUtcNow();
        var error = operation.LastError;
        operation.Abandon($"Removed without the vendor by an administrator: {reason}", now);
        var state = service!.Providers.FirstOrDefault(p => p.ProviderAccountId == operation.ProviderAccountId);
        if (state is not null)
        {
            state.Status = ProviderStatus.DeleteInProgress;
            state.ErrorMessage = null;
            state.UpdatedAt = now;
        }
        var archived = await ServiceRemoval.ArchiveIfRemovedEverywhereAsync(db, service, now, cancellationToken);
        service.Status = ServiceStatuses.Derive(service.Providers.Select(p => p.Status).ToList());
        // A user's change of the service made meanwhile (it checks the version) cannot overwrite this one, nor this one it.
        service.Version++;
        audit.Record(projectId, AuditEntityTypes.Service, service.Id.ToString(), "abandon",
            $"Removed {service.Name} from {operation.ProviderName} without the vendor: {reason}",
            new { operation = operation.Id, provider = operation.ProviderName, kind = operation.Kind.ToString().ToLowerInvariant(), error },
            new { reason, archived });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return Refused("operation", "The service was changed meanwhile; reload it and try again.");
        }
        events.Changed();
        return new(ChangeResult.Ok, archived);

        static AbandonResult Refused(string path, string message) => new(ChangeResult.Invalid(path, message), Archived: false);
    }

    /// <summary>
    /// <see cref="AbandonAsync"/> for the API, which names the provider rather than the operation: gives up on the latest
    /// change of <paramref name="provider"/> (an account name) for the service.
    /// </summary>
    public async Task<AbandonResult> AbandonRemovalAsync(Guid projectId, Guid serviceId, string provider, string? reason, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Administer, cancellationToken);
        var latest = await db.Set<ProvisioningOperation>().AsNoTracking()
            .Where(o => o.ProjectId == projectId && o.ServiceId == serviceId && o.ProviderName == provider && o.Kind != OperationKind.Purge)
            .OrderByDescending(o => o.Id).Select(o => (long?)o.Id).FirstOrDefaultAsync(cancellationToken);
        return latest is { } id ? await AbandonAsync(projectId, id, reason, cancellationToken) : new(ChangeResult.NotFound, Archived: false);
    }

    /// <summary>
    /// The operation's service (tracked, with providers and domains) when it still exists and the operation is the latest
    /// change of its provider (or a purge); otherwise why not.
    /// </summary>
    private async Task<(CdnService? Service, ChangeResult? Refusal)> LiveLatestAsync(ProvisioningOperation operation, CancellationToken cancellationToken)
    {
        var service = await db.Set<CdnService>().Include(s => s.Providers).Include(s => s.Domains)
            .FirstOrDefaultAsync(s => s.Id == operation.ServiceId && s.ArchivedAt == null, cancellationToken);
        if (service is null)
        {
            return (null, ChangeResult.Invalid("operation", "The service no longer exists."));
        }
        if (operation.Kind != OperationKind.Purge && await db.Set<ProvisioningOperation>().AnyAsync(o => o.ServiceId == operation.ServiceId
                && o.ProviderAccountId == operation.ProviderAccountId && o.Kind != OperationKind.Purge && o.Id > operation.Id, cancellationToken))
        {
            return (null, ChangeResult.Invalid("operation", "A later change of this provider replaced this operation."));
        }
        return (service, null);
    }
}

/// <param name="Archived">The service was removed from every provider by this and is gone from the portal.</param>
public sealed record AbandonResult(ChangeResult Result, bool Archived);

/// <param name="Changes">Per provider, its latest configuration change (create, update or delete).</param>
/// <param name="Purges">Recent purge operations, newest first.</param>
public sealed record ServiceProgress(IReadOnlyList<ProvisioningOperation> Changes, IReadOnlyList<ProvisioningOperation> Purges);

public sealed record JobCounts(int Running, int Queued, int Failed);

/// <summary>What the jobs page asks for: a tab, optionally one project and one provider account (by name).</summary>
public sealed record JobQuery(JobListFilter Filter = JobListFilter.Active, Guid? ProjectId = null, string? Provider = null, int Limit = 200);

/// <param name="Truncated">More operations matched than <see cref="JobQuery.Limit"/>; the oldest were left off.</param>
public sealed record JobList(IReadOnlyList<JobGroup> Groups, JobCounts Counts, IReadOnlyList<string> Providers, IReadOnlySet<long> Retryable, bool Truncated);

/// <summary>The operations one change of a service (or one purge) queued, one per provider, ordered by provider.</summary>
public sealed record JobGroup(string Key, IReadOnlyList<ProvisioningOperation> Operations)
{
    public ProvisioningOperation First => Operations[0];

    public DateTimeOffset QueuedAt => Operations.Min(o => o.CreatedAt);

    /// <summary>From the first start to the last finish, once every operation has finished; null while any is open.</summary>
    public TimeSpan? Duration =>
        Operations.All(o => o.FinishedAt is not null) && Operations.Min(o => o.StartedAt) is { } started
            ? Operations.Max(o => o.FinishedAt!.Value) - started
            : null;

    public bool IsOpen => Operations.Any(o => o.IsPending);

    /// <summary>The group's state as one word: failed if any failed, else running while any is open, else the common state.</summary>
    public OperationState State =>
        Operations.Any(o => o.State == OperationState.Failed) ? OperationState.Failed
        : Operations.Any(o => o.State is OperationState.Running or OperationState.Retrying) ? OperationState.Running
        : Operations.Any(o => o.State == OperationState.Queued) ? OperationState.Queued
        : Operations.All(o => o.State == OperationState.Succeeded) ? OperationState.Succeeded
        : Operations.Max(o => o.State);
}
