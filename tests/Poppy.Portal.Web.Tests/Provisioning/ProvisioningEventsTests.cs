using Poppy.Portal.Core.Features.Provisioning;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>The in-process change signal the live pages subscribe to.</summary>
public sealed class ProvisioningEventsTests
{
    [Fact]
    public void A_subscriber_hears_every_change_until_it_unsubscribes_and_a_failing_one_stops_no_other()
    {
        var events = new ProvisioningEvents();
        var heard = 0;
        using var failing = events.Subscribe(() => throw new InvalidOperationException("a broken page"));
        var subscription = events.Subscribe(() => heard++);

        events.Changed();
        events.Changed();
        subscription.Dispose();
        events.Changed();
        subscription.Dispose();

        Assert.Equal(2, heard);
    }

    [Fact]
    public async Task A_waiter_wakes_at_the_next_change()
    {
        var events = new ProvisioningEvents();
        var waiting = events.WaitAsync(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None);

        events.Changed();

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
