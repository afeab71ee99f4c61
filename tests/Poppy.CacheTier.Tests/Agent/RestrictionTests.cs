using System.Net;
using System.Text.Json.Nodes;
using Poppy.CacheTier.Agent.Services;
using Poppy.CacheTier.Tests.Infrastructure;

namespace Poppy.CacheTier.Tests.Agent;

/// <summary>Client-IP, referrer and geography restrictions as nginx enforces them (the tests' client is 127.0.0.1).</summary>
[Collection(NodeCollection.Name)]
public sealed class RestrictionTests(NodeFixture fixture)
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task A_blacklisted_client_ip_gets_403_on_the_restricted_path_only()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("ipblack");
        var config = TestNode.Service(domain, origin);
        config.Restrictions.Add(Restriction("no-loopback", RestrictionAccess.Blacklist, new RestrictionRuleConfig { ClientIp = "127.0.0.1", RequestUrl = "/secret/*" }));
        await Node.ApplyAsync(TestNode.NewServiceId("ipblack"), config);

        Assert.Equal(HttpStatusCode.Forbidden, (await Node.GetAsync(domain, "/secret/plans.pdf")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Node.GetAsync(domain, "/public/a.txt")).Status);
        Assert.Equal(0, origin.RequestsFor("/secret/plans.pdf"));
    }

    [Fact]
    public async Task A_client_ip_whitelist_lets_its_networks_in_and_no_one_else()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var inside = TestNode.NewDomain("ipwhite");
        var config = TestNode.Service(inside, origin);
        config.Restrictions.Add(Restriction("office", RestrictionAccess.Whitelist,
            new RestrictionRuleConfig { ClientIp = "10.0.0.0/8" }, new RestrictionRuleConfig { ClientIp = "127.0.0.0/8" }));
        await Node.ApplyAsync(TestNode.NewServiceId("ipwhite"), config);

        var outside = TestNode.NewDomain("ipwhite");
        var closed = TestNode.Service(outside, origin);
        closed.Restrictions.Add(Restriction("office", RestrictionAccess.Whitelist, new RestrictionRuleConfig { ClientIp = "10.0.0.0/8" }));
        await Node.ApplyAsync(TestNode.NewServiceId("ipwhite"), closed);

        Assert.Equal(HttpStatusCode.OK, (await Node.GetAsync(inside, "/a.txt")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Node.GetAsync(outside, "/a.txt")).Status);
    }

    [Fact]
    public async Task A_wrong_referer_gets_403()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("referer");
        var config = TestNode.Service(domain, origin);
        config.Restrictions.Add(Restriction("own pages", RestrictionAccess.Whitelist, new RestrictionRuleConfig { Name = "www", Referrer = "www.good.test" }));
        config.Restrictions.Add(Restriction("leech", RestrictionAccess.Blacklist, new RestrictionRuleConfig { Name = "leech", Referrer = "leech.test", RequestUrl = "/open/*" }));
        await Node.ApplyAsync(TestNode.NewServiceId("referer"), config);

        Assert.Equal(HttpStatusCode.Forbidden, (await Node.GetAsync(domain, "/img/a.png", "http://www.evil.test/page")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Node.GetAsync(domain, "/img/a.png", "http://www.good.test.evil.test/")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Node.GetAsync(domain, "/img/a.png", "https://www.good.test/gallery?x=1")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Node.GetAsync(domain, "/img/a.png")).Status); // no Referer: as valid_referers none
        Assert.Equal(HttpStatusCode.Forbidden, (await Node.GetAsync(domain, "/open/b.png", "http://leech.test/")).Status);
    }

    [Fact]
    public async Task Geography_is_enforced_with_the_nodes_country_database()
    {
        // The fixture's database puts 127.0.0.0/8 in France.
        await using var origin = await LoopbackOrigin.StartAsync();
        var usOnly = TestNode.NewDomain("geo");
        var config = TestNode.Service(usOnly, origin);
        config.Restrictions.Add(Restriction("north america", RestrictionAccess.Whitelist, new RestrictionRuleConfig { Countries = ["US", "CA"] }));
        var applied = await Node.ApplyAsync(TestNode.NewServiceId("geo"), config);
        Assert.Empty(applied["warnings"]!.AsArray());

        var notFrance = TestNode.NewDomain("geo");
        var blocked = TestNode.Service(notFrance, origin);
        blocked.Restrictions.Add(Restriction("not france", RestrictionAccess.Blacklist, new RestrictionRuleConfig { Countries = ["FR"], RequestUrl = "/fr-blocked/*" }));
        await Node.ApplyAsync(TestNode.NewServiceId("geo"), blocked);

        Assert.Equal(HttpStatusCode.Forbidden, (await Node.GetAsync(usOnly, "/a.txt")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await Node.GetAsync(notFrance, "/fr-blocked/a.txt")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Node.GetAsync(notFrance, "/elsewhere/a.txt")).Status);
    }

    [Fact]
    public async Task Without_a_country_database_geography_is_refused_with_a_warning_and_the_rest_applied()
    {
        await using var node = await TestNode.StartAsync();
        await using var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("nogeo");
        var config = TestNode.Service(domain, origin);
        config.Restrictions.Add(Restriction("north america", RestrictionAccess.Whitelist, new RestrictionRuleConfig { Countries = ["US"] }));
        config.Restrictions.Add(Restriction("no loopback", RestrictionAccess.Blacklist, new RestrictionRuleConfig { ClientIp = "127.0.0.1", RequestUrl = "/private/*" }));
        var id = TestNode.NewServiceId("nogeo");

        var applied = await node.ApplyAsync(id, config);

        var warning = Assert.Single(applied["warnings"]!.AsArray())!.GetValue<string>();
        Assert.Contains("north america", warning);
        Assert.Contains("not enforced", warning);
        Assert.Contains("no country database", warning);
        Assert.Equal(HttpStatusCode.OK, (await node.GetAsync(domain, "/a.txt")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await node.GetAsync(domain, "/private/a.txt")).Status);
        var held = JsonNode.Parse(await node.Api.GetStringAsync($"api/services/{id}"))!;
        Assert.Equal(warning, held["warnings"]![0]!.GetValue<string>());
    }

    private static RestrictionConfig Restriction(string name, RestrictionAccess access, params RestrictionRuleConfig[] rules) =>
        new() { Name = name, Access = access, Rules = [.. rules] };
}
