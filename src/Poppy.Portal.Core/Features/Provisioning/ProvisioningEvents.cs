namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>
/// Tells live views (Server-Sent Events) in this process that provisioning changed something, so they re-read the
/// database at once instead of at their next poll. Changes made by other portal processes reach them by that poll.
/// </summary>
public sealed class ProvisioningEvents
{
    private TaskCompletionSource changed = NewSignal();

    public void Changed()
    {
        var previous = Interlocked.Exchange(ref changed, NewSignal());
        previous.TrySetResult();
    }

    /// <summary>Completes at the next change, or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        try
        {
            await Volatile.Read(ref changed).Task.WaitAsync(timeout, clock, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
