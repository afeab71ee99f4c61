namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>
/// A clock whose timers fire only when the test says so (<see cref="Tick"/>): with it, what a live page shows before a
/// tick came through a provisioning event, and what it shows after one came through its poll. The time itself is real.
/// </summary>
public sealed class ManualTimers : TimeProvider
{
    private readonly Lock gate = new();
    private readonly List<Timer> timers = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        lock (gate)
        {
            timers.Add(timer);
        }
        return timer;
    }

    /// <summary>Fires every live timer once, as if its period had passed.</summary>
    public void Tick()
    {
        List<Timer> live;
        lock (gate)
        {
            live = [.. timers];
        }
        foreach (var timer in live)
        {
            timer.Fire();
        }
    }

    private sealed class Timer(ManualTimers owner, TimerCallback callback, object? state) : ITimer
    {
        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
            lock (owner.gate)
            {
                owner.timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
