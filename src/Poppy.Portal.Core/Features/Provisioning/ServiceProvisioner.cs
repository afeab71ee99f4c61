using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>
/// Carries out a service's pending operations: one run calls every provider that is due, in parallel, through the
/// account's resilience pipeline, records the outcome on the operation and the provider's state, and derives the
/// service's status. A run is safe to repeat at any point: drivers find their vendor resource by the service id.
/// </summary>
public sealed class ServiceProvisioner(
    PortalDbContext db,
    ProviderOperationRunner runner,
    ProvisioningEvents events,
    TimeProvider clock)
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
            await Task.Delay(next.Value - now, clock, cancellationToken);
        }
    }

    /// <summary>The longest wait for due work that a run does itself rather than leave to a later run.</summary>
    private static readonly TimeSpan InlineWaitLimit = TimeSpan.FromSeconds(5);

    /// <summary>How long one run may keep its job worker busy before it hands the rest to a later run.</summary>
    private static readonly TimeSpan RunTimeLimit = TimeSpan.FromSeconds(60);

    private async Task<DateTimeOffset?> RunDueAsync(Guid serviceId, CancellationToken cancellationToken)
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
            operation.State = OperationState.Cancelled;
            operation.Step = OperationStep.Done;
            operation.LastError ??= reason;
            operation.FinishedAt = operation.UpdatedAt = now;
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
            // Only a service whose providers are all removing it can be gone from every vendor: ask then, not every run.
            var deleted = service.Providers.All(p => p.Status == ProviderStatus.DeleteInProgress)
                && await RemovedEverywhereAsync(service.Id, cancellationToken);
            if (deleted)
            {
                service.ArchivedAt = clock.GetUtcNow();
                // Archived services free their domains for others.
                service.Domains.Clear();
            }
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

    /// <summary>Whether the latest configuration change at every provider is a delete that succeeded.</summary>
    private async Task<bool> RemovedEverywhereAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        var latest = (await db.Set<ProvisioningOperation>().AsNoTracking()
                .Where(o => o.ServiceId == serviceId && o.Kind != OperationKind.Purge).ToListAsync(cancellationToken))
            .GroupBy(o => o.ProviderAccountId).Select(g => g.MaxBy(o => o.Id)!).ToList();
        return latest.Count > 0 && latest.All(o => o.Kind == OperationKind.Delete && o.State == OperationState.Succeeded);
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

/// <summary>
/// The due operations of one service, one per provider: what they share is read once, each provider's driver is called
/// (with retries) beside the others, and each outcome is recorded on the operation and the provider's state as soon as
/// it is known. All on the caller's DbContext: entities are changed and saved one provider at a time.
/// </summary>
public sealed partial class ProviderOperationRunner(
    ProviderAccountDirectory accounts,
    IEnumerable<ICdnDriver> drivers,
    ProviderResilience resilience,
    ProvisioningEvents events,
    IOptions<ProvisioningOptions> options,
    TimeProvider clock,
    ILogger<ProviderOperationRunner> logger)
{
    private readonly ProvisioningOptions _options = options.Value;

    /// <summary>One operation ready for its driver call, with what the call needs.</summary>
    private sealed record Planned(
        ProvisioningOperation Operation, ServiceProviderState? State, ICdnDriver Driver, ProviderCall Call, bool Removing, bool Leaving);

    public async Task RunAsync(PortalDbContext db, CdnService service, IReadOnlyList<ProvisioningOperation> due, CancellationToken cancellationToken)
    {
        var accountIds = due.Select(o => o.ProviderAccountId).Distinct().ToList();
        var byId = await db.Set<ProviderAccount>().AsNoTracking().Where(a => accountIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, cancellationToken);
        // A provider that left the service's flavor has the service removed from it.
        var inFlavor = due.Any(o => o.Kind is OperationKind.Create or OperationKind.Update)
            ? (await db.Set<FlavorProvider>().Where(f => f.FlavorId == service.FlavorId).Select(f => f.ProviderAccountId).ToListAsync(cancellationToken)).ToHashSet()
            : [];
        var spec = service.ReadSpec();

        var planned = due.Select(o => Plan(o, service, byId.GetValueOrDefault(o.ProviderAccountId), inFlavor)).OfType<Planned>().ToList();
        await SaveAsync(db, cancellationToken); // every provider shown running (or failed, when it cannot be called) at once

        using var gate = new SemaphoreSlim(1, 1);
        await Task.WhenAll(planned.Select(p => RunOneAsync(db, gate, p, spec, cancellationToken)));
    }

    /// <summary>Marks the operation running and makes its call; or fails it, when its provider cannot be called.</summary>
    private Planned? Plan(ProvisioningOperation operation, CdnService service, ProviderAccount? account, IReadOnlySet<Guid> inFlavor)
    {
        var state = service.Providers.FirstOrDefault(p => p.ProviderAccountId == operation.ProviderAccountId);
        var driver = account is null ? null : drivers.FirstOrDefault(d => d.Kind == account.Kind);
        var credentials = account is null ? null : accounts.CredentialsOf(account);
        var problem = account switch
        {
            null => $"Provider account '{operation.ProviderName}' no longer exists.",
            { IsEnabled: false } => $"Provider account '{account.Name}' is disabled; enable it and retry.",
            _ when driver is null => $"The portal has no driver for {account.Kind}.",
            _ when credentials is null => $"The credentials of provider account '{account.Name}' cannot be read.",
            _ => null,
        };
        if (problem is not null)
        {
            Fail(operation, state, problem);
            return null;
        }

        var leaving = operation.Kind is OperationKind.Create or OperationKind.Update && !inFlavor.Contains(operation.ProviderAccountId);
        var removing = operation.Kind == OperationKind.Delete || leaving;
        var call = new ProviderCall(service.Id, operation.ProviderServiceId ?? state?.ProviderServiceId, ApiEndpoint(account!),
            credentials!, resilience.HttpClientFor(account!.Id), clock);
        var planned = new Planned(operation, state, driver!, call, removing, leaving);
        if (operation is { State: OperationState.Running, Step: OperationStep.Deploying or OperationStep.Removing })
        {
            // Asking a vendor how its rollout goes: already shown running at this step, so nothing to save first.
            return planned;
        }

        var now = clock.GetUtcNow();
        operation.State = OperationState.Running;
        operation.StartedAt ??= now;
        operation.UpdatedAt = now;
        operation.NextAttemptAt = null;
        if (operation.Step is not OperationStep.Deploying)
        {
            operation.Step = removing ? OperationStep.Removing : operation.Kind == OperationKind.Purge ? OperationStep.Purging : OperationStep.Applying;
        }
        if (state is not null && operation.Kind != OperationKind.Purge)
        {
            state.Status = removing ? ProviderStatus.DeleteInProgress : ProvisioningOperation.InProgressStatus(operation.Kind);
            state.UpdatedAt = now;
        }
        return planned;
    }

    /// <summary>The driver call, then its outcome recorded under <paramref name="gate"/> (one save at a time).</summary>
    private async Task RunOneAsync(PortalDbContext db, SemaphoreSlim gate, Planned planned, ServiceSpec spec, CancellationToken cancellationToken)
    {
        var attempts = 0;
        Action<ProvisioningOperation> outcome;
        try
        {
            // Counted atomically: a driver may send requests side by side, and each retry of one counts too.
            outcome = await CallDriverAsync(db, planned, spec, () => Interlocked.Increment(ref attempts), cancellationToken);
        }
        catch (Exception e) when (ProviderResilience.IsTransient(e) && !cancellationToken.IsCancellationRequested)
        {
            outcome = operation => RetryLater(operation, planned.State, e);
        }
        catch (CdnDriverException e)
        {
            // Not worth repeating: bad credentials, a configuration the vendor rejects. Shown with the vendor's words.
            outcome = operation => Fail(operation, planned.State, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogUnexpected(e, planned.Operation.Id, planned.Operation.ProviderName);
            outcome = operation => Fail(operation, planned.State, $"Unexpected error: {e.Message}");
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            var operation = planned.Operation;
            operation.Attempts += attempts;
            outcome(operation);
            operation.UpdatedAt = clock.GetUtcNow();
            if (planned.State is { } state && db.Entry(state).State != EntityState.Deleted)
            {
                state.UpdatedAt = operation.UpdatedAt;
            }
            await SaveAsync(db, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Recording the outcome failed (the database was busy, say): the change stays tracked for the run's next
            // save; if none succeeds, the operation stays pending and the next run, or the recovery sweep, takes it up
            // again. Driver calls are idempotent, so nothing is duplicated.
            LogRecordFailed(e, planned.Operation.Id);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Calls the driver; returns how the outcome changes the operation (applied later, under the run's gate).</summary>
    private async Task<Action<ProvisioningOperation>> CallDriverAsync(
        PortalDbContext db, Planned planned, ServiceSpec spec, Action onAttempt, CancellationToken cancellationToken)
    {
        var (operation, state, driver, call, removing, leaving) = planned;
        if (removing)
        {
            var removed = await CallAsync(operation, token => driver.DeleteAsync(call, spec, token), onAttempt, cancellationToken);
            return removed == DeploymentState.InProgress
                ? o => ComeBackLater(o, OperationStep.Removing)
                : o =>
                {
                    Succeed(o);
                    if (leaving && state is not null)
                    {
                        db.Remove(state);
                    }
                };
        }

        if (operation.Kind == OperationKind.Purge)
        {
            await CallAsync(operation, async token =>
            {
                await driver.PurgeAsync(call, spec, operation.Purge?.Url, operation.Purge?.Hard ?? false, token);
                return true;
            }, onAttempt, cancellationToken);
            return Succeed;
        }

        // While the vendor rolls a change out, ask how it is going instead of applying it again.
        var result = operation.Step == OperationStep.Deploying
            ? await CallAsync(operation, token => driver.GetStateAsync(call, spec, token), onAttempt, cancellationToken)
            : null;
        result ??= await CallAsync(operation, token => driver.ApplyAsync(call, spec, token), onAttempt, cancellationToken);
        return o =>
        {
            Record(o, state, result);
            if (result.State == DeploymentState.InProgress)
            {
                ComeBackLater(o, OperationStep.Deploying);
            }
            else
            {
                Succeed(o);
                if (state is not null)
                {
                    state.Status = ProviderStatus.Deployed;
                    state.ErrorMessage = null;
                }
            }
        };
    }

    /// <summary>A transient failure: try again later, backing off further with every run that ends on one; or give up.</summary>
    private void RetryLater(ProvisioningOperation operation, ServiceProviderState? state, Exception e)
    {
        operation.LastError = Describe(e);
        if (operation.Attempts >= _options.MaxAttempts)
        {
            Fail(operation, state, $"Gave up after {operation.Attempts} attempts: {operation.LastError}");
            return;
        }

        // Unless the vendor said how long to wait.
        var runs = Math.Max(1, operation.Attempts / (_options.RetriesPerRun + 1));
        var backoff = _options.RescheduleDelay * Math.Pow(2, Math.Min(runs - 1, 5));
        operation.State = OperationState.Retrying;
        operation.NextAttemptAt = clock.GetUtcNow() + (ProviderResilience.SuggestedDelay(e) is { } wait && wait > backoff ? wait : backoff);
        LogRetryLater(operation.Id, operation.ProviderName, operation.NextAttemptAt.Value, operation.LastError);
    }

    private Task<T> CallAsync<T>(ProvisioningOperation operation, Func<CancellationToken, Task<T>> call, Action onAttempt, CancellationToken cancellationToken) =>
        resilience.ExecuteAsync(operation.ProviderAccountId, call, onAttempt, cancellationToken);

    /// <summary>Saves, and tells the live pages only when something was written (a poll's start writes nothing).</summary>
    private async Task SaveAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        if (await db.SaveChangesAsync(cancellationToken) > 0)
        {
            events.Changed();
        }
    }

    /// <summary>
    /// Asks again later how the vendor's rollout is going: soon at first (a simulator or a small change is done in
    /// seconds), then less often as it takes longer (CloudFront takes minutes), at most every DeploymentPollInterval.
    /// </summary>
    private void ComeBackLater(ProvisioningOperation operation, OperationStep step)
    {
        var now = clock.GetUtcNow();
        var waited = now - (operation.StartedAt ?? now);
        var first = _options.DeploymentPollInterval < FirstPoll ? _options.DeploymentPollInterval : FirstPoll;
        var delay = waited / 2 < first ? first : waited / 2 > _options.DeploymentPollInterval ? _options.DeploymentPollInterval : waited / 2;
        operation.Step = step;
        operation.NextAttemptAt = now + delay;
    }

    private static readonly TimeSpan FirstPoll = TimeSpan.FromSeconds(1);

    private void Succeed(ProvisioningOperation operation)
    {
        operation.State = OperationState.Succeeded;
        operation.Step = OperationStep.Done;
        operation.NextAttemptAt = null;
        operation.FinishedAt = clock.GetUtcNow();
    }

    private void Fail(ProvisioningOperation operation, ServiceProviderState? state, string message)
    {
        operation.State = OperationState.Failed;
        operation.Step = OperationStep.Done;
        operation.NextAttemptAt = null;
        operation.LastError = Truncate(message);
        operation.FinishedAt = operation.UpdatedAt = clock.GetUtcNow();
        // A failed purge is reported on its operation; it does not make the service's configuration failed.
        if (state is not null && operation.Kind != OperationKind.Purge)
        {
            state.Status = ProviderStatus.Failed;
            state.ErrorMessage = Truncate($"{operation.Kind} failed: {message}");
        }
    }

    private static void Record(ProvisioningOperation operation, ServiceProviderState? state, ProvisionResult result)
    {
        operation.ProviderServiceId = result.ProviderServiceId;
        operation.Warnings = result.Warnings.Count > 0 ? JsonSerializer.Serialize(result.Warnings) : null;
        if (state is not null)
        {
            state.ProviderServiceId = result.ProviderServiceId;
            state.AccessUrls = JsonSerializer.Serialize(result.AccessUrls);
            state.Warnings = operation.Warnings;
        }
    }

    private static Uri ApiEndpoint(ProviderAccount account) =>
        new(account.ApiEndpoint.EndsWith('/') ? account.ApiEndpoint : account.ApiEndpoint + "/");

    private static string Describe(Exception e) => e switch
    {
        Polly.Timeout.TimeoutRejectedException => "The vendor did not answer in time.",
        Polly.CircuitBreaker.BrokenCircuitException => "The provider account's circuit is open after repeated failures; calls resume shortly.",
        _ => e.Message,
    };

    private static string Truncate(string message) => message.Length <= 4000 ? message : message[..3997] + "...";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provisioning operation {OperationId} at {Provider} will retry at {NextAttemptAt}: {Error}")]
    private partial void LogRetryLater(long operationId, string provider, DateTimeOffset nextAttemptAt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Provisioning operation {OperationId} at {Provider} failed unexpectedly")]
    private partial void LogUnexpected(Exception exception, long operationId, string provider);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the outcome of provisioning operation {OperationId}; it stays pending")]
    private partial void LogRecordFailed(Exception exception, long operationId);
}
