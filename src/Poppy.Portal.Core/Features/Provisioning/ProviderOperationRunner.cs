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
    /// <param name="Polling">The vendor already accepted this change and the call only asks how its rollout (or removal) goes.</param>
    private sealed record Planned(
        ProvisioningOperation Operation, ServiceProviderState? State, ICdnDriver Driver, ProviderCall Call, bool Removing, bool Leaving, bool Polling);

    /// <summary>How a driver call changes its operation (applied under the run's gate), and whether the call was only a poll.</summary>
    private sealed record Outcome(Action<ProvisioningOperation> Apply, bool WasPoll = false);

    public async Task RunAsync(PortalDbContext db, CdnService service, IReadOnlyList<ProvisioningOperation> due, CancellationToken cancellationToken)
    {
        var accountIds = due.Select(o => o.ProviderAccountId).Distinct().ToList();
        var byId = await db.Set<ProviderAccount>().AsNoTracking().Where(a => accountIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, cancellationToken);
        // A provider that left the service's flavor has the service removed from it; a flavor that is gone altogether
        // (deleted while this change was queued) says nothing about its providers, so nothing is removed for it.
        var changes = due.Any(o => o.Kind is OperationKind.Create or OperationKind.Update);
        var flavorExists = !changes || await db.Set<Flavor>().AnyAsync(f => f.Id == service.FlavorId, cancellationToken);
        var inFlavor = changes
            ? (await db.Set<FlavorProvider>().Where(f => f.FlavorId == service.FlavorId).Select(f => f.ProviderAccountId).ToListAsync(cancellationToken)).ToHashSet()
            : [];
        var spec = service.ReadSpec();

        var planned = due.Select(o => Plan(o, service, byId.GetValueOrDefault(o.ProviderAccountId), flavorExists, inFlavor)).OfType<Planned>().ToList();
        await SaveAsync(db, cancellationToken); // every provider shown running (or failed, when it cannot be called) at once

        using var gate = new SemaphoreSlim(1, 1);
        await Task.WhenAll(planned.Select(p => RunOneAsync(db, gate, p, spec, cancellationToken)));
    }

    /// <summary>Marks the operation running and makes its call; or fails it, when its provider cannot be called.</summary>
    private Planned? Plan(ProvisioningOperation operation, CdnService service, ProviderAccount? account, bool flavorExists, IReadOnlySet<Guid> inFlavor)
    {
        var state = service.Providers.FirstOrDefault(p => p.ProviderAccountId == operation.ProviderAccountId);
        var driver = account is null ? null : drivers.FirstOrDefault(d => d.Kind == account.Kind);
        var credentials = account is null ? null : accounts.CredentialsOf(account);
        var change = operation.Kind is OperationKind.Create or OperationKind.Update;
        var problem = account switch
        {
            null => $"Provider account '{operation.ProviderName}' no longer exists.",
            { IsEnabled: false } => $"Provider account '{account.Name}' is disabled; enable it and retry.",
            _ when driver is null => $"The portal has no driver for {account.Kind}.",
            _ when credentials is null => $"The credentials of provider account '{account.Name}' cannot be read.",
            _ when change && !flavorExists => $"The service's flavor '{service.FlavorId}' no longer exists; choose another flavor.",
            _ => null,
        };
        if (problem is not null)
        {
            Fail(operation, state, problem);
            return null;
        }

        var leaving = change && !inFlavor.Contains(operation.ProviderAccountId);
        var removing = operation.Kind == OperationKind.Delete || leaving;
        var call = new ProviderCall(service.Id, operation.ProviderServiceId ?? state?.ProviderServiceId, ApiEndpoint(account!),
            credentials!, resilience.HttpClientFor(account!.Id), clock);
        // Deploying: the vendor accepted the change (a failed poll leaves it Retrying at that step). Removing while
        // running: the vendor is removing it (a first removal is started as Running only by this method, below).
        var polling = operation.Step == OperationStep.Deploying || operation is { State: OperationState.Running, Step: OperationStep.Removing };
        var planned = new Planned(operation, state, driver!, call, removing, leaving, polling);
        if (operation is { State: OperationState.Running, Step: OperationStep.Deploying or OperationStep.Removing })
        {
            // Asking a vendor how its rollout goes: already shown running at this step, so nothing to save first.
            return planned;
        }

        var now = clock.GetUtcNow();
        operation.Start(removing ? OperationStep.Removing : operation.Kind == OperationKind.Purge ? OperationStep.Purging : OperationStep.Applying, now);
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
        Outcome outcome;
        try
        {
            // Counted atomically: a driver may send requests side by side, and each retry of one counts too.
            outcome = await CallDriverAsync(db, planned, spec, () => Interlocked.Increment(ref attempts), cancellationToken);
        }
        catch (Exception e) when (ProviderResilience.IsTransient(e) && !cancellationToken.IsCancellationRequested)
        {
            outcome = new(operation => RetryLater(operation, planned.State, e));
        }
        catch (CdnDriverException e)
        {
            // Not worth repeating: bad credentials, a configuration the vendor rejects. Shown with the vendor's words.
            outcome = new(operation => Fail(operation, planned.State, e.Message));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogUnexpected(e, planned.Operation.Id, planned.Operation.ProviderName);
            outcome = new(operation => Fail(operation, planned.State, $"Unexpected error: {e.Message}"));
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            var operation = planned.Operation;
            // A poll that answered is not a try; one that failed is, so failing polls still run out of attempts.
            if (!outcome.WasPoll)
            {
                operation.CountAttempts(attempts);
            }
            outcome.Apply(operation);
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
    private async Task<Outcome> CallDriverAsync(PortalDbContext db, Planned planned, ServiceSpec spec, Action onAttempt, CancellationToken cancellationToken)
    {
        var (operation, state, driver, call, removing, leaving, polling) = planned;
        if (removing)
        {
            var removed = await CallAsync(operation, token => driver.DeleteAsync(call, spec, token), onAttempt, cancellationToken);
            return removed == DeploymentState.InProgress
                ? new(o => ComeBackLater(o, OperationStep.Removing), polling)
                : new(o =>
                {
                    Succeed(o);
                    if (leaving && state is not null)
                    {
                        db.Remove(state);
                    }
                }, polling);
        }

        if (operation.Kind == OperationKind.Purge)
        {
            await CallAsync(operation, async token =>
            {
                await driver.PurgeAsync(call, spec, operation.Purge?.Url, operation.Purge?.Hard ?? false, token);
                return true;
            }, onAttempt, cancellationToken);
            return new(Succeed);
        }

        // While the vendor rolls a change out, ask how it is going instead of applying it again.
        var result = polling
            ? await CallAsync(operation, token => driver.GetStateAsync(call, spec, token), onAttempt, cancellationToken)
            : null;
        var wasPoll = result is not null;
        result ??= await CallAsync(operation, token => driver.ApplyAsync(call, spec, token), onAttempt, cancellationToken);
        return new(o =>
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
        }, wasPoll);
    }

    /// <summary>A transient failure: try again later, backing off further with every run that ends on one; or give up.</summary>
    private void RetryLater(ProvisioningOperation operation, ServiceProviderState? state, Exception e)
    {
        var error = Describe(e);
        if (operation.Attempts >= _options.MaxAttempts)
        {
            Fail(operation, state, $"Gave up after {operation.Attempts} attempts: {error}");
            return;
        }

        // Unless the vendor said how long to wait.
        var runs = Math.Max(1, operation.Attempts / (_options.RetriesPerRun + 1));
        var backoff = _options.RescheduleDelay * Math.Pow(2, Math.Min(runs - 1, 5));
        var now = clock.GetUtcNow();
        var at = now + (ProviderResilience.SuggestedDelay(e) is { } wait && wait > backoff ? wait : backoff);
        operation.RetryAt(at, error, now);
        LogRetryLater(operation.Id, operation.ProviderName, at, error);
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
        operation.Poll(step, now + delay, now);
    }

    private static readonly TimeSpan FirstPoll = TimeSpan.FromSeconds(1);

    private void Succeed(ProvisioningOperation operation) => operation.Succeed(clock.GetUtcNow());

    private void Fail(ProvisioningOperation operation, ServiceProviderState? state, string message)
    {
        operation.Fail(message, clock.GetUtcNow());
        // A failed purge is reported on its operation; it does not make the service's configuration failed.
        if (state is not null && operation.Kind != OperationKind.Purge)
        {
            state.Status = ProviderStatus.Failed;
            state.ErrorMessage = Truncate($"{operation.Kind} failed: {message}");
        }
    }

    private void Record(ProvisioningOperation operation, ServiceProviderState? state, ProvisionResult result)
    {
        operation.Record(result.ProviderServiceId, result.Warnings, clock.GetUtcNow());
        if (state is not null)
        {
            state.ProviderServiceId = result.ProviderServiceId;
            state.AccessUrls = AccessUrlJson.Write(result.AccessUrls);
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

    private static string Truncate(string message) =>
        message.Length <= ProvisioningOperation.MaxErrorLength ? message : message[..(ProvisioningOperation.MaxErrorLength - 3)] + "...";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provisioning operation {OperationId} at {Provider} will retry at {NextAttemptAt}: {Error}")]
    private partial void LogRetryLater(long operationId, string provider, DateTimeOffset nextAttemptAt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Provisioning operation {OperationId} at {Provider} failed unexpectedly")]
    private partial void LogUnexpected(Exception exception, long operationId, string provider);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the outcome of provisioning operation {OperationId}; it stays pending")]
    private partial void LogRecordFailed(Exception exception, long operationId);
}
