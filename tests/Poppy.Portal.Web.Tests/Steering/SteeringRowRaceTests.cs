using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Web.Tests.Api;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Steering;

/// <summary>
/// A service has no steering row until its first DNS step (a provisioning job) or a steering change creates it; both
/// create it when they find none, so a change made right after the service deployed can meet the job's row.
/// </summary>
public sealed class SteeringRowRaceTests : PortalTest
{
    [Fact]
    public async Task A_steering_change_lands_on_the_row_the_DNS_step_created_meanwhile()
    {
        var dnsStep = new RowCreatedMeanwhile();
        Portal.TestServices.Add(services => services.ConfigureDbContext<PortalDbContext>(db => db.AddInterceptors(dnsStep)));
        await Portal.SeedFlavorAsync(ApiFixture.Flavor, "sim-fastly", "sim-cloudfront");
        using var admin = await Portal.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, PortalFactory.FirstProject);
        var service = await ApiFixture.CreateAsync(admin, ApiFixture.NewService());
        dnsStep.Services = Portal.Services;

        using var put = await admin.PutAsJsonAsync($"/v1.0/services/{service}/steering", new { policy = "fastest" });

        Assert.True(put.StatusCode == HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        Assert.True(dnsStep.Fired);
        await using var db = await Portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var row = Assert.Single(await db.Set<ServiceSteering>().Where(s => s.ServiceId == service).ToListAsync());
        Assert.Equal(SteeringPolicy.Fastest, row.Policy);
        // The failed first insert left no audit entry behind: the change is recorded once.
        Assert.Single(await db.Set<AuditEntry>().Where(e => e.EntityId == service.ToString() && e.Action == "steering").ToListAsync());
    }

    /// <summary>Stores a steering row of the same service, as the DNS step would, just before the change's own insert.</summary>
    private sealed class RowCreatedMeanwhile : SaveChangesInterceptor
    {
        public IServiceProvider? Services { get; set; }

        public bool Fired { get; private set; }

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(
            DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (Services is not null && !Fired
                && eventData.Context!.ChangeTracker.Entries<ServiceSteering>().FirstOrDefault(e => e.State == EntityState.Added) is { } added)
            {
                Fired = true;
                await using var other = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken);
                other.Add(new ServiceSteering { ServiceId = added.Entity.ServiceId, ProjectId = added.Entity.ProjectId, UpdatedAt = added.Entity.UpdatedAt });
                await other.SaveChangesAsync(cancellationToken);
            }
            return result;
        }
    }
}
