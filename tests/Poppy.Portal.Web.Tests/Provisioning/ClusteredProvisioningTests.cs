using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Simulators;
using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Tests.Api;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>
/// Two portal processes on one PostgreSQL database, as a scaled-out installation runs: Quartz clustering shares the
/// provisioning jobs between them. The first also runs the simulators; the second only works.
/// </summary>
public sealed class ClusteredProvisioningPortal : ProvisioningPortal
{
    private readonly PostgresServer postgres = new();
    private string connectionString = "";

    public PortalFactory SecondNode { get; private set; } = null!;

    protected override async Task<PortalFactory> CreatePortalAsync()
    {
        await postgres.InitializeAsync();
        connectionString = await postgres.CreateDatabaseAsync("cluster");
        return new PortalFactory(null, connectionString);
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        SecondNode = new PortalFactory(null, connectionString);
        UseFastProvisioning(SecondNode);
        _ = SecondNode.Server;
    }

    public override async Task DisposeAsync()
    {
        await SecondNode.DisposeAsync();
        await base.DisposeAsync();
        await postgres.DisposeAsync();
    }
}

public sealed class ClusteredProvisioningTests(ClusteredProvisioningPortal fixture) : IClassFixture<ClusteredProvisioningPortal>
{
    [Fact]
    public async Task Two_nodes_on_PostgreSQL_share_the_provisioning_and_deploy_every_service_once()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            ids.Add(await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService()));
        }
        foreach (var id in ids)
        {
            await fixture.WaitForStatusAsync(id, "deployed", TimeSpan.FromSeconds(60));
            Assert.All(fixture.VendorResources(id), r => Assert.True(r.Value == 1, $"{r.Key} holds {r.Value} resources for {id}"));
        }

        await using var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System());
        var operations = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<ProvisioningOperation>()
            .Where(o => ids.Contains(o.ServiceId)).ToListAsync();
        Assert.Equal(40, operations.Count);
        Assert.All(operations, o => Assert.Equal(OperationState.Succeeded, o.State));

        // The second node reads the same state through its own API.
        using var viaSecond = await fixture.SecondNode.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, PortalFactory.FirstProject);
        using var response = await viaSecond.GetAsync($"/v1.0/services/{ids[0]}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"deployed\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public Task A_flavor_whose_services_were_all_deleted_can_be_deleted_with_its_provider_account_on_PostgreSQL() =>
        Flavors.FlavorDeletionScenario.RunAsync(fixture, "flavor-life");
}
