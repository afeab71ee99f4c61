using System.Net;
using Poppy.Portal.Simulators.MaxCdn;
using Poppy.Portal.Simulators.Tests.Infrastructure;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Simulators.Tests.MaxCdn;

public sealed class MaxCdnTests : SimulatorTest
{
    private MaxCdnCalls Api => new(Http, Simulator.MaxCdn.AccountApiBaseUrl, Clock);

    [Fact]
    public void OAuth1_signature_matches_the_published_example()
    {
        // The widely published HMAC-SHA1 example (consumer + token secret) from the OAuth 1.0a documentation of a large API.
        var parameters = new Dictionary<string, string>
        {
            ["status"] = "Hello Ladies + Gentlemen, a signed OAuth request!",
            ["include_entities"] = "true",
            ["oauth_consumer_key"] = "xvz1evFS4wEEPTGEFPHBog",
            ["oauth_nonce"] = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
            ["oauth_signature_method"] = "HMAC-SHA1",
            ["oauth_timestamp"] = "1318622958",
            ["oauth_token"] = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            ["oauth_version"] = "1.0",
        };
        var baseString = OAuth1Signature.BaseString("post", "https://api.twitter.com/1/statuses/update.json", parameters);
        Assert.StartsWith("POST&https%3A%2F%2Fapi.twitter.com%2F1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key", baseString);
        Assert.Equal("tnnArxj06cWHq44gCs1OSKk/jLY=",
            OAuth1Signature.Sign(baseString, "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"));
    }

    [Fact]
    public async Task Pull_zone_create_read_update_custom_domain_purge_delete_conversation()
    {
        var created = await Api.OkAsync(Api.SendAsync(HttpMethod.Post, "zones/pull.json",
            ("name", "poppyzone"), ("url", $"http://127.0.0.1:{Origin.Port}"), ("compress", "1")), HttpStatusCode.Created);
        var zone = created["data"]!["pullzone"]!;
        var id = zone["id"]!.GetValue<string>();
        Assert.Equal("poppyzone.poppysim.netdna-cdn.com", zone["cdn_url"]!.GetValue<string>());
        Assert.Equal("1", Assert.Single(Simulator.MaxCdn.PullZones)["compress"]);

        var listed = await Api.OkAsync(Api.SendAsync(HttpMethod.Get, "zones/pull.json"));
        Assert.Equal(1, listed["data"]!["total"]!.GetValue<int>());

        await Api.OkAsync(Api.SendAsync(HttpMethod.Put, $"zones/pull.json/{id}", ("cache_valid", "2h"), ("queries", "1")));
        var read = await Api.OkAsync(Api.SendAsync(HttpMethod.Get, $"zones/pull.json/{id}"));
        Assert.Equal("2h", read["data"]!["pullzone"]!["cache_valid"]!.GetValue<string>());

        var domain = await Api.OkAsync(Api.SendAsync(HttpMethod.Post, $"zones/pull/{id}/customdomains.json", ("custom_domain", "cdn.example.com")),
            HttpStatusCode.Created);
        Assert.Equal("cdn.example.com", domain["data"]!["customdomain"]!["custom_domain"]!.GetValue<string>());
        Assert.Equal("cdn.example.com", Assert.Single(Simulator.MaxCdn.PullZones[0].CustomDomains).Domain);

        // The edge serves the zone host and the custom domain; a purge empties it.
        Assert.Equal("origin /a.css #1", await EdgeBodyAsync("cdn.example.com", "/a.css"));
        using (var hit = await EdgeAsync("cdn.example.com", "/a.css"))
        {
            Assert.Equal("HIT", Header(hit, "X-Cache"));
            Assert.Equal("NetDNA-cache/2.2", Header(hit, "Server"));
        }

        Assert.Equal("127.0.0.1", Origin.HostHeaders.Last()); // the origin URL's host
        await Api.OkAsync(Api.SendAsync(HttpMethod.Delete, $"zones/pull.json/{id}/cache"));
        Assert.Equal(1, Assert.Single(Simulator.MaxCdn.Purges).ObjectsPurged);
        using (var miss = await EdgeAsync("poppyzone.poppysim.netdna-cdn.com", "/a.css"))
        {
            Assert.Equal("MISS", Header(miss, "X-Cache"));
        }

        await Api.OkAsync(Api.SendAsync(HttpMethod.Delete, $"zones/pull.json/{id}"));
        Assert.Empty(Simulator.MaxCdn.PullZones);
        using var gone = await Api.SendAsync(HttpMethod.Get, $"zones/pull.json/{id}");
        AssertStatus(HttpStatusCode.NotFound, gone);
        Assert.Equal("not_found", (await JsonOf(gone))["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Edge_ttl_comes_from_cache_valid_and_expires_on_the_clock()
    {
        await Api.OkAsync(Api.SendAsync(HttpMethod.Post, "zones/pull.json",
            ("name", "ttlzone"), ("url", $"http://127.0.0.1:{Origin.Port}"), ("cache_valid", "10m")), HttpStatusCode.Created);
        const string host = "ttlzone.poppysim.netdna-cdn.com";
        await EdgeBodyAsync(host, "/x");
        Clock.Advance(TimeSpan.FromMinutes(9));
        using (var hit = await EdgeAsync(host, "/x"))
        {
            Assert.Equal("HIT", Header(hit, "X-Cache"));
            Assert.Equal("540", Header(hit, "Age"));
        }

        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("origin /x #2", await EdgeBodyAsync(host, "/x"));
    }

    [Fact]
    public async Task Bad_signatures_unknown_aliases_and_invalid_zones_are_refused_in_the_RWS_envelope()
    {
        var wrongSecret = new MaxCdnCalls(Http, Simulator.MaxCdn.AccountApiBaseUrl, Clock, secret: "wrong");
        using (var refused = await wrongSecret.SendAsync(HttpMethod.Get, "zones/pull.json"))
        {
            AssertStatus(HttpStatusCode.Unauthorized, refused);
            var body = await JsonOf(refused);
            Assert.Equal(401, body["code"]!.GetValue<int>());
            Assert.Equal("not_authorized", body["error"]!["type"]!.GetValue<string>());
        }

        var otherAlias = new MaxCdnCalls(Http, new Uri(Simulator.MaxCdn.ApiBaseUrl, "someoneelse/"), Clock);
        using (var unknown = await otherAlias.SendAsync(HttpMethod.Get, "zones/pull.json"))
        {
            AssertStatus(HttpStatusCode.NotFound, unknown);
        }

        using (var invalid = await Api.SendAsync(HttpMethod.Post, "zones/pull.json", ("name", "x"), ("url", "not a url")))
        {
            AssertStatus(HttpStatusCode.BadRequest, invalid);
            Assert.Equal("validation_error", (await JsonOf(invalid))["error"]!["type"]!.GetValue<string>());
        }

        Clock.Advance(TimeSpan.FromMinutes(10));
        var staleClock = new MaxCdnCalls(Http, Simulator.MaxCdn.AccountApiBaseUrl, new ManualClock());
        using (var expired = await staleClock.SendAsync(HttpMethod.Get, "zones/pull.json"))
        {
            AssertStatus(HttpStatusCode.Unauthorized, expired);
        }

        Assert.Empty(Simulator.MaxCdn.PullZones);
    }
}
