using System.Net;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Simulators.Tests.CloudFront;
using Poppy.Portal.Simulators.Tests.Infrastructure;
using static Poppy.Portal.Simulators.Tests.CloudFront.CloudFrontCalls;

namespace Poppy.Portal.Simulators.Tests.Edge;

public sealed class CloudFrontEdgeTests : SimulatorTest
{
    private CloudFrontCalls Api => new(Simulator.CloudFront.ApiBaseUrl, Clock);

    private async Task<(string Id, string Host, string ETag)> CreateAsync(string config)
    {
        using var api = Api;
        using var created = await api.SendAsync(HttpMethod.Post, "2020-05-31/distribution", config);
        AssertStatus(HttpStatusCode.Created, created, await created.Content.ReadAsStringAsync());
        var xml = await XmlOf(created);
        return (xml.Element(Ns + "Id")!.Value, xml.Element(Ns + "DomainName")!.Value, Header(created, "ETag"));
    }

    [Fact]
    public async Task Miss_then_hit_with_age_default_ttl_expiry_and_invalidation()
    {
        var (id, host, _) = await CreateAsync(Config("edge", Origin.Port, defaultTtl: 120));

        using (var miss = await EdgeAsync(host, "/img/a.png"))
        {
            AssertStatus(HttpStatusCode.OK, miss);
            Assert.Equal("Miss from cloudfront", Header(miss, "X-Cache"));
            Assert.NotEmpty(Header(miss, "X-Amz-Cf-Pop"));
            Assert.EndsWith("(CloudFront)", Header(miss, "Via"));
        }

        Clock.Advance(TimeSpan.FromSeconds(30));
        using (var hit = await EdgeAsync(host, "/img/a.png"))
        {
            Assert.Equal("Hit from cloudfront", Header(hit, "X-Cache"));
            Assert.Equal("30", Header(hit, "Age"));
        }

        Assert.Equal("127.0.0.1", Origin.HostHeaders.Single()); // CloudFront sends the origin's domain name as Host

        Clock.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal("origin /img/a.png #2", await EdgeBodyAsync(host, "/img/a.png"));
        await EdgeBodyAsync(host, "/other");

        using var api = Api;
        using (var invalidation = await api.SendAsync(HttpMethod.Post, $"2020-05-31/distribution/{id}/invalidation", InvalidationBatch("i1", "/img/*")))
        {
            AssertStatus(HttpStatusCode.Created, invalidation);
        }

        Assert.Equal("origin /img/a.png #3", await EdgeBodyAsync(host, "/img/a.png"));
        Assert.Equal("origin /other #1", await EdgeBodyAsync(host, "/other")); // not under /img/
    }

    [Fact]
    public async Task Origin_max_age_is_clamped_and_query_strings_split_the_cache_only_when_forwarded()
    {
        Origin.SetHeaders("/short", ("Cache-Control", "max-age=10"));
        var (_, host, _) = await CreateAsync(Config("q", Origin.Port, forwardQuery: true));
        await EdgeBodyAsync(host, "/short?a=1");
        Assert.Equal("origin /short?a=2 #1", await EdgeBodyAsync(host, "/short?a=2"));
        Clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal("origin /short?a=1 #2", await EdgeBodyAsync(host, "/short?a=1"));

        var (_, other, _) = await CreateAsync(Config("no-q", Origin.Port, forwardQuery: false));
        await EdgeBodyAsync(other, "/page?a=1");
        using var sameObject = await EdgeAsync(other, "/page?a=2");
        Assert.Equal("Hit from cloudfront", Header(sameObject, "X-Cache"));
    }

    [Fact]
    public async Task Aliases_serve_the_distribution_and_a_disabled_one_answers_403()
    {
        var (id, host, etag) = await CreateAsync(Config("alias", Origin.Port, alias: "cdn.example.com"));
        using (var byAlias = await EdgeAsync("cdn.example.com", "/"))
        {
            AssertStatus(HttpStatusCode.OK, byAlias);
        }

        using var api = Api;
        using (var disable = await api.SendAsync(HttpMethod.Put, $"2020-05-31/distribution/{id}/config",
                   Config("alias", Origin.Port, enabled: false, alias: "cdn.example.com"), etag))
        {
            AssertStatus(HttpStatusCode.OK, disable);
        }

        using var disabled = await EdgeAsync(host, "/");
        AssertStatus(HttpStatusCode.Forbidden, disabled);
        Assert.Contains("The request could not be satisfied", await disabled.Content.ReadAsStringAsync());
        Assert.Equal("Error from cloudfront", Header(disabled, "X-Cache"));
    }

    [Fact]
    public async Task Throttling_is_CloudFronts_400_Throttling_with_Retry_After_and_outages_stay_per_vendor()
    {
        Simulator.CloudFront.Faults.Set(new FaultProfile { ThrottleBurst = new ThrottleBurst(2, 3) });
        using var api = Api;
        for (var i = 0; i < 2; i++)
        {
            using var throttled = await api.SendAsync(HttpMethod.Get, "2020-05-31/distribution");
            AssertStatus(HttpStatusCode.BadRequest, throttled);
            Assert.Equal("Throttling", await ErrorCodeOf(throttled));
            Assert.Equal("3", Header(throttled, "Retry-After"));
        }

        using (var ok = await api.SendAsync(HttpMethod.Get, "2020-05-31/distribution"))
        {
            AssertStatus(HttpStatusCode.OK, ok);
        }

        Simulator.Fastly.Faults.Set(new FaultProfile { Outage = true });
        using (var unaffected = await api.SendAsync(HttpMethod.Get, "2020-05-31/distribution"))
        {
            AssertStatus(HttpStatusCode.OK, unaffected);
        }

        Simulator.CloudFront.Faults.Set(new FaultProfile { Outage = true });
        using var down = await api.SendAsync(HttpMethod.Get, "2020-05-31/distribution");
        AssertStatus(HttpStatusCode.ServiceUnavailable, down);
        Assert.Equal("ServiceUnavailable", await ErrorCodeOf(down));
    }
}
