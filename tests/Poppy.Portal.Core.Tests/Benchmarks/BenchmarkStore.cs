using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Core.Tests.Benchmarks;

/// <summary>The portal's services (no jobs, no web) on a migrated real database, with a clock the test moves.</summary>
internal sealed class BenchmarkStore : IAsyncDisposable
{
    private BenchmarkStore(ServiceProvider services, ManualClock clock)
    {
        Services = services;
        Clock = clock;
    }

    public ServiceProvider Services { get; }
    public ManualClock Clock { get; }

    public static async Task<BenchmarkStore> CreateAsync(DatabaseProvider provider, string connectionString, ManualClock clock)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = provider.ToString(),
            ["Database:ConnectionString"] = connectionString,
            ["Portal:Jobs:Enabled"] = "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddLogging();
        services.AddPortalCore(configuration, AppContext.BaseDirectory);
        var provider1 = services.BuildServiceProvider();
        await using (var scope = provider1.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Database.MigrateAsync();
        }
        return new BenchmarkStore(provider1, clock);
    }

    /// <summary>A deployed service in a new project (or the given one), written straight to the tables.</summary>
    public async Task<(Guid ProjectId, Guid ServiceId)> AddServiceAsync(string name, Guid? inProject = null)
    {
        await using var scope = Services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var now = Clock.GetUtcNow();
        if (!await db.Set<Flavor>().AnyAsync(f => f.Id == "bench"))
        {
            db.Add(new Flavor { Id = "bench", CreatedAt = now });
        }
        var projectId = inProject ?? Guid.NewGuid();
        if (inProject is null)
        {
            db.Add(new Project { Id = projectId, Name = name, CreatedAt = now });
        }
        var service = new CdnService
        {
            Id = Guid.NewGuid(), ProjectId = projectId, Name = name, FlavorId = "bench", Status = ServiceStatus.Deployed,
            Document = "{}", CreatedAt = now, UpdatedAt = now,
        };
        db.Add(service);
        await db.SaveChangesAsync();
        return (projectId, service.Id);
    }

    public async ValueTask DisposeAsync() => await Services.DisposeAsync();
}
