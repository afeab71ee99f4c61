using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Cdn.Fastly;
using Poppy.Portal.Simulators;
using Poppy.Portal.Simulators.Fastly;
using Poppy.Portal.Simulators.Faults;

namespace Poppy.Portal.Providers.Tests.Cdn;

/// <summary>The Fastly driver against the Fastly simulator over loopback HTTP; assertions read the simulator's stored state.</summary>
public sealed class FastlyDriverTests : IAsyncLifetime
{
    private const string ApiKey = "sim-fastly-api-key";

    private readonly FastlyDriver driver = new();
    private readonly Guid serviceId = Guid.NewGuid();
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly SimulatorOptions options = new() { TimeoutHang = TimeSpan.FromSeconds(2) };
    private SimulatorHost sims = null!;

    public async Task InitializeAsync() => sims = await SimulatorHost.StartAsync(options, CancellationToken.None);

    public async Task DisposeAsync()
    {
        http.Dispose();
        await sims.DisposeAsync();
    }

    private ProviderCall Call(Guid? service = null, string? providerServiceId = null, string apiKey = ApiKey, HttpClient? client = null) =>
        new(service ?? serviceId, providerServiceId, sims.Fastly.ApiBaseUrl,
            new Dictionary<string, string> { ["api_key"] = apiKey }, client ?? http, TimeProvider.System);

    private static ServiceSpec Spec()
    {
        var spec = new ServiceSpec
        {
            Name = "mysite",
            FlavorId = "cdn",
            Domains =
            [
                new DomainSpec { Domain = "www.mysite.example" },
                new DomainSpec { Domain = "secure.mysite.example", Protocol = DomainProtocol.Https, Certificate = CertificateType.San },
            ],
            Origins =
            [
                new OriginSpec { Origin = "origin.mysite.example", Port = 80, HostHeaderType = HostHeaderType.Origin },
                new OriginSpec
                {
                    Origin = "img.mysite.example", Port = 443, Ssl = true, HostHeaderType = HostHeaderType.Custom,
                    HostHeaderValue = "images.mysite.example", Rules = [new RuleSpec { Name = "images", RequestUrl = "/images/*" }],
                },
            ],
            Caching =
            [
                new CachingRuleSpec { Name = "default", Ttl = 3600 },
                new CachingRuleSpec { Name = "images", Ttl = 86400, Rules = [new RuleSpec { Name = "img", RequestUrl = "/images/*" }] },
                new CachingRuleSpec { Name = "api", Ttl = 0, Rules = [new RuleSpec { Name = "api", RequestUrl = "/api/v1.json" }] },
            ],
            Restrictions =
            [
                new RestrictionSpec
                {
                    Name = "partners", Access = RestrictionAccess.Whitelist,
                    Rules = [new RestrictionRuleSpec { Name = "partner", Referrer = "partner.example.org" }],
                },
                new RestrictionSpec
                {
                    Name = "no-video-in-japan", Access = RestrictionAccess.Blacklist,
                    Rules = [new RestrictionRuleSpec { Name = "jp", Geography = "Japan", RequestUrl = "/video/*" }],
                },
                new RestrictionSpec
                {
                    Name = "office", Access = RestrictionAccess.Whitelist,
                    Rules = [new RestrictionRuleSpec { Name = "lan", ClientIp = "192.0.2.0/24", RequestUrl = "/admin/*" }],
                },
            ],
            LogDelivery = new LogDeliverySpec { Enabled = true },
            Delivery = new DeliverySettings { ViewerProtocolPolicy = ViewerProtocolPolicy.RedirectToHttps },
        };
        ServiceDefaults.Apply(spec, isCreate: true);
        return spec;
    }

    private FastlyService OnlyService() => Assert.Single(sims.Fastly.Services);

    [Fact]
    public async Task Create_stores_every_setting_as_Fastly_expresses_it_and_activates_version_1()
    {
        var spec = Spec();

        var result = await driver.ApplyAsync(Call(), spec, CancellationToken.None);

        var service = OnlyService();
        Assert.Equal(service.Id, result.ProviderServiceId);
        Assert.Equal(DeploymentState.Deployed, result.State);
        Assert.Equal($"poppy-{serviceId:D}", service.Name);
        Assert.Equal("mysite", service.Comment);
        var version = Assert.Single(service.Versions);
        Assert.True(version.Active);
        Assert.True(version.Locked);

        // Domains and their access host names.
        Assert.Equal(["secure.mysite.example", "www.mysite.example"], version.Domains.Select(d => d.Name).Order());
        Assert.Equal(
            [("secure.mysite.example", "secure.mysite.example.global.prod.fastly.net"), ("www.mysite.example", "www.mysite.example.global.prod.fastly.net")],
            result.AccessUrls.Select(u => (u.Domain, u.ProviderUrl)).Order());

        // Origins: one backend each; the one with path rules behind a REQUEST condition.
        var main = version.Find(FastlyKinds.Backend, "origin_0")!;
        Assert.Equal("origin.mysite.example", main["address"]);
        Assert.Equal("80", main["port"]);
        Assert.Equal("false", main["use_ssl"]);
        Assert.Equal("origin.mysite.example", main["override_host"]);
        Assert.Equal("", main["request_condition"]);
        var images = version.Find(FastlyKinds.Backend, "origin_1")!;
        Assert.Equal("img.mysite.example", images["address"]);
        Assert.Equal("443", images["port"]);
        Assert.Equal("true", images["use_ssl"]);
        Assert.Equal("img.mysite.example", images["ssl_cert_hostname"]);
        Assert.Equal("img.mysite.example", images["ssl_sni_hostname"]);
        Assert.Equal("images.mysite.example", images["override_host"]);
        Assert.Equal("origin_1_paths", images["request_condition"]);
        var imagesCondition = version.Find(FastlyKinds.Condition, "origin_1_paths")!;
        Assert.Equal("REQUEST", imagesCondition["type"]);
        Assert.Equal("req.url.path ~ \"^/images/.*\"", imagesCondition["statement"]);

        // Caching: the /* rule is the default TTL, the others cache settings behind CACHE conditions (TTL 0: pass).
        Assert.Equal(3600, version.DefaultTtlSeconds);
        var cacheImages = version.Find(FastlyKinds.CacheSettings, "cache_1")!;
        Assert.Equal("cache", cacheImages["action"]);
        Assert.Equal("86400", cacheImages["ttl"]);
        Assert.Equal("cache_1", cacheImages["cache_condition"]);
        Assert.Equal("CACHE", version.Find(FastlyKinds.Condition, "cache_1")!["type"]);
        Assert.Equal("req.url.path ~ \"^/images/.*\"", version.Find(FastlyKinds.Condition, "cache_1")!["statement"]);
        var cacheApi = version.Find(FastlyKinds.CacheSettings, "cache_2")!;
        Assert.Equal("pass", cacheApi["action"]);
        Assert.Equal("req.url.path ~ \"^/api/v1[.]json$\"", version.Find(FastlyKinds.Condition, "cache_2")!["statement"]);
        Assert.Equal(2, version.CacheSettings.Count);

        // Restrictions: a REQUEST condition and a 403 response object each; client IPs in an ACL.
        Assert.Equal("!(req.http.Referer ~ \"^https?://partner[.]example[.]org([:/]|$)\")",
            version.Find(FastlyKinds.Condition, "restriction_0")!["statement"]);
        Assert.Equal("(req.url.path ~ \"^/video/.*\" && client.geo.country_code ~ \"^(JP)$\")",
            version.Find(FastlyKinds.Condition, "restriction_1")!["statement"]);
        Assert.Equal("(req.url.path ~ \"^/admin/.*\") && !(req.url.path ~ \"^/admin/.*\" && client.ip ~ restriction_2_ip_0)",
            version.Find(FastlyKinds.Condition, "restriction_2")!["statement"]);
        foreach (var name in new[] { "restriction_0", "restriction_1", "restriction_2" })
        {
            var denied = version.Find(FastlyKinds.ResponseObject, name)!;
            Assert.Equal("403", denied["status"]);
            Assert.Equal(name, denied["request_condition"]);
            Assert.Equal("REQUEST", version.Find(FastlyKinds.Condition, name)!["type"]);
        }

        var acl = Assert.Single(version.Acls);
        Assert.Equal("restriction_2_ip_0", acl.Name);
        var entry = Assert.Single(service.AclEntries);
        Assert.Equal((acl.Id, "192.0.2.0", 24, false), (entry.AclId, entry.Ip, entry.Subnet, entry.Negated));

        // Delivery: redirect to HTTPS, cookies not forwarded.
        Assert.Equal("true", version.Find(FastlyKinds.RequestSettings, "force_ssl")!["force_ssl"]);
        var cookies = version.Find(FastlyKinds.Header, "strip_cookies")!;
        Assert.Equal(("request", "delete", "http.Cookie"), (cookies["type"], cookies["action"], cookies["dst"]));

        // What Fastly cannot express here is said, not dropped.
        Assert.Contains(result.Warnings, w => w.Contains("secure.mysite.example") && w.Contains("TLS"));
        Assert.Contains(result.Warnings, w => w.Contains("log_delivery"));
        Assert.Contains(result.Warnings, w => w.Contains("origin_protocol_policy"));
        // Said up front as well, before anything is sent: the same list, from the same mapping.
        Assert.Equal(result.Warnings, driver.Limitations(spec, Call().Credentials));
    }

    [Fact]
    public async Task Apply_twice_keeps_one_service_and_writes_no_new_version()
    {
        var first = await driver.ApplyAsync(Call(), Spec(), CancellationToken.None);

        // The second call knows nothing of the first (as after a crash before its result was stored).
        var second = await driver.ApplyAsync(Call(), Spec(), CancellationToken.None);

        var service = OnlyService();
        Assert.Equal(first.ProviderServiceId, second.ProviderServiceId);
        Assert.Single(service.Versions);
        Assert.Single(service.AclEntries);
        Assert.Equal(DeploymentState.Deployed, second.State);
    }

    [Fact]
    public async Task A_draft_left_by_an_interrupted_update_is_reused_not_duplicated()
    {
        var created = await driver.ApplyAsync(Call(), Spec(), CancellationToken.None);
        using (var clone = new HttpRequestMessage(HttpMethod.Put, new Uri(sims.Fastly.ApiBaseUrl, $"service/{created.ProviderServiceId}/version/1/clone")))
        {
            clone.Headers.Add("Fastly-Key", ApiKey);
            using var response = await http.SendAsync(clone);
            response.EnsureSuccessStatusCode();
        }

        var state = await driver.GetStateAsync(Call(), Spec(), CancellationToken.None);
        Assert.Equal(DeploymentState.InProgress, state!.State);

        var spec = Spec();
        spec.Caching[0].Ttl = 600;
        await driver.ApplyAsync(Call(providerServiceId: created.ProviderServiceId), spec, CancellationToken.None);

        var service = OnlyService();
        Assert.Equal(2, service.Versions.Count);
        Assert.Equal(2, service.ActiveVersion!.Number);
        Assert.Equal(600, service.ActiveVersion.DefaultTtlSeconds);
        Assert.Equal(DeploymentState.Deployed, (await driver.GetStateAsync(Call(), spec, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Update_clones_the_active_version_changes_only_what_changed_and_activates_it()
    {
        var created = await driver.ApplyAsync(Call(), Spec(), CancellationToken.None);
        var aclId = Assert.Single(OnlyService().Versions[0].Acls).Id;

        var spec = Spec();
        spec.Name = "mysite-renamed";
        spec.Domains.RemoveAt(1);
        spec.Domains.Add(new DomainSpec { Domain = "static.mysite.example" });
        spec.Origins[0].Port = 8080;
        spec.Origins[0].HostHeaderType = HostHeaderType.Domain;
        spec.Caching[0].Ttl = 1800;
        spec.Caching.RemoveAt(2);
        spec.Restrictions.RemoveAt(1);
        spec.Restrictions[1].Rules[0].ClientIp = "198.51.100.7";
        spec.Delivery.ViewerProtocolPolicy = ViewerProtocolPolicy.AllowAll;
        spec.Delivery.ForwardQueryStrings = false;

        var updated = await driver.ApplyAsync(Call(providerServiceId: created.ProviderServiceId), spec, CancellationToken.None);

        var service = OnlyService();
        Assert.Equal(created.ProviderServiceId, updated.ProviderServiceId);
        Assert.Equal("mysite-renamed", service.Comment);
        Assert.Equal(2, service.Versions.Count);
        Assert.False(service.Versions[0].Active);
        var version = service.ActiveVersion!;
        Assert.Equal(2, version.Number);
        Assert.Equal(["static.mysite.example", "www.mysite.example"], version.Domains.Select(d => d.Name).Order());
        Assert.Equal(["static.mysite.example", "www.mysite.example"], updated.AccessUrls.Select(u => u.Domain).Order());
        var main = version.Find(FastlyKinds.Backend, "origin_0")!;
        Assert.Equal("8080", main["port"]);
        Assert.Equal("", main["override_host"]);
        Assert.Equal("images.mysite.example", version.Find(FastlyKinds.Backend, "origin_1")!["override_host"]);
        Assert.Equal(1800, version.DefaultTtlSeconds);
        Assert.Null(version.Find(FastlyKinds.CacheSettings, "cache_2"));
        Assert.Null(version.Find(FastlyKinds.Condition, "cache_2"));
        Assert.NotNull(version.Find(FastlyKinds.CacheSettings, "cache_1"));

        // The geo restriction is gone; the office one moved to index 1 with its ACL, whose entry was replaced.
        Assert.Equal(["restriction_0", "restriction_1"], version.ResponseObjects.Select(r => r.Name).Order());
        Assert.Equal("(req.url.path ~ \"^/admin/.*\") && !(req.url.path ~ \"^/admin/.*\" && client.ip ~ restriction_1_ip_0)",
            version.Find(FastlyKinds.Condition, "restriction_1")!["statement"]);
        var acl = Assert.Single(version.Acls);
        Assert.Equal("restriction_1_ip_0", acl.Name);
        Assert.NotEqual(aclId, acl.Id);
        var entry = Assert.Single(service.AclEntries, e => e.AclId == acl.Id);
        Assert.Equal(("198.51.100.7", (int?)null), (entry.Ip, entry.Subnet));

        Assert.Null(version.Find(FastlyKinds.RequestSettings, "force_ssl"));
        var strip = version.Find(FastlyKinds.Header, "strip_query_string")!;
        Assert.Equal(("set", "url", "req.url.path"), (strip["action"], strip["dst"], strip["src"]));

        // Version 1 (what the edge served before) is untouched.
        Assert.Equal("80", service.Versions[0].Find(FastlyKinds.Backend, "origin_0")!["port"]);
        Assert.Equal(2, service.Versions[0].Domains.Count);
    }

    [Fact]
    public async Task Delivery_settings_regions_and_unexpressible_ttl_bounds_are_mapped_or_warned()
    {
        var spec = new ServiceSpec
        {
            Name = "delivery",
            Domains = [new DomainSpec { Domain = "shop.example" }],
            Origins = [new OriginSpec { Origin = "origin.shop.example", Ssl = true, Port = 443 }],
            Restrictions =
            [
                new RestrictionSpec
                {
                    Name = "oceania-only", Access = RestrictionAccess.Whitelist,
                    Rules = [new RestrictionRuleSpec { Name = "anz", Geography = "Australia/NZ" }],
                },
            ],
            Delivery = new DeliverySettings
            {
                ViewerProtocolPolicy = ViewerProtocolPolicy.HttpsOnly, OriginProtocolPolicy = OriginProtocolPolicy.HttpsOnly,
                DefaultRootObject = "index.html", ForwardCookies = true, DefaultTtl = 120, MaxTtl = 600,
            },
        };
        ServiceDefaults.Apply(spec, isCreate: false);

        var result = await driver.ApplyAsync(Call(), spec, CancellationToken.None);

        var version = OnlyService().ActiveVersion!;
        Assert.Equal(120, version.DefaultTtlSeconds); // no caching rule: delivery.default_ttl
        Assert.Empty(version.CacheSettings);
        Assert.Equal("!(client.geo.country_code ~ \"^(AU|NZ)$\")", version.Find(FastlyKinds.Condition, "restriction_0")!["statement"]);
        Assert.Equal("!req.is_ssl", version.Find(FastlyKinds.Condition, "https_only")!["statement"]);
        Assert.Equal(("403", "https_only"), (version.Find(FastlyKinds.ResponseObject, "https_only")!["status"], version.Find(FastlyKinds.ResponseObject, "https_only")!["request_condition"]));
        var root = version.Find(FastlyKinds.Header, "default_root_object")!;
        Assert.Equal(("url", "\"/index.html\"", "default_root_object"), (root["dst"], root["src"], root["request_condition"]));
        Assert.Equal("req.url.path == \"/\"", version.Find(FastlyKinds.Condition, "default_root_object")!["statement"]);
        Assert.Null(version.Find(FastlyKinds.Header, "strip_cookies"));
        Assert.Null(version.Find(FastlyKinds.Header, "strip_query_string"));
        Assert.Equal("true", version.Find(FastlyKinds.Backend, "origin_0")!["use_ssl"]);
        var warning = Assert.Single(result.Warnings);
        Assert.Contains("max_ttl (600 s)", warning);
    }

    [Fact]
    public async Task A_stale_provider_id_hint_never_leads_to_another_services_resource()
    {
        var mine = await driver.ApplyAsync(Call(), Spec(), CancellationToken.None);
        var other = await driver.ApplyAsync(Call(service: Guid.NewGuid()), new ServiceSpec
        {
            Name = "other", Domains = [new DomainSpec { Domain = "other.example" }], Origins = [new OriginSpec { Origin = "o.other.example" }],
        }, CancellationToken.None);

        var state = await driver.GetStateAsync(Call(providerServiceId: other.ProviderServiceId), Spec(), CancellationToken.None);
        Assert.Equal(mine.ProviderServiceId, state!.ProviderServiceId);
        Assert.Equal(DeploymentState.Deployed, (await driver.GetStateAsync(Call(providerServiceId: "0000000000000000000000"), Spec(), CancellationToken.None))!.State);
        Assert.Null(await driver.GetStateAsync(Call(service: Guid.NewGuid(), providerServiceId: mine.ProviderServiceId), Spec(), CancellationToken.None));
    }

    [Fact]
    public async Task Purge_url_on_every_domain_soft_or_hard_and_purge_all()
    {
        var spec = Spec();
        var created = await driver.ApplyAsync(Call(), spec, CancellationToken.None);

        await driver.PurgeAsync(Call(), spec, "/images/logo.png", hard: false, CancellationToken.None);
        await driver.PurgeAsync(Call(), spec, "/index.html", hard: true, CancellationToken.None);
        await driver.PurgeAsync(Call(), spec, null, hard: true, CancellationToken.None);

        var purges = sims.Fastly.Purges;
        Assert.Equal(
            [
                (FastlyPurgeKind.Url, "www.mysite.example/images/logo.png", true),
                (FastlyPurgeKind.Url, "secure.mysite.example/images/logo.png", true),
                (FastlyPurgeKind.Url, "www.mysite.example/index.html", false),
                (FastlyPurgeKind.Url, "secure.mysite.example/index.html", false),
                (FastlyPurgeKind.All, "*", false),
            ],
            purges.Select(p => (p.Kind, p.Target, p.Soft)));
        Assert.Equal(created.ProviderServiceId, purges[^1].ServiceId);
        Assert.All(purges.Take(4), p => Assert.Equal(created.ProviderServiceId, p.ServiceId));
    }

    [Theory]
    [MemberData(nameof(PurgePathCases.LeavingTheService), MemberType = typeof(PurgePathCases))]
    public async Task Purge_refuses_a_path_that_could_reach_another_host_and_sends_nothing(string url)
    {
        var spec = Spec();

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.PurgeAsync(Call(), spec, url, hard: true, CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Empty(sims.Fastly.Purges);
    }

    [Fact]
    public async Task Purge_escapes_the_path_and_stays_on_the_services_own_domains()
    {
        var spec = Spec();

        await driver.PurgeAsync(Call(), spec, "/images/a%20b{1}|x.png?v=2", hard: true, CancellationToken.None);

        Assert.Collection(sims.Fastly.Purges,
            p => Assert.StartsWith("www.mysite.example/images/", p.Target, StringComparison.Ordinal),
            p => Assert.StartsWith("secure.mysite.example/images/", p.Target, StringComparison.Ordinal));
        Assert.All(sims.Fastly.Purges, p => Assert.EndsWith("?v=2", p.Target, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delete_deactivates_and_removes_the_service_and_again_is_fine()
    {
        var spec = Spec();
        await driver.ApplyAsync(Call(), spec, CancellationToken.None);
        var other = await driver.ApplyAsync(Call(service: Guid.NewGuid()), new ServiceSpec
        {
            Name = "other", Domains = [new DomainSpec { Domain = "other.example" }], Origins = [new OriginSpec { Origin = "o.other.example" }],
        }, CancellationToken.None);

        Assert.Equal(DeploymentState.Deployed, await driver.DeleteAsync(Call(), spec, CancellationToken.None));

        Assert.Equal(other.ProviderServiceId, Assert.Single(sims.Fastly.Services).Id);
        Assert.Null(await driver.GetStateAsync(Call(), spec, CancellationToken.None));
        Assert.Equal(DeploymentState.Deployed, await driver.DeleteAsync(Call(), spec, CancellationToken.None));
        Assert.Single(sims.Fastly.Services);
    }

    [Fact]
    public async Task Bad_credentials_are_a_permanent_error_with_Fastlys_message()
    {
        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            driver.ApplyAsync(Call(apiKey: "wrong-key"), Spec(), CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Equal(401, error.StatusCode);
        Assert.Contains("Provided credentials are missing or invalid", error.Message);
        Assert.Empty(sims.Fastly.Services);
    }

    [Fact]
    public async Task A_rejected_configuration_is_permanent_with_Fastlys_detail()
    {
        await driver.ApplyAsync(Call(), Spec(), CancellationToken.None);

        // Domain names are unique across Fastly: another portal service cannot take www.mysite.example.
        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            driver.ApplyAsync(Call(service: Guid.NewGuid()), Spec(), CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("Domain 'www.mysite.example' is already taken", error.Message);
    }

    [Fact]
    public async Task Throttling_is_transient_and_carries_Retry_After()
    {
        sims.Fastly.Faults.Set(new FaultProfile { ThrottleBurst = new ThrottleBurst(1, 7) });

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call(), Spec(), CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Equal(429, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Contains("Too many requests", error.Message);

        // The burst is spent: the retry succeeds and still makes a single service.
        await driver.ApplyAsync(Call(), Spec(), CancellationToken.None);
        Assert.Single(OnlyService().Versions);
    }

    [Fact]
    public async Task Fastlys_hourly_write_limit_is_transient_until_the_window_resets()
    {
        options.Fastly.HourlyRateLimit = 3;

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call(), Spec(), CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Equal(429, error.StatusCode);
        Assert.Contains("exceeded the limit of 3 requests per hour", error.Message);
        Assert.InRange(error.RetryAfter!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task Unavailable_and_timeouts_are_transient()
    {
        sims.Fastly.Faults.Set(new FaultProfile { ErrorRate = 1 });
        var unavailable = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call(), Spec(), CancellationToken.None));
        Assert.True(unavailable.IsTransient);
        Assert.Equal(503, unavailable.StatusCode);
        Assert.Contains("Service Unavailable", unavailable.Message);

        sims.Fastly.Faults.Set(new FaultProfile { TimeoutRate = 1 });
        using var impatient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMilliseconds(300) };
        var timeout = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call(client: impatient), Spec(), CancellationToken.None));
        Assert.True(timeout.IsTransient);
        Assert.Null(timeout.StatusCode);
    }

    [Fact]
    public async Task The_edge_serves_what_the_driver_configured_on_the_access_host_name()
    {
        await using var main = await LoopbackOrigin.StartAsync("main");
        await using var images = await LoopbackOrigin.StartAsync("images");
        options.OriginOverrides["origin.mysite.example"] = main.Url;
        options.OriginOverrides["img.mysite.example"] = images.Url;
        var spec = Spec();
        var result = await driver.ApplyAsync(Call(), spec, CancellationToken.None);
        var accessHost = result.AccessUrls.Single(u => u.Domain == "www.mysite.example").ProviderUrl;

        // /images/* goes to the images backend with its custom Host header, and is cached.
        Assert.Equal(("images /images/a.png #1", "MISS"), await EdgeAsync(accessHost, "/images/a.png"));
        Assert.Equal(("images /images/a.png #1", "HIT"), await EdgeAsync(accessHost, "/images/a.png"));
        Assert.Equal("images.mysite.example", images.HostHeaders.Last());

        // Everything else goes to the main backend with the origin as Host; /api/v1.json (TTL 0) is never cached.
        Assert.Equal(("main /page #1", "MISS"), await EdgeAsync(accessHost, "/page"));
        Assert.Equal("origin.mysite.example", main.HostHeaders.Last());
        Assert.Equal(("main /api/v1.json #1", "MISS"), await EdgeAsync(accessHost, "/api/v1.json"));
        Assert.Equal(("main /api/v1.json #2", "MISS"), await EdgeAsync(accessHost, "/api/v1.json"));

        // Viewers arrive with the domain as Host (Fastly's cache key): a soft purge of the URL marks their copy stale,
        // so the next request goes back to the origin.
        Assert.Equal(("images /images/b.png #1", "MISS"), await EdgeAsync("www.mysite.example", "/images/b.png"));
        Assert.Equal(("images /images/b.png #1", "HIT"), await EdgeAsync("www.mysite.example", "/images/b.png"));
        await driver.PurgeAsync(Call(), spec, "/images/b.png", hard: false, CancellationToken.None);
        Assert.Equal(1, sims.Fastly.Purges[0].ObjectsPurged);
        Assert.True(sims.Fastly.Purges[0].Soft);
        Assert.Equal(("images /images/b.png #2", "MISS"), await EdgeAsync("www.mysite.example", "/images/b.png"));
    }

    private async Task<(string Body, string Cache)> EdgeAsync(string host, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(sims.BaseUrl, path));
        request.Headers.Host = host;
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync(), string.Join(",", response.Headers.GetValues("X-Cache")));
    }
}
