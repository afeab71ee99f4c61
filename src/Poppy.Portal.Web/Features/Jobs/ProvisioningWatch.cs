using Poppy.Portal.Core.Features.Provisioning;

namespace Poppy.Portal.Web.Features.Jobs;

/// <summary>
/// Keeps a live view of provisioning (the service page's card, the jobs page) current inside its circuit: it re-reads
/// at once when provisioning in this process reports a change (<see cref="ProvisioningEvents"/>), and every
/// <see cref="PollInterval"/> while the view shows open work, for changes made by other portal nodes. Re-reads never
/// overlap: changes that arrive during one are folded into a single next one.
/// </summary>
public sealed class ProvisioningWatch : IAsyncDisposable
{
    /// <summary>How often open work is re-read for changes made by other nodes.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private readonly Func<CancellationToken, Task> refresh;
    private readonly Func<bool> open;
    private readonly Func<Exception, Task> failed;
    private readonly CancellationTokenSource stopping = new();
    private readonly SemaphoreSlim one = new(1, 1);
    private readonly IDisposable subscription;
    private readonly Task polling;
    private int waiting;

    /// <param name="refresh">Re-reads and re-renders; the component passes its own dispatcher (InvokeAsync) around it.</param>
    /// <param name="open">Whether the view shows open work (then it is polled).</param>
    /// <param name="failed">Where an unexpected failure of a re-read goes (the component's DispatchExceptionAsync).</param>
    public ProvisioningWatch(ProvisioningEvents events, TimeProvider clock, Func<CancellationToken, Task> refresh, Func<bool> open, Func<Exception, Task> failed)
    {
        this.refresh = refresh;
        this.open = open;
        this.failed = failed;
        subscription = events.Subscribe(() => _ = RefreshAsync());
        polling = PollAsync(clock);
    }

    private async Task PollAsync(TimeProvider clock)
    {
        using var timer = new PeriodicTimer(PollInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping.Token))
            {
                if (open())
                {
                    await RefreshAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Re-reads now, or right after the re-read under way; never fails (failures go to the component).</summary>
    public async Task RefreshAsync()
    {
        if (Interlocked.Exchange(ref waiting, 1) == 1)
        {
            return; // one is already waiting: it will see this change too
        }
        try
        {
            await one.WaitAsync(stopping.Token);
            try
            {
                Interlocked.Exchange(ref waiting, 0);
                await refresh(stopping.Token);
            }
            finally
            {
                one.Release();
            }
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // The view went away meanwhile.
        }
        catch (Exception exception)
        {
            Interlocked.Exchange(ref waiting, 0);
            await failed(exception);
        }
    }

    public async ValueTask DisposeAsync()
    {
        subscription.Dispose();
        await stopping.CancelAsync();
        await polling;
        // The token source and the semaphore are not disposed: a change reported while this was disposed may still
        // start a re-read, which must find them cancelled rather than disposed. Neither holds an unmanaged handle here.
    }
}
