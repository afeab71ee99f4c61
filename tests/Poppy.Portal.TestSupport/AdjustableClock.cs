namespace Poppy.Portal.TestSupport;

/// <summary>
/// The real clock, plus an offset a test can move forward: tokens expire and minutes pass without waiting, while
/// everything that was not moved on purpose (cookies, timestamps in logs) behaves as usual.
/// </summary>
public sealed class AdjustableClock : TimeProvider
{
    private long offsetTicks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref offsetTicks, by.Ticks);
}
