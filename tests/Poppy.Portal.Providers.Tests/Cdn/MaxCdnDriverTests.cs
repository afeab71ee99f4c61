using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Cdn.MaxCdn;
using Poppy.Portal.Simulators;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Simulators.MaxCdn;

namespace Poppy.Portal.Providers.Tests.Cdn;

/// <summary>The MaxCDN driver against the MaxCDN simulator over loopback HTTP, asserting the simulator's stored zones.</summary>
public sealed class MaxCdnDriverTests : IAsyncLifetime
{
    private readonly ManualClock clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RequestLog requests = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false, AllowAutoRedirect = false });
    private readonly HttpClient http;
    private readonly MaxCdnDriver driver = new();
    private readonly Guid serviceId = Guid.Parse("0f8b2c4e-1a2b-4c3d-9e8f-1234567890ab");
    private SimulatorHost simulator = null!;

    public MaxCdnDriverTests() => http = new HttpClient(requests);

    private MaxCdnSimulator MaxCdn => simulator.MaxCdn;

    public async Task InitializeAsync() =>
        simulator = await SimulatorHost.StartAsync(new SimulatorOptions { TimeProvider = clock }, CancellationToken.None);

    public async Task DisposeAsync()
    {
        http.Dispose();
        await simulator.DisposeAsync();
    }

    private ProviderCall Call(Guid? id = null, string? providerServiceId = null, string? secret = null) => new(
        id ?? serviceId,
        providerServiceId,
        MaxCdn.ApiBaseUrl,
        new Dictionary<string, string>
        {
            ["company_alias"] = "poppysim",
            ["consumer_key"] = "sim-maxcdn-consumer-key",
            ["consumer_secret"] = secret ?? "sim-maxcdn-consumer-secret",
        },
        http,
        clock);

    /// <summary>A Poppy service as a Poppy client sends it: one http domain, one origin, one catch-all caching rule.</summary>
    private static ServiceSpec PlainService() => new()
    {
        Name = "plain site",
        FlavorId = "cdn",
        Domains = [new() { Domain = "www.plain.example" }],
        Origins = [new() { Origin = "origin.plain.example", Rules = [new() { Name = "all", RequestUrl = "/*" }] }],
        Caching = [new() { Name = "default", Ttl = 3600, Rules = [new() { Name = "all", RequestUrl = "/*" }] }],
    };

    /// <summary>Everything a pull zone can and cannot express.</summary>
    private static ServiceSpec RichService() => new()
    {
        Name = "rich site",
        FlavorId = "cdn",
        Domains =
        [
            new() { Domain = "cdn.rich.example" },
            new() { Domain = "secure.rich.example", Protocol = DomainProtocol.Https, Certificate = CertificateType.Shared },
        ],
        Origins =
        [
            new() { Origin = "origin.rich.example", Port = 8080, Rules = [new() { Name = "images", RequestUrl = "/images/*" }] },
            new() { Origin = "media.rich.example", Port = 443, Ssl = true, Rules = [new() { Name = "video", RequestUrl = "/video/*" }] },
        ],
        Caching =
        [
            new() { Name = "default", Ttl = 7200, Rules = [new() { Name = "all", RequestUrl = "/*" }] },
            new() { Name = "images", Ttl = 86400, Rules = [new() { Name = "img", RequestUrl = "/images/*" }] },
        ],
        Restrictions =
        [
            new() { Name = "partners", Access = RestrictionAccess.Whitelist, Rules = [new() { Name = "r", Referrer = "partner.example", RequestUrl = "/*" }] },
            new() { Name = "no-xx", Access = RestrictionAccess.Blacklist, Rules = [new() { Name = "g", Geography = "DE", RequestUrl = "/*" }] },
        ],
        LogDelivery = new() { Enabled = true },
    };

    [Fact]
    public async Task Create_stores_a_pull_zone_named_after_the_service_with_origin_ttl_and_custom_domains()
    {
        Assert.Null(await driver.GetStateAsync(Call(), RichService(), CancellationToken.None));

        var result = await driver.ApplyAsync(Call(), RichService(), CancellationToken.None);

        var zone = Assert.Single(MaxCdn.PullZones);
        Assert.Equal(zone.Id.ToString(), result.ProviderServiceId);
        Assert.Equal(DeploymentState.Deployed, result.State);
        Assert.Equal("0f8b2c4e1a2b4c3d9e8f1234567890ab", zone.Name);
        Assert.Equal("rich site", zone["label"]);
        Assert.Equal("http://origin.rich.example:8080", zone.Url);
        Assert.Equal("8080", zone["port"]);
        Assert.Equal("cdn.rich.example", zone["set_host_header"]); // host header "domain": the first domain
        Assert.Equal("2h", zone["cache_valid"]);
        Assert.Equal("1", zone["ignore_cache_control"]);
        Assert.Equal("1", zone["queries"]);
        Assert.Equal("", zone["valid_referers"]); // restrictions are warned about, not half-applied
        Assert.Equal(["cdn.rich.example", "secure.rich.example"], zone.CustomDomains.Select(d => d.Domain).Order());

        const string tempUrl = "0f8b2c4e1a2b4c3d9e8f1234567890ab.poppysim.netdna-cdn.com";
        Assert.Equal(tempUrl, zone["tmp_url"]);
        Assert.Equal(
            [new AccessUrl("cdn.rich.example", tempUrl, null), new AccessUrl("secure.rich.example", tempUrl, null)],
            result.AccessUrls);

        // One warning per setting the zone cannot hold, naming it.
        Assert.Contains(result.Warnings, w => w.Contains("media.rich.example") && w.Contains("one origin"));
        Assert.Contains(result.Warnings, w => w.Contains("rule 'images' (/images/*)") && w.Contains("origin"));
        Assert.Contains(result.Warnings, w => w.Contains("Caching rule 'images'") && w.Contains("86400"));
        Assert.Contains(result.Warnings, w => w.Contains("partners") && w.Contains("partner.example"));
        Assert.Contains(result.Warnings, w => w.Contains("no-xx") && w.Contains("DE"));
        Assert.Contains(result.Warnings, w => w.Contains("secure.rich.example") && w.Contains("https"));
        Assert.Contains(result.Warnings, w => w.StartsWith("Host header 'domain'", StringComparison.Ordinal));
        // Said up front as well, before anything is sent: the same list, from the same mapping.
        Assert.Equal(result.Warnings, driver.Limitations(RichService(), Call().Credentials));
        Assert.Contains(result.Warnings, w => w.StartsWith("Log delivery", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("Origin protocol policy match-viewer", StringComparison.Ordinal));
        Assert.Equal(9, result.Warnings.Count);

        var state = await driver.GetStateAsync(Call(), RichService(), CancellationToken.None);
        Assert.NotNull(state);
        Assert.Equal(result.ProviderServiceId, state.ProviderServiceId);
        Assert.Equal(DeploymentState.Deployed, state.State); // a zone serves once saved: nothing to wait for
        Assert.Equal(result.AccessUrls, state.AccessUrls);
    }

    [Fact]
    public async Task A_plain_Poppy_service_maps_without_warnings()
    {
        var result = await driver.ApplyAsync(Call(), PlainService(), CancellationToken.None);

        Assert.Empty(result.Warnings);
        var zone = Assert.Single(MaxCdn.PullZones);
        Assert.Equal("http://origin.plain.example", zone.Url);
        Assert.Equal("80", zone["port"]);
        Assert.Equal("www.plain.example", zone["set_host_header"]);
        Assert.Equal("1h", zone["cache_valid"]);
        Assert.Equal("www.plain.example", Assert.Single(zone.CustomDomains).Domain);
    }

    [Fact]
    public async Task Applying_again_finds_the_zone_by_service_id_and_never_creates_a_second()
    {
        var first = await driver.ApplyAsync(Call(), RichService(), CancellationToken.None);
        // As after a crash before the id was stored, and with a stale id that names another zone.
        var again = await driver.ApplyAsync(Call(), RichService(), CancellationToken.None);
        var other = await driver.ApplyAsync(Call(Guid.Parse("11111111-2222-3333-4444-555555555555")), PlainService(), CancellationToken.None);
        var stale = await driver.ApplyAsync(Call(providerServiceId: other.ProviderServiceId), RichService(), CancellationToken.None);
        var unknown = await driver.ApplyAsync(Call(providerServiceId: "999999"), RichService(), CancellationToken.None);

        Assert.Equal(2, MaxCdn.PullZones.Count);
        Assert.Equal(first.ProviderServiceId, again.ProviderServiceId);
        Assert.Equal(first.ProviderServiceId, stale.ProviderServiceId);
        Assert.Equal(first.ProviderServiceId, unknown.ProviderServiceId);
        Assert.NotEqual(first.ProviderServiceId, other.ProviderServiceId);
        var zone = MaxCdn.PullZones.Single(z => z.Id.ToString() == first.ProviderServiceId);
        Assert.Equal(2, zone.CustomDomains.Count);
        Assert.Equal("www.plain.example", Assert.Single(MaxCdn.PullZones.Single(z => z != zone).CustomDomains).Domain);
    }

    [Fact]
    public async Task A_new_zone_is_made_without_paging_through_the_accounts_zones()
    {
        await driver.ApplyAsync(Call(Guid.Parse("11111111-2222-3333-4444-555555555555")), PlainService(), CancellationToken.None);
        requests.Clear();

        var created = await driver.ApplyAsync(Call(), RichService(), CancellationToken.None);

        Assert.StartsWith("POST ", requests.Requests[0], StringComparison.Ordinal);
        Assert.DoesNotContain(requests.Requests, r => r.StartsWith("GET ", StringComparison.Ordinal) && r.Contains("zones/pull.json?page", StringComparison.Ordinal));
        Assert.Equal(2, MaxCdn.PullZones.Count);
        Assert.Contains(MaxCdn.PullZones, z => z.Id.ToString() == created.ProviderServiceId);
    }

    [Fact]
    public async Task A_zone_create_that_meets_a_throttle_is_sent_again_on_its_own_through_the_accounts_client()
    {
        // The portal's own client for the account: a create marked safe to repeat is retried like a GET.
        using var resilience = new ProviderResilience(Options.Create(new ProvisioningOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) }), TimeProvider.System);
        MaxCdn.Faults.Set(new FaultProfile { ThrottleBurst = new ThrottleBurst(1, 0) });

        var created = await driver.ApplyAsync(Call() with { Http = resilience.HttpClientFor(Guid.NewGuid()) }, RichService(), CancellationToken.None);

        Assert.Equal(created.ProviderServiceId, Assert.Single(MaxCdn.PullZones).Id.ToString());
    }

    [Fact]
    public async Task Update_rewrites_the_zone_and_adds_and_removes_custom_domains()
    {
        var created = await driver.ApplyAsync(Call(), RichService(), CancellationToken.None);
        var before = Assert.Single(MaxCdn.PullZones);

        var changed = RichService();
        changed.Name = "rich site v2";
        changed.Domains = [new() { Domain = "cdn.rich.example" }, new() { Domain = "static.rich.example" }];
        changed.Origins = [new() { Origin = "new-origin.rich.example", Port = 443, Ssl = true, HostHeaderType = HostHeaderType.Custom, HostHeaderValue = "backend.rich.example" }];
        changed.Caching = [];
        changed.Delivery.DefaultTtl = 600;
        changed.Delivery.ForwardQueryStrings = false;
        changed.Restrictions = [];
        changed.LogDelivery.Enabled = false;

        var updated = await driver.ApplyAsync(Call(providerServiceId: created.ProviderServiceId), changed, CancellationToken.None);

        var zone = Assert.Single(MaxCdn.PullZones);
        Assert.Equal(before.Id, zone.Id);
        Assert.Equal(created.ProviderServiceId, updated.ProviderServiceId);
        Assert.Equal(before.Name, zone.Name);
        Assert.Equal("rich site v2", zone["label"]);
        Assert.Equal("https://new-origin.rich.example", zone.Url);
        Assert.Equal("443", zone["port"]);
        Assert.Equal("backend.rich.example", zone["set_host_header"]);
        Assert.Equal("10m", zone["cache_valid"]); // no caching rule: the default TTL, origin headers first
        Assert.Equal("0", zone["ignore_cache_control"]);
        Assert.Equal("0", zone["queries"]);
        Assert.Equal(["cdn.rich.example", "static.rich.example"], zone.CustomDomains.Select(d => d.Domain).Order());
        // The kept domain keeps its vendor id: only the difference was sent.
        Assert.Equal(before.CustomDomains.Single(d => d.Domain == "cdn.rich.example").Id, zone.CustomDomains.Single(d => d.Domain == "cdn.rich.example").Id);
        // Only what is still beyond a zone: an https origin for http viewers cannot follow match-viewer.
        Assert.StartsWith("Origin protocol policy match-viewer is not applied: MaxCDN fetches from the origin over https", Assert.Single(updated.Warnings));
        Assert.Equal(["cdn.rich.example", "static.rich.example"], updated.AccessUrls.Select(a => a.Domain));
    }

    [Fact]
    public async Task Purge_sends_one_file_or_the_whole_zone_and_soft_purges_hard()
    {
        var created = await driver.ApplyAsync(Call(), PlainService(), CancellationToken.None);
        var zoneId = int.Parse(created.ProviderServiceId);

        await driver.PurgeAsync(Call(), PlainService(), "/images/logo.png", hard: true, CancellationToken.None);
        await driver.PurgeAsync(Call(), PlainService(), "css/site.css", hard: false, CancellationToken.None);
        await driver.PurgeAsync(Call(), PlainService(), null, hard: true, CancellationToken.None);

        Assert.Collection(MaxCdn.Purges,
            p => { Assert.Equal(zoneId, p.ZoneId); Assert.Equal(["/images/logo.png"], p.Files); },
            p => { Assert.Equal(zoneId, p.ZoneId); Assert.Equal(["/css/site.css"], p.Files); },
            p => { Assert.Equal(zoneId, p.ZoneId); Assert.Empty(p.Files); });
    }

    [Theory]
    [MemberData(nameof(PurgePathCases.LeavingTheService), MemberType = typeof(PurgePathCases))]
    public async Task Purge_refuses_a_path_that_is_not_normalized_and_sends_nothing(string url)
    {
        await driver.ApplyAsync(Call(), PlainService(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.PurgeAsync(Call(), PlainService(), url, hard: true, CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Empty(MaxCdn.Purges);
    }

    [Fact]
    public async Task Delete_removes_the_zone_and_deleting_again_is_fine()
    {
        await driver.ApplyAsync(Call(), RichService(), CancellationToken.None);
        await driver.ApplyAsync(Call(Guid.Parse("11111111-2222-3333-4444-555555555555")), PlainService(), CancellationToken.None);

        Assert.Equal(DeploymentState.Deployed, await driver.DeleteAsync(Call(), RichService(), CancellationToken.None));

        var left = Assert.Single(MaxCdn.PullZones);
        Assert.Equal("11111111222233334444555555555555", left.Name); // the other service's zone stays
        Assert.Equal(DeploymentState.Deployed, await driver.DeleteAsync(Call(), RichService(), CancellationToken.None));
        Assert.Null(await driver.GetStateAsync(Call(), RichService(), CancellationToken.None));
        var purge = await Assert.ThrowsAsync<CdnDriverException>(() => driver.PurgeAsync(Call(), RichService(), null, true, CancellationToken.None));
        Assert.False(purge.IsTransient);
    }

    [Fact]
    public async Task Bad_credentials_are_a_permanent_error_with_the_vendor_message()
    {
        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call(secret: "wrong"), PlainService(), CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Equal(401, error.StatusCode);
        Assert.Contains("Invalid signature", error.Message);
        Assert.Contains("not_authorized", error.Message);
        Assert.Empty(MaxCdn.PullZones);
    }

    [Fact]
    public async Task A_domain_another_zone_holds_is_refused_permanently_with_the_vendor_message()
    {
        await driver.ApplyAsync(Call(), PlainService(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            driver.ApplyAsync(Call(Guid.Parse("11111111-2222-3333-4444-555555555555")), PlainService(), CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("The custom domain www.plain.example is already in use", error.Message);
    }

    [Fact]
    public async Task Throttling_is_transient_and_carries_Retry_After()
    {
        MaxCdn.Faults.Set(new FaultProfile { ThrottleBurst = new ThrottleBurst(1, 7) });

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call(), PlainService(), CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Equal(429, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Contains("Too many requests", error.Message);
        // The burst is over: the retry the provisioner makes succeeds, and makes one zone.
        await driver.ApplyAsync(Call(), PlainService(), CancellationToken.None);
        Assert.Single(MaxCdn.PullZones);
    }

    [Fact]
    public async Task An_outage_is_transient()
    {
        MaxCdn.Faults.Set(new FaultProfile { Outage = true });

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.DeleteAsync(Call(), PlainService(), CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Equal(503, error.StatusCode);
        Assert.Null(error.RetryAfter);
        Assert.Contains("temporarily unavailable", error.Message);
    }

    [Fact]
    public async Task A_vendor_that_does_not_answer_in_time_is_transient()
    {
        MaxCdn.Faults.Set(new FaultProfile { TimeoutRate = 1 });
        using var impatient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMilliseconds(300) };

        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            driver.ApplyAsync(Call() with { Http = impatient }, PlainService(), CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Null(error.StatusCode);
        Assert.Empty(MaxCdn.PullZones);
    }

    [Fact]
    public async Task The_callers_own_cancellation_is_not_turned_into_a_vendor_error()
    {
        MaxCdn.Faults.Set(new FaultProfile { TimeoutRate = 1 });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => driver.ApplyAsync(Call(), PlainService(), cancel.Token));
    }

    [Fact]
    public async Task Signatures_follow_the_call_clock()
    {
        // The simulator refuses timestamps more than five minutes off its clock: the driver signs with the call's clock.
        var skewed = Call() with { Clock = new ManualClock(clock.GetUtcNow().AddMinutes(-10)) };

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.GetStateAsync(skewed, PlainService(), CancellationToken.None));

        Assert.Equal(401, error.StatusCode);
        Assert.Contains("timestamp", error.Message);
    }

    [Fact]
    public async Task The_edge_serves_the_custom_domain_from_the_origin_with_the_rule_ttl_and_forgets_a_purged_file()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var spec = PlainService();
        spec.Origins[0].Origin = "127.0.0.1";
        spec.Origins[0].Port = origin.Port;
        spec.Caching[0].Ttl = 600;
        await driver.ApplyAsync(Call(), spec, CancellationToken.None);

        Assert.Equal(("MISS", "origin /a.css #1"), await EdgeAsync("www.plain.example", "/a.css"));
        Assert.Equal("www.plain.example", origin.HostHeaders.Last()); // host header "domain"
        Assert.Equal(("HIT", "origin /a.css #1"), await EdgeAsync("www.plain.example", "/a.css"));

        await driver.PurgeAsync(Call(), spec, "/a.css", hard: true, CancellationToken.None);
        Assert.Equal(("MISS", "origin /a.css #2"), await EdgeAsync("www.plain.example", "/a.css"));

        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(("HIT", "origin /a.css #2"), await EdgeAsync("www.plain.example", "/a.css"));
        clock.Advance(TimeSpan.FromMinutes(1)); // the caching rule's 600 s are up
        Assert.Equal(("MISS", "origin /a.css #3"), await EdgeAsync("www.plain.example", "/a.css"));
    }

    private async Task<(string Cache, string Body)> EdgeAsync(string host, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(simulator.BaseUrl, path));
        request.Headers.Host = host;
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return (string.Join(",", response.Headers.GetValues("X-Cache")), body);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(90, "90s")]
    [InlineData(600, "10m")]
    [InlineData(7200, "2h")]
    [InlineData(86400, "1d")]
    [InlineData(31_536_000, "365d")]
    public void Ttl_becomes_the_largest_whole_unit(long seconds, string expected) =>
        Assert.Equal(expected, MaxCdnZoneMapping.Duration(seconds));
}
