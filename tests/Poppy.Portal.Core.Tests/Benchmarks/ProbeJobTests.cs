using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Tests.Jobs;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Core.Tests.Benchmarks;

/// <summary>
/// The scheduled probe job on a real job store: a deployed service is probed every interval on each provider's edge (a
/// loopback server standing in for both edges), one sample per provider per slot, also with two nodes of a PostgreSQL
/// cluster running the job.
/// </summary>
public sealed class ProbeJobTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Sqlite_the_job_probes_each_provider_once_per_slot()
    {
        using var folder = new TempDirectory("poppy-probe-job");
        await using var edge = await LoopbackOrigin.StartAsync("edge");
        var connection = JobTestHost.SqliteConnectionString(Path.Combine(folder.Path, "portal.db"));
        await using var node = await JobTestHost.StartAsync(DatabaseProvider.Sqlite, connection, Settings(edge), start: false);
        var serviceId = await SeedAsync(node.Host.Services);
        await node.Host.StartAsync();
        await CheckAsync(node.Host.Services, serviceId);
    }

    [Fact]
    public async Task Postgres_two_nodes_probe_each_provider_once_per_slot()
    {
        await using var edge = await LoopbackOrigin.StartAsync("edge");
        var connection = await postgres.CreateDatabaseAsync("probejob");
        await using var first = await JobTestHost.StartAsync(DatabaseProvider.PostgreSQL, connection, Settings(edge), start: false);
        var serviceId = await SeedAsync(first.Host.Services);
        await first.Host.StartAsync();
        await using var second = await JobTestHost.StartAsync(DatabaseProvider.PostgreSQL, connection, Settings(edge), migrate: false);
        await CheckAsync(first.Host.Services, serviceId);
    }

    private static Dictionary<string, string?> Settings(LoopbackOrigin edge) => new()
    {
        ["Portal:Benchmarks:DefaultInterval"] = "00:00:02",
        ["Portal:Benchmarks:Tick"] = "00:00:00.500",
        ["Portal:Benchmarks:ConnectTo:0:HostSuffix"] = ".edge.test",
        ["Portal:Benchmarks:ConnectTo:0:Address"] = edge.Url.GetLeftPart(UriPartial.Authority),
    };

    private static async Task CheckAsync(IServiceProvider services, Guid serviceId)
    {
        var started = services.GetRequiredService<TimeProvider>().GetUtcNow();
        await Task.Delay(TimeSpan.FromSeconds(7));
        await using var scope = services.CreateAsyncScope(Actor.System());
        var samples = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<ProbeSample>().AsNoTracking()
            .Where(s => s.ServiceId == serviceId).ToListAsync();
        foreach (var provider in new[] { "edge-a", "edge-b" })
        {
            var mine = samples.Where(s => s.ProviderName == provider).OrderBy(s => s.At).ToList();
            // 7 s at a 2 s interval: 3 or 4 slots (the first tick waits for the next whole tick).
            Assert.InRange(mine.Count, 2, 4);
            Assert.All(mine, s => Assert.True(s.Outcome == ProbeOutcome.Ok && s.Status == 200, $"{s.Status} {s.Error}"));
            // One probe per slot: consecutive probes are an interval apart, never two in one slot (those would be a tick,
            // 0.5 s, apart or less) and no slot skipped (4 s). Half an interval either way: on a loaded machine a probe
            // starts up to a second after its slot, and the next one on time (seen: 1.17 s).
            foreach (var (earlier, later) in mine.Zip(mine.Skip(1)))
            {
                Assert.InRange(later.At - earlier.At, Interval / 2, Interval + Interval / 2);
            }
            Assert.True(mine[0].At >= started - TimeSpan.FromSeconds(1));
        }
    }

    private static async Task<Guid> SeedAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var project = new Project { Id = Guid.NewGuid(), Name = "probed", CreatedAt = now };
        var service = new CdnService
        {
            Id = Guid.NewGuid(), ProjectId = project.Id, Name = "probed", FlavorId = "probed", Status = ServiceStatus.Deployed,
            Document = "{}", CreatedAt = now, UpdatedAt = now,
            Domains = [new ServiceDomain { Domain = "www.probed.test", Protocol = DomainProtocol.Http }],
        };
        foreach (var name in new[] { "edge-a", "edge-b" })
        {
            service.Providers.Add(new ServiceProviderState
            {
                ProviderAccountId = Guid.NewGuid(), ProviderName = name, Status = ProviderStatus.Deployed, UpdatedAt = now,
                AccessUrls = AccessUrlJson.Write([new AccessUrl("www.probed.test", $"www-probed-test.{name}.edge.test", null)]),
            });
        }
        db.Add(new Flavor { Id = "probed", CreatedAt = now });
        db.Add(project);
        db.Add(service);
        await db.SaveChangesAsync();
        return service.Id;
    }
}
