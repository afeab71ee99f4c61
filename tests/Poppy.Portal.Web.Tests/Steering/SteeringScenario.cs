using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Steering;

namespace Poppy.Portal.Web.Tests.Steering;

/// <summary>
/// A steering test on the shared <see cref="SteeringPortal"/>: one service of its own, steps of one probe interval on the
/// portal's clock, and afterwards the faults off and the clock back where it was (Quartz runs provisioning on the real
/// clock, so a clock left ahead would delay the next test's deployment by as much).
/// </summary>
public abstract class SteeringScenario(SteeringPortal fixture) : IDisposable
{
    protected static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(10);

    private TimeSpan advanced;

    protected SteeringPortal Fixture { get; } = fixture;

    /// <summary>The test's own service (the fixture's other services are steered by the same rounds).</summary>
    protected Guid Service { get; set; }

    public void Dispose()
    {
        Fixture.ResetFaults();
        Fixture.Portal.Clock.Advance(-advanced);
        GC.SuppressFinalize(this);
    }

    /// <summary>One probe interval passes on the portal's clock.</summary>
    protected void AdvanceOneInterval()
    {
        Fixture.Portal.Clock.Advance(ProbeInterval);
        advanced += ProbeInterval;
    }

    /// <summary>One probe interval: the clock moves, every edge is probed, a steering round decides; returns how many times the test's service switched.</summary>
    protected async Task<int> StepAsync()
    {
        AdvanceOneInterval();
        await Fixture.ProbeAsync();
        var before = await EventCountAsync(SteeringEventKind.Switch);
        await Fixture.SteerAsync();
        return await EventCountAsync(SteeringEventKind.Switch) - before;
    }

    protected async Task<int> EventCountAsync(SteeringEventKind kind)
    {
        await using var scope = Fixture.Portal.Services.CreateAsyncScope(Actor.System("test"));
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<SteeringEvent>()
            .CountAsync(e => e.ServiceId == Service && e.Kind == kind);
    }
}
