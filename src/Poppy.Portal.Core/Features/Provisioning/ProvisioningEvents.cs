using System.Collections.Immutable;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>
/// Tells live views in this process (the service page's provisioning card, the jobs page) that provisioning changed
/// something, so they re-read the database at once instead of at their next poll. Changes made by other portal
/// processes reach them by that poll.
/// </summary>
public sealed class ProvisioningEvents
{
    private TaskCompletionSource changed = NewSignal();
    private ImmutableList<Action> listeners = [];

    public void Changed()
    {
        var previous = Interlocked.Exchange(ref changed, NewSignal());
        previous.TrySetResult();
        foreach (var listener in Volatile.Read(ref listeners))
        {
            // A listener only schedules its own re-read; one that throws must not stop provisioning or the others.
            try
            {
                listener();
            }
            catch (Exception)
            {
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="onChanged"/> at every change until the returned handle is disposed. It runs on the
    /// provisioning thread: it should only schedule work (a component's InvokeAsync), never do it.
    /// </summary>
    public IDisposable Subscribe(Action onChanged)
    {
        ImmutableInterlocked.Update(ref listeners, list => list.Add(onChanged));
        return new Subscription(this, onChanged);
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

    private sealed class Subscription(ProvisioningEvents events, Action listener) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                ImmutableInterlocked.Update(ref events.listeners, list => list.Remove(listener));
            }
        }
    }
}
