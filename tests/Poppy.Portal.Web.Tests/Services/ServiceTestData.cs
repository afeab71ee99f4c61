using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>Flavors, provider accounts and services written straight through the real Core services, for speed.</summary>
public static class ServiceTestData
{
    public const string Flavor = "cdn";

    /// <summary>Provider accounts (added when missing) and a flavor of them, in the order given ("fastly" when none).</summary>
    public static async Task SeedFlavorAsync(this PortalFactory portal, string flavorId = Flavor, params string[] providerNames)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var now = TimeProvider.System.GetUtcNow();
        var providers = new List<FlavorProvider>();
        foreach (var providerName in providerNames.Length == 0 ? ["fastly"] : providerNames)
        {
            var account = await db.Set<ProviderAccount>().FirstOrDefaultAsync(a => a.Name == providerName);
            if (account is null)
            {
                account = new ProviderAccount
                {
                    Id = Guid.NewGuid(), Name = providerName, Kind = ProviderKind.Fastly, ApiEndpoint = "http://127.0.0.1:9/",
                    CredentialsHint = "none", CreatedAt = now, UpdatedAt = now,
                };
                db.Add(account);
            }
            providers.Add(new FlavorProvider { Position = providers.Count, ProviderAccountId = account.Id, ProviderUrl = $"www.{providerName}.test" });
        }
        db.Add(new Flavor { Id = flavorId, CreatedAt = now, Providers = providers });
        await db.SaveChangesAsync();
    }

    public static ServiceSpec Spec(string name, string domain, string flavorId = Flavor) => new()
    {
        Name = name,
        FlavorId = flavorId,
        Domains = [new DomainSpec { Domain = domain }],
        Origins = [new OriginSpec { Origin = "origin." + domain }],
    };

    /// <summary>Creates a service through <see cref="ServiceCatalog"/> in the named project and returns its id.</summary>
    public static async Task<Guid> CreateServiceAsync(this PortalFactory portal, ServiceSpec spec, string project = PortalFactory.FirstProject)
    {
        var projectId = await portal.ProjectIdAsync(project);
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        var result = await scope.ServiceProvider.GetRequiredService<ServiceCatalog>().CreateAsync(projectId, spec, CancellationToken.None);
        Assert.True(result.Succeeded, $"{result.Outcome}: {result.Message} {string.Join("; ", result.Errors)}");
        return result.ServiceId;
    }

    /// <summary>Raises a project's service limit (Poppy's default is 20).</summary>
    public static async Task SetServiceLimitAsync(this PortalFactory portal, int limit, string project = PortalFactory.FirstProject)
    {
        var projectId = await portal.ProjectIdAsync(project);
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        await scope.ServiceProvider.GetRequiredService<ServiceCatalog>().SetLimitAsync(projectId, limit, CancellationToken.None);
    }

    public static async Task SetServiceStatusAsync(this PortalFactory portal, Guid id, ProviderStatus status, string project = PortalFactory.FirstProject)
    {
        var projectId = await portal.ProjectIdAsync(project);
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        var result = await scope.ServiceProvider.GetRequiredService<ServiceCatalog>().SetStatusAsync(projectId, id, status, CancellationToken.None);
        Assert.True(result.Succeeded, result.Message);
    }

    /// <summary>The stored service (with domains and providers), read fresh from the database.</summary>
    public static async Task<CdnService?> FindServiceAsync(this PortalFactory portal, Guid id)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<CdnService>().AsNoTracking()
            .Include(s => s.Domains).Include(s => s.Providers).FirstOrDefaultAsync(s => s.Id == id);
    }

    public static async Task<ServicePurge> SinglePurgeAsync(this PortalFactory portal, Guid serviceId)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<ServicePurge>().AsNoTracking().SingleAsync(p => p.ServiceId == serviceId);
    }

    public static async Task<int> PurgeCountAsync(this PortalFactory portal, Guid serviceId)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<ServicePurge>().CountAsync(p => p.ServiceId == serviceId);
    }

    public static async Task<List<CdnService>> AllServicesAsync(this PortalFactory portal)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<CdnService>().AsNoTracking()
            .Include(s => s.Domains).ToListAsync();
    }
}
