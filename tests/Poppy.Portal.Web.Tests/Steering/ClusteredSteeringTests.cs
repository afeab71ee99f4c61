using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Web.Tests.Steering;

/// <summary>The steering fixture on PostgreSQL with a second portal process on the same database.</summary>
public sealed class ClusteredSteeringPortal : SteeringPortal
{
    private readonly PostgresServer postgres = new();
    private string connectionString = "";

    public PortalFactory SecondNode { get; private set; } = null!;

    protected override async Task<string?> PostgresConnectionStringAsync()
    {
        await postgres.InitializeAsync();
        connectionString = await postgres.CreateDatabaseAsync("steering");
        return connectionString;
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        SecondNode = new PortalFactory(null, connectionString);
        UseFastProvisioning(SecondNode);
        ApplySettings(SecondNode);
        _ = SecondNode.Server;
    }

    public override async Task DisposeAsync()
    {
        await SecondNode.DisposeAsync();
        await base.DisposeAsync();
        await postgres.DisposeAsync();
    }
}

public sealed class ClusteredSteeringTests(ClusteredSteeringPortal fixture) : IClassFixture<ClusteredSteeringPortal>, IDisposable
{
    public void Dispose() => fixture.ResetFaults();

    [Fact]
    public async Task Two_nodes_on_PostgreSQL_running_the_same_rounds_switch_a_service_once()
    {
        var (id, _) = await fixture.DeployedServiceAsync();
        var record = Assert.Single(await fixture.WaitForRecordsAsync(id, r => r.Count == 1 && r[0].State == DnsRecordState.Live, "live"));
        using var put = await fixture.Admin.PutAsJsonAsync($"/v1.0/services/{id}/steering",
            new { policy = "failover", providers = new[] { "sim-fastly", "sim-akamai", "sim-maxcdn" } });
        put.EnsureSuccessStatusCode();
        await fixture.ProbeAsync();

        fixture.Simulators.Fastly.Faults.Set(new FaultProfile { Outage = true });
        var number = SteeringRound.RoundAt(fixture.Portal.Clock.GetUtcNow(), TimeSpan.FromSeconds(2));
        for (var i = 0; i < 4; i++)
        {
            await fixture.ProbeAsync();
            number++;
            // Both processes run every round at once, as a firing seen twice would.
            var results = await Task.WhenAll(SteeringPortal.SteerAsync(fixture.Portal, number), SteeringPortal.SteerAsync(fixture.SecondNode, number));
            // The fixture's one steered service is decided by exactly one of them.
            Assert.Equal(1, results.Sum(r => r.Decided));
        }

        await using var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System("test"));
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var switches = await db.Set<SteeringEvent>().AsNoTracking().Where(e => e.ServiceId == id && e.Kind == SteeringEventKind.Switch).ToListAsync();
        var only = Assert.Single(switches);
        Assert.Equal("sim-akamai", only.ToProvider);
        Assert.Equal(number, (await db.Set<ServiceSteering>().AsNoTracking().SingleAsync(s => s.ServiceId == id)).LastRound);
        Assert.Equal(Assert.Single(await fixture.RecordsAsync(id)).Target, await fixture.AnswerAsync(record.Name));
    }
}
