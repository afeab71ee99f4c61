using System.Net;
using Poppy.CacheTier.Tests.Infrastructure;

namespace Poppy.CacheTier.Tests.Agent;

/// <summary>
/// Purge without nginx's commercial purge: hard removes the cache file, soft marks it stale so nginx refreshes it, and
/// still serves it while the origin fails.
/// </summary>
[Collection(NodeCollection.Name)]
public sealed class PurgeTests(NodeFixture fixture)
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task A_soft_purged_path_is_served_stale_while_the_origin_refuses_connections()
    {
        // The cache asks the origin through the service's origin side, which turns a refused connection into a 502:
        // that must still count as the origin failing (proxy_cache_use_stale ... http_502), as the refusal itself did.
        var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("down");
        var id = TestNode.NewServiceId("down");
        await Node.ApplyAsync(id, TestNode.Service(domain, origin));
        await Node.GetAsync(domain, "/doc.txt");
        await Node.PurgeAsync(id, "/doc.txt", hard: false);
        await origin.DisposeAsync();

        var stale = await Node.GetAsync(domain, "/doc.txt");
        Assert.Equal(HttpStatusCode.OK, stale.Status);
        Assert.Equal("STALE", stale.XCache);
        Assert.Equal("origin /doc.txt #1", stale.Body);
        Assert.Equal(HttpStatusCode.BadGateway, (await Node.GetAsync(domain, "/never-cached.txt")).Status);
    }

    [Fact]
    public async Task A_soft_purge_marks_the_path_stale_served_while_the_origin_fails_and_refreshed_after()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("soft");
        var id = TestNode.NewServiceId("soft");
        await Node.ApplyAsync(id, TestNode.Service(domain, origin));
        await Node.GetAsync(domain, "/doc.txt");
        await Node.GetAsync(domain, "/other.txt");
        Assert.Equal("HIT", (await Node.GetAsync(domain, "/doc.txt")).XCache);

        var purge = await Node.PurgeAsync(id, "/doc.txt", hard: false);
        Assert.Equal(1, purge["entries"]!.GetValue<int>());

        origin.Failing = true;
        var stale = await Node.GetAsync(domain, "/doc.txt");
        Assert.Equal(HttpStatusCode.OK, stale.Status);
        Assert.Equal("STALE", stale.XCache);
        Assert.Equal("origin /doc.txt #1", stale.Body);

        origin.Failing = false;
        var refreshed = await Node.GetAsync(domain, "/doc.txt");
        Assert.Equal("EXPIRED", refreshed.XCache);
        Assert.Equal("origin /doc.txt #3", refreshed.Body); // #2 was the failed attempt
        Assert.Equal("HIT", (await Node.GetAsync(domain, "/doc.txt")).XCache);
        Assert.Equal("HIT", (await Node.GetAsync(domain, "/other.txt")).XCache);
    }

    [Fact]
    public async Task A_hard_purge_removes_the_path_so_nothing_is_left_to_serve_when_the_origin_fails()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("hard");
        var id = TestNode.NewServiceId("hard");
        await Node.ApplyAsync(id, TestNode.Service(domain, origin));
        await Node.GetAsync(domain, "/doc.txt?v=1");
        Assert.Equal("HIT", (await Node.GetAsync(domain, "/doc.txt?v=1")).XCache);

        Assert.Equal(1, (await Node.PurgeAsync(id, "/doc.txt?v=1", hard: true))["entries"]!.GetValue<int>());

        origin.Failing = true;
        Assert.Equal(HttpStatusCode.InternalServerError, (await Node.GetAsync(domain, "/doc.txt?v=1")).Status);
        origin.Failing = false;
        var again = await Node.GetAsync(domain, "/doc.txt?v=1");
        Assert.Equal("MISS", again.XCache);
        Assert.Equal("origin /doc.txt?v=1 #3", again.Body);
        Assert.Equal(0, (await Node.PurgeAsync(id, "/never-cached.txt", hard: true))["entries"]!.GetValue<int>());
    }

    [Fact]
    public async Task Purging_everything_touches_every_domain_and_path_of_the_service_and_nothing_of_another()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var main = TestNode.NewDomain("all");
        var alias = TestNode.NewDomain("alias");
        var id = TestNode.NewServiceId("all");
        var config = TestNode.Service(main, origin);
        config.Domains.Add(new Poppy.CacheTier.Agent.Services.DomainConfig { Domain = alias });
        await Node.ApplyAsync(id, config);
        var neighbour = TestNode.NewDomain("neighbour");
        await Node.ApplyAsync(TestNode.NewServiceId("neighbour"), TestNode.Service(neighbour, origin));
        foreach (var (domain, path) in new[] { (main, "/a"), (main, "/b"), (alias, "/a"), (neighbour, "/a") })
        {
            await Node.GetAsync(domain, path);
            Assert.Equal("HIT", (await Node.GetAsync(domain, path)).XCache);
        }

        Assert.Equal(3, (await Node.PurgeAsync(id, null, hard: false))["entries"]!.GetValue<int>());
        Assert.Equal("EXPIRED", (await Node.GetAsync(main, "/a")).XCache);
        Assert.Equal("EXPIRED", (await Node.GetAsync(alias, "/a")).XCache);

        Assert.Equal(3, (await Node.PurgeAsync(id, null, hard: true))["entries"]!.GetValue<int>());
        Assert.Equal("MISS", (await Node.GetAsync(main, "/a")).XCache);
        Assert.Equal("MISS", (await Node.GetAsync(main, "/b")).XCache);
        Assert.Equal("MISS", (await Node.GetAsync(alias, "/a")).XCache);
        Assert.Equal("HIT", (await Node.GetAsync(neighbour, "/a")).XCache);
    }

    [Fact]
    public async Task A_path_purge_reaches_every_domain_of_the_service()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var main = TestNode.NewDomain("multi");
        var alias = TestNode.NewDomain("multi");
        var id = TestNode.NewServiceId("multi");
        var config = TestNode.Service(main, origin);
        config.Domains.Add(new Poppy.CacheTier.Agent.Services.DomainConfig { Domain = alias });
        await Node.ApplyAsync(id, config);
        await Node.GetAsync(main, "/a%20b.txt");
        await Node.GetAsync(alias, "/a%20b.txt");

        Assert.Equal(2, (await Node.PurgeAsync(id, "/a%20b.txt", hard: true))["entries"]!.GetValue<int>());
        Assert.Equal("MISS", (await Node.GetAsync(main, "/a%20b.txt")).XCache);
        Assert.Equal("MISS", (await Node.GetAsync(alias, "/a%20b.txt")).XCache);
    }

    [Fact]
    public async Task Purging_a_service_the_node_does_not_hold_is_404()
    {
        using var response = await Node.Api.PostAsync("api/services/not-here/purge", null);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
