using System.Net;
using Poppy.Portal.Simulators.Tests.Akamai;
using Poppy.Portal.Simulators.Tests.Infrastructure;

namespace Poppy.Portal.Simulators.Tests.Edge;

public sealed class AkamaiEdgeTests : SimulatorTest
{
    private static readonly (string, string) CacheDebug = ("Pragma", "akamai-x-cache-on");

    [Fact]
    public async Task Active_property_serves_miss_then_hit_expires_by_rule_ttl_and_ccu_invalidate_revalidates()
    {
        using var api = new AkamaiCalls(Simulator.Akamai.ApiBaseUrl, Clock);
        var (_, edgeHost) = await api.CreatePropertyAsync("www.example.com", Origin.Port, ttl: "60s");

        using (var notYet = await EdgeAsync(edgeHost, "/a"))
        {
            AssertStatus(HttpStatusCode.BadRequest, notYet); // activation still pending: the edge does not know the host
            Assert.Contains("Invalid URL", await notYet.Content.ReadAsStringAsync());
        }

        Clock.Advance(TimeSpan.FromMinutes(5));
        using (var miss = await EdgeAsync("www.example.com", "/a", null, CacheDebug))
        {
            AssertStatus(HttpStatusCode.OK, miss);
            Assert.StartsWith("TCP_MISS", Header(miss, "X-Cache"));
        }

        Clock.Advance(TimeSpan.FromSeconds(20));
        using (var hit = await EdgeAsync("www.example.com", "/a", null, CacheDebug))
        {
            Assert.StartsWith("TCP_HIT", Header(hit, "X-Cache"));
            Assert.Equal("20", Header(hit, "Age"));
        }

        using (var quiet = await EdgeAsync("www.example.com", "/a"))
        {
            Assert.Equal("", Header(quiet, "X-Cache")); // without the Pragma, Akamai does not say
        }

        Assert.Equal("www.example.com", Origin.HostHeaders.Single()); // REQUEST_HOST_HEADER

        Clock.Advance(TimeSpan.FromSeconds(41));
        Assert.Equal("origin /a #2", await EdgeBodyAsync("www.example.com", "/a"));

        await api.OkAsync(api.SendAsync(HttpMethod.Post, "ccu/v3/invalidate/url/production",
            """{"hostname":"www.example.com","objects":["/a"]}"""), HttpStatusCode.Created);
        Assert.True(Simulator.Akamai.EdgeCache.Entries.Single().Stale); // invalidate is the soft purge
        Assert.Equal("origin /a #3", await EdgeBodyAsync("www.example.com", "/a"));

        // The edge hostname itself reaches the one property that uses it.
        Assert.Equal("origin /b #1", await EdgeBodyAsync(edgeHost, "/b"));
        // Staging has nothing active.
        using var staging = await EdgeAsync("www.example.com.edgesuite-staging.net", "/b");
        AssertStatus(HttpStatusCode.BadRequest, staging);
    }

    [Fact]
    public async Task Child_rules_by_path_override_caching_and_cpcode_purge_empties_the_property()
    {
        using var api = new AkamaiCalls(Simulator.Akamai.ApiBaseUrl, Clock);
        const string noStoreForApi = """
            {"name":"api","options":{},"criteriaMustSatisfy":"all","children":[],
             "criteria":[{"name":"path","options":{"matchOperator":"MATCHES_ONE_OF","values":["/api/*"]}}],
             "behaviors":[{"name":"caching","options":{"behavior":"NO_STORE"}}]}
            """;
        await api.CreatePropertyAsync("www.example.com", Origin.Port, ttl: "1d", children: noStoreForApi);
        Clock.Advance(TimeSpan.FromMinutes(5));

        await EdgeBodyAsync("www.example.com", "/api/x");
        await EdgeBodyAsync("www.example.com", "/page");
        Assert.Equal("origin /api/x #2", await EdgeBodyAsync("www.example.com", "/api/x"));
        Assert.Equal("origin /page #1", await EdgeBodyAsync("www.example.com", "/page"));

        await api.OkAsync(api.SendAsync(HttpMethod.Post, "ccu/v3/delete/cpcode/production", """{"objects":["123456"]}"""), HttpStatusCode.Created);
        Assert.Equal(0, Simulator.Akamai.EdgeCache.Count);
        Assert.Equal("origin /page #2", await EdgeBodyAsync("www.example.com", "/page"));
    }
}
