using System.Net;
using Poppy.Portal.Simulators.Fastly;
using Poppy.Portal.Simulators.Tests.Fastly;
using Poppy.Portal.Simulators.Tests.Infrastructure;

namespace Poppy.Portal.Simulators.Tests.Edge;

public sealed class FastlyEdgeTests : SimulatorTest
{
    private const string Domain = "www.example.com";
    private const string AccessHost = Domain + FastlySimulator.AccessHostSuffix;

    private FastlyCalls Api => new(Http, Simulator.Fastly.ApiBaseUrl);

    private Task<string> CreateServiceAsync(Func<string, Task>? configure = null) =>
        Api.CreateActiveServiceAsync(Domain, Origin.Port, configure);

    [Fact]
    public async Task First_request_is_a_miss_from_the_origin_then_hits_with_age_until_the_ttl_runs_out()
    {
        await CreateServiceAsync(sid => Api.OkAsync(Api.PutAsync($"/service/{sid}/version/1/settings", ("general.default_ttl", "300"))));

        using (var miss = await EdgeAsync(AccessHost, "/page"))
        {
            AssertStatus(HttpStatusCode.OK, miss);
            Assert.Equal("MISS", Header(miss, "X-Cache"));
            Assert.Equal("0", Header(miss, "Age"));
            Assert.StartsWith("cache-", Header(miss, "X-Served-By"));
            Assert.Equal("origin /page #1", await miss.Content.ReadAsStringAsync());
        }

        Clock.Advance(TimeSpan.FromSeconds(42));
        using (var hit = await EdgeAsync(AccessHost, "/page"))
        {
            Assert.Equal("HIT", Header(hit, "X-Cache"));
            Assert.Equal("42", Header(hit, "Age"));
            Assert.Equal("1", Header(hit, "X-Cache-Hits"));
            Assert.Equal("origin /page #1", await hit.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, Origin.RequestsFor("/page"));
        Assert.Equal(AccessHost, Origin.HostHeaders.Last()); // no override_host: the viewer's Host goes to the origin

        Clock.Advance(TimeSpan.FromSeconds(300 - 42));
        using (var expired = await EdgeAsync(AccessHost, "/page"))
        {
            Assert.Equal("MISS", Header(expired, "X-Cache"));
            Assert.Equal("origin /page #2", await expired.Content.ReadAsStringAsync());
        }

        // The custom domain itself is served by the same service and cache.
        using var byDomain = await EdgeAsync(Domain, "/page");
        Assert.Equal("MISS", Header(byDomain, "X-Cache")); // cached per Host, like Fastly's default hash
        Assert.Equal(3, Origin.RequestsFor("/page"));
    }

    [Fact]
    public async Task Cache_settings_under_a_condition_override_the_default_ttl_for_matching_paths()
    {
        await CreateServiceAsync(async sid =>
        {
            await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/condition", ("name", "img"), ("statement", "req.url ~ \"^/img/\""), ("type", "CACHE")));
            await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/cache_settings", ("name", "img"), ("action", "cache"), ("ttl", "60"), ("cache_condition", "img")));
            await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/condition", ("name", "api"), ("statement", "req.url ~ \"^/api/\""), ("type", "CACHE")));
            await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/cache_settings", ("name", "api"), ("action", "pass"), ("cache_condition", "api")));
        });

        await EdgeBodyAsync(AccessHost, "/img/a.png");
        await EdgeBodyAsync(AccessHost, "/other");
        await EdgeBodyAsync(AccessHost, "/api/x");
        Clock.Advance(TimeSpan.FromSeconds(61));
        using var image = await EdgeAsync(AccessHost, "/img/a.png");
        using var other = await EdgeAsync(AccessHost, "/other");
        using var api = await EdgeAsync(AccessHost, "/api/x");
        Assert.Equal("MISS", Header(image, "X-Cache")); // 60 s rule
        Assert.Equal("HIT", Header(other, "X-Cache")); // default 3600 s
        Assert.Equal("MISS", Header(api, "X-Cache")); // pass
        Assert.Equal(2, Origin.RequestsFor("/api/x"));
    }

    [Fact]
    public async Task Origin_cache_headers_apply_and_no_store_is_never_cached()
    {
        Origin.SetHeaders("/short", ("Cache-Control", "max-age=10"));
        Origin.SetHeaders("/private", ("Cache-Control", "no-store"));
        await CreateServiceAsync();

        await EdgeBodyAsync(AccessHost, "/short");
        await EdgeBodyAsync(AccessHost, "/private");
        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("origin /short #1", await EdgeBodyAsync(AccessHost, "/short"));
        Assert.Equal("origin /private #2", await EdgeBodyAsync(AccessHost, "/private"));
        Clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal("origin /short #2", await EdgeBodyAsync(AccessHost, "/short"));
    }

    [Fact]
    public async Task Url_purge_evicts_and_soft_purge_marks_stale_which_is_served_when_the_origin_fails()
    {
        await CreateServiceAsync();
        await EdgeBodyAsync(AccessHost, "/a");
        await EdgeBodyAsync(AccessHost, "/b");

        // Hard purge through the API: /a is evicted, /b stays.
        var purge = await Api.OkAsync(Api.PostAsync($"/purge/{AccessHost}/a"));
        Assert.Equal("ok", purge["status"]!.GetValue<string>());
        Assert.DoesNotContain(Simulator.Fastly.EdgeCache.Entries, e => e.Path == "/a");
        Assert.Equal("origin /a #2", await EdgeBodyAsync(AccessHost, "/a"));
        using (var b = await EdgeAsync(AccessHost, "/b"))
        {
            Assert.Equal("HIT", Header(b, "X-Cache"));
        }

        // Soft purge with the PURGE method on the edge: kept but stale; the next request revalidates (a miss) …
        using (var softPurge = await EdgeAsync(AccessHost, "/b", new HttpMethod("PURGE"), ("Fastly-Soft-Purge", "1")))
        {
            AssertStatus(HttpStatusCode.OK, softPurge);
        }

        Assert.True(Simulator.Fastly.EdgeCache.Entries.Single(e => e.Path == "/b").Stale);
        var log = Simulator.Fastly.Purges;
        Assert.Equal([FastlyPurgeKind.Url, FastlyPurgeKind.Url], log.Select(p => p.Kind));
        Assert.True(log[1].Soft);
        Assert.NotNull(log[1].ServiceId);

        // … and a stale copy is what viewers get while the origin fails.
        Origin.Failing = true;
        using var stale = await EdgeAsync(AccessHost, "/b");
        AssertStatus(HttpStatusCode.OK, stale);
        Assert.Equal("origin /b #1", await stale.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Purge_all_and_surrogate_keys_empty_the_service_cache()
    {
        Origin.SetHeaders("/tagged", ("Surrogate-Key", "product-1 catalog"));
        var sid = await CreateServiceAsync();
        await EdgeBodyAsync(AccessHost, "/tagged");
        await EdgeBodyAsync(AccessHost, "/untagged");

        using (var tagged = await EdgeAsync(AccessHost, "/tagged"))
        {
            Assert.False(tagged.Headers.Contains("Surrogate-Key")); // consumed by the edge
        }

        await Api.OkAsync(Api.PostAsync($"/service/{sid}/purge/catalog"));
        Assert.Equal(["/untagged"], Simulator.Fastly.EdgeCache.Entries.Select(e => e.Path));

        await Api.OkAsync(Api.PostAsync($"/service/{sid}/purge_all"));
        Assert.Equal(0, Simulator.Fastly.EdgeCache.Count);
        Assert.Equal("origin /untagged #2", await EdgeBodyAsync(AccessHost, "/untagged"));
    }

    [Fact]
    public async Task Unknown_domains_inactive_services_and_non_loopback_origins_get_Fastly_errors()
    {
        using (var unknown = await EdgeAsync("nobody.global.prod.fastly.net", "/"))
        {
            AssertStatus(HttpStatusCode.InternalServerError, unknown);
            Assert.Contains("Fastly error: unknown domain", await unknown.Content.ReadAsStringAsync());
        }

        // A service that was never activated is not on the edge.
        var draft = await Api.OkAsync(Api.PostAsync("/service", ("name", "draft")));
        await Api.OkAsync(Api.PostAsync($"/service/{draft["id"]}/version/1/domain", ("name", "draft.example.com")));
        using (var inactive = await EdgeAsync("draft.example.com.global.prod.fastly.net", "/"))
        {
            AssertStatus(HttpStatusCode.InternalServerError, inactive);
        }

        // The simulator never leaves the machine: a public origin answers as an unhealthy backend.
        var service = await Api.OkAsync(Api.PostAsync("/service", ("name", "public")));
        var sid = service["id"]!.GetValue<string>();
        await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/domain", ("name", "public.example.com")));
        await Api.OkAsync(Api.PostAsync($"/service/{sid}/version/1/backend", ("name", "o"), ("address", "origin.example.com"), ("port", "80")));
        await Api.OkAsync(Api.PutAsync($"/service/{sid}/version/1/activate"));
        using var unreachable = await EdgeAsync("public.example.com", "/");
        AssertStatus(HttpStatusCode.ServiceUnavailable, unreachable);
        Assert.Contains("Backend is unhealthy", await unreachable.Content.ReadAsStringAsync());
    }
}
