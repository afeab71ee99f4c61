using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Cdn.Akamai;
using Poppy.Portal.Simulators;
using Poppy.Portal.Simulators.Akamai;
using Poppy.Portal.Simulators.Faults;

namespace Poppy.Portal.Providers.Tests.Cdn;

/// <summary>
/// The Akamai driver against the Akamai simulator over loopback HTTP (EdgeGrid-signed), asserting the simulator's
/// stored properties, versions, hostnames, rule trees, activations and purges. Activations run on a hand-moved clock.
/// </summary>
public sealed class AkamaiDriverTests : IAsyncLifetime
{
    private static readonly TimeSpan DeployDelay = TimeSpan.FromMinutes(5);

    private readonly ManualClock clock = new();
    private readonly RequestLog requests = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false });
    private readonly HttpClient http;
    private readonly AkamaiDriver driver = new();
    private readonly Guid serviceId = Guid.Parse("6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f");
    private readonly ConcurrentQueue<(string Path, string Host)> originRequests = new();
    private SimulatorHost sims = null!;
    private WebApplication origin = null!;

    public AkamaiDriverTests() => http = new HttpClient(requests);

    private AkamaiSimulator Akamai => sims.Akamai;

    public async Task InitializeAsync()
    {
        // One real origin on loopback answers for both origin host names; the body says which one was asked.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        origin = builder.Build();
        origin.Run(async context =>
        {
            originRequests.Enqueue((context.Request.Path.Value ?? "", context.Request.Host.Value ?? ""));
            await context.Response.WriteAsync($"origin {context.Request.Path} #{originRequests.Count(r => r.Path == context.Request.Path.Value)}");
        });
        await origin.StartAsync();
        var originUrl = new Uri(origin.Urls.Single());

        var options = new SimulatorOptions { TimeProvider = clock, DeployDelay = DeployDelay };
        options.OriginOverrides["origin.example.com"] = originUrl;
        options.OriginOverrides["images.example.com"] = originUrl;
        sims = await SimulatorHost.StartAsync(options, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await sims.DisposeAsync();
        await origin.DisposeAsync();
    }

    [Fact]
    public async Task Create_stores_property_hostnames_and_rule_tree_field_by_field_and_deploys_when_the_activation_is_active()
    {
        var spec = FullSpec();
        var result = await driver.ApplyAsync(Call(), spec, CancellationToken.None);

        var property = Assert.Single(Akamai.Properties);
        Assert.Equal(property.PropertyId, result.ProviderServiceId);
        Assert.Equal($"poppy-{serviceId:D}", property.PropertyName);
        Assert.Equal("prd_Fresca", property.ProductId);
        Assert.Equal("ctr_SIM-1", property.ContractId);
        Assert.Equal("grp_1", property.GroupId);
        var version = Assert.Single(property.Versions);

        // Domains → edge hostnames: http on edgesuite.net, https on edgekey.net (Enhanced TLS).
        Assert.Collection(version.Hostnames,
            h =>
            {
                Assert.Equal(("EDGE_HOSTNAME", "www.example.com", "www.example.com.edgesuite.net", "CPS_MANAGED"), (h.CnameType, h.CnameFrom, h.CnameTo, h.CertProvisioningType));
                Assert.Equal(Akamai.EdgeHostnames.Single(e => e.Domain == "www.example.com.edgesuite.net").EdgeHostnameId, h.EdgeHostnameId);
            },
            h =>
            {
                Assert.Equal(("secure.example.com", "secure.example.com.edgekey.net"), (h.CnameFrom, h.CnameTo));
                Assert.Equal(Akamai.EdgeHostnames.Single(e => e.Domain == "secure.example.com.edgekey.net").EdgeHostnameId, h.EdgeHostnameId);
            });
        Assert.Equal(2, Akamai.EdgeHostnames.Count);
        Assert.Equal([new AccessUrl("www.example.com", "www.example.com.edgesuite.net", null), new AccessUrl("secure.example.com", "secure.example.com.edgekey.net", null)],
            result.AccessUrls);

        // The default rule: default origin, CP code, the "/*" caching rule, the cache key.
        var rules = version.Rules;
        Assert.Equal("default", rules["name"]!.GetValue<string>());
        var origin = Behavior(rules, "origin");
        Assert.Equal("CUSTOMER", origin["originType"]!.GetValue<string>());
        Assert.Equal("origin.example.com", origin["hostname"]!.GetValue<string>());
        Assert.Equal(8080, origin["httpPort"]!.GetValue<int>());
        Assert.Equal("ORIGIN_HOSTNAME", origin["forwardHostHeader"]!.GetValue<string>());
        var cpCode = Behavior(rules, "cpCode")["value"]!["id"]!.GetValue<int>();
        Assert.Equal(int.Parse(property.PropertyId["prp_".Length..]), cpCode);
        var caching = Behavior(rules, "caching");
        Assert.Equal(("MAX_AGE", "1h"), (caching["behavior"]!.GetValue<string>(), caching["ttl"]!.GetValue<string>()));
        Assert.Equal("INCLUDE_ALL_PRESERVE_ORDER", Behavior(rules, "cacheKeyQueryParams")["behavior"]!.GetValue<string>());

        // Children, in the order the edge applies them (later ones win).
        var children = rules["children"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(
            ["Origin images.example.com", "Caching static", "Caching api", "Restriction hotlinks (referrer whitelist)",
             "Restriction embargo (geography blacklist)", "Restriction admin (clientip whitelist)"],
            children.Select(c => c["name"]!.GetValue<string>()));

        var imagesOrigin = Behavior(children[0], "origin");
        Assert.Equal(("images.example.com", 80, 8443, "CUSTOM", "img.example.net"),
            (imagesOrigin["hostname"]!.GetValue<string>(), imagesOrigin["httpPort"]!.GetValue<int>(), imagesOrigin["httpsPort"]!.GetValue<int>(),
             imagesOrigin["forwardHostHeader"]!.GetValue<string>(), imagesOrigin["customForwardHostHeader"]!.GetValue<string>()));
        Assert.Equal(["/images/*", "/img/*"], PathValues(children[0]));

        Assert.Equal(["/static/*"], PathValues(children[1]));
        Assert.Equal(("MAX_AGE", "1d"), (Behavior(children[1], "caching")["behavior"]!.GetValue<string>(), Behavior(children[1], "caching")["ttl"]!.GetValue<string>()));
        Assert.Equal(["/api/v1/*"], PathValues(children[2]));
        Assert.Equal("NO_STORE", Behavior(children[2], "caching")["behavior"]!.GetValue<string>()); // ttl 0
        Assert.Null(Behavior(children[2], "caching")["ttl"]);

        var referrer = Criterion(children[3], "requestHeader");
        Assert.Equal(("Referer", "IS_NOT_ONE_OF"), (referrer["headerName"]!.GetValue<string>(), referrer["matchOperator"]!.GetValue<string>()));
        Assert.Equal(["*://example.com/*", "*://example.com"], referrer["values"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Single(children[3]["criteria"]!.AsArray()); // "/*": no path criterion
        var geo = Criterion(children[4], "userLocation");
        Assert.Equal(("COUNTRY", "IS_ONE_OF"), (geo["field"]!.GetValue<string>(), geo["matchOperator"]!.GetValue<string>()));
        Assert.Equal(["JP"], geo["countryValues"]!.AsArray().Select(v => v!.GetValue<string>()));
        var ip = Criterion(children[5], "clientIp");
        Assert.Equal("IS_NOT_ONE_OF", ip["matchOperator"]!.GetValue<string>());
        Assert.Equal(["10.0.0.0/8"], ip["values"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal(["/admin/*"], PathValues(children[5]));
        foreach (var restriction in children.Skip(3))
        {
            Assert.Equal("denyAccess", Assert.Single(restriction["behaviors"]!.AsArray())!["name"]!.GetValue<string>());
            Assert.Equal("all", restriction["criteriaMustSatisfy"]!.GetValue<string>());
        }

        // What Akamai cannot express is said, not dropped.
        Assert.Contains(result.Warnings, w => w.StartsWith("log_delivery:", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("CP code:", StringComparison.Ordinal));
        // Said up front as well, from the same rule tree; only what Akamai's own answers told (the CP code) comes later.
        Assert.Equal(result.Warnings.Where(w => !w.StartsWith("CP code:", StringComparison.Ordinal)), driver.Limitations(spec, Call().Credentials));

        // Activated on production; in progress until the simulator's clock says ACTIVE.
        var activation = Assert.Single(Akamai.Activations);
        Assert.Equal((1, AkamaiNetworks.Production, "ACTIVATE"), (activation.PropertyVersion, activation.Network, activation.ActivationType));
        Assert.Equal(["cdn-operations@poppy-portal.local"], activation.NotifyEmails);
        Assert.Equal(DeploymentState.InProgress, result.State);
        Assert.Equal(DeploymentState.InProgress, (await driver.GetStateAsync(Call(), spec, CancellationToken.None))!.State);
        clock.Advance(DeployDelay / 2);
        Assert.Equal("ZONE_2", Akamai.StatusOf(Akamai.Activations[0]));
        Assert.Equal(DeploymentState.InProgress, (await driver.GetStateAsync(Call(), spec, CancellationToken.None))!.State);
        clock.Advance(DeployDelay / 2);
        var deployed = await driver.GetStateAsync(Call(property.PropertyId), spec, CancellationToken.None);
        Assert.Equal(DeploymentState.Deployed, deployed!.State);
        Assert.Equal(property.PropertyId, deployed.ProviderServiceId);
        Assert.Equal(result.AccessUrls, deployed.AccessUrls);
        Assert.Equal(1, Akamai.ActiveVersion(property.PropertyId, AkamaiNetworks.Production));
    }

    [Fact]
    public async Task Applying_twice_even_without_the_remembered_id_keeps_one_property_one_version_and_one_activation()
    {
        var spec = FullSpec();
        var first = await driver.ApplyAsync(Call(), spec, CancellationToken.None);
        var second = await driver.ApplyAsync(Call(), spec, CancellationToken.None); // as after a crash: no vendor id known
        var third = await driver.ApplyAsync(Call(first.ProviderServiceId), spec, CancellationToken.None);
        var staleHint = await driver.ApplyAsync(Call("prp_999999"), spec, CancellationToken.None); // an id that no longer exists
        Assert.Equal(first.ProviderServiceId, staleHint.ProviderServiceId);

        Assert.Equal(first.ProviderServiceId, second.ProviderServiceId);
        Assert.Equal(first.ProviderServiceId, third.ProviderServiceId);
        Assert.Single(Akamai.Properties);
        Assert.Single(Akamai.Properties[0].Versions);
        Assert.Single(Akamai.Activations);
        Assert.Equal(2, Akamai.EdgeHostnames.Count);
        Assert.Equal(DeploymentState.InProgress, second.State);

        clock.Advance(DeployDelay);
        var settled = await driver.ApplyAsync(Call(), spec, CancellationToken.None);
        Assert.Equal(DeploymentState.Deployed, settled.State);
        Assert.Single(Akamai.Properties[0].Versions);
        Assert.Single(Akamai.Activations);
    }

    [Fact]
    public async Task A_property_is_found_by_searching_its_name_and_its_edge_hostnames_without_reading_the_accounts_lists()
    {
        // An earlier attempt made one edge hostname and was lost before the property used it.
        var api = new AkamaiApiClient(Call());
        var group = (await api.GetAsync("papi/v1/groups", CancellationToken.None))!["groups"]!["items"]![0]!;
        await api.SendAsync(HttpMethod.Post, $"papi/v1/edgehostnames?contractId={group["contractIds"]![0]}&groupId={group["groupId"]}", new JsonObject
        {
            ["productId"] = "prd_Fresca",
            ["domainPrefix"] = "www.example.com",
            ["domainSuffix"] = "edgesuite.net",
            ["ipVersionBehavior"] = "IPV4",
        }, CancellationToken.None);
        var orphan = Assert.Single(Akamai.EdgeHostnames);
        requests.Clear();

        var created = await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);

        Assert.Contains(requests.Requests, r => r.StartsWith("POST ", StringComparison.Ordinal) && r.Contains("/papi/v1/search/find-by-value", StringComparison.Ordinal));
        Assert.DoesNotContain(requests.Requests, r => r.StartsWith("GET ", StringComparison.Ordinal) && r.Contains("/papi/v1/properties?", StringComparison.Ordinal));
        Assert.Equal(2, Akamai.EdgeHostnames.Count); // the orphan adopted (its create refused, then looked up), the other made
        var hostnames = Akamai.Properties.Single().Versions.Single().Hostnames;
        Assert.Equal(orphan.EdgeHostnameId, hostnames.Single(h => h.CnameFrom == "www.example.com").EdgeHostnameId);

        // Applied again without the remembered id: found by name, and its edge hostnames read from the property itself.
        requests.Clear();
        var again = await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);
        Assert.Equal(created.ProviderServiceId, again.ProviderServiceId);
        Assert.DoesNotContain(requests.Requests, r => r.Contains("/papi/v1/edgehostnames", StringComparison.Ordinal));
        Assert.Single(Akamai.Properties);
        Assert.Equal(2, Akamai.EdgeHostnames.Count);
    }

    [Fact]
    public async Task Update_writes_a_new_version_from_the_active_one_and_activates_it()
    {
        var spec = FullSpec();
        var created = await driver.ApplyAsync(Call(), spec, CancellationToken.None);
        clock.Advance(DeployDelay);

        spec.Domains.RemoveAt(1);
        spec.Domains.Add(new DomainSpec { Domain = "cdn.example.org" });
        spec.Caching[1].Ttl = 7200;
        spec.Origins[0].Port = 9090;
        var updated = await driver.ApplyAsync(Call(created.ProviderServiceId), spec, CancellationToken.None);

        Assert.Equal(DeploymentState.InProgress, updated.State);
        var property = Assert.Single(Akamai.Properties);
        Assert.Equal(2, property.Versions.Count);
        var v2 = property.Version(2)!;
        Assert.Equal(["www.example.com", "cdn.example.org"], v2.Hostnames.Select(h => h.CnameFrom));
        Assert.Equal("cdn.example.org.edgesuite.net", v2.Hostnames[1].CnameTo);
        Assert.Equal(9090, Behavior(v2.Rules, "origin")["httpPort"]!.GetValue<int>());
        var staticRule = v2.Rules["children"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "Caching static")!.AsObject();
        Assert.Equal("2h", Behavior(staticRule, "caching")["ttl"]!.GetValue<string>());
        // The CP code is kept across versions, and the old version is untouched.
        Assert.Equal(Behavior(property.Version(1)!.Rules, "cpCode").ToJsonString(), Behavior(v2.Rules, "cpCode").ToJsonString());
        Assert.Equal("1d", Behavior(property.Version(1)!.Rules["children"]![1]!.AsObject(), "caching")["ttl"]!.GetValue<string>());
        Assert.Equal(new AccessUrl("cdn.example.org", "cdn.example.org.edgesuite.net", null), updated.AccessUrls[1]);

        Assert.Equal((2, AkamaiNetworks.Production), (Akamai.Activations[^1].PropertyVersion, Akamai.Activations[^1].Network));
        Assert.Equal(1, Akamai.ActiveVersion(property.PropertyId, AkamaiNetworks.Production)); // v1 serves until v2 is out
        clock.Advance(DeployDelay);
        Assert.Equal(DeploymentState.Deployed, (await driver.GetStateAsync(Call(), spec, CancellationToken.None))!.State);
        Assert.Equal(2, Akamai.ActiveVersion(property.PropertyId, AkamaiNetworks.Production));
    }

    [Fact]
    public async Task A_second_change_while_an_activation_runs_is_written_and_waits_as_a_transient_error()
    {
        var spec = FullSpec();
        await driver.ApplyAsync(Call(), spec, CancellationToken.None);
        spec.Caching[1].Ttl = 60;

        var busy = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call(), spec, CancellationToken.None));
        Assert.True(busy.IsTransient);
        Assert.Equal(2, Akamai.Properties[0].Versions.Count); // the change is stored in v2 already
        Assert.Equal("1m", Behavior(Akamai.Properties[0].Version(2)!.Rules["children"]![1]!.AsObject(), "caching")["ttl"]!.GetValue<string>());

        clock.Advance(DeployDelay);
        var retried = await driver.ApplyAsync(Call(), spec, CancellationToken.None);
        Assert.Equal(DeploymentState.InProgress, retried.State);
        Assert.Equal(2, Akamai.Properties[0].Versions.Count);
        Assert.Equal(2, Akamai.Activations[^1].PropertyVersion);
    }

    [Theory]
    [MemberData(nameof(PurgePathCases.LeavingTheService), MemberType = typeof(PurgePathCases))]
    public async Task Purge_refuses_a_path_that_could_reach_another_host_and_sends_nothing(string url)
    {
        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.PurgeAsync(Call(), FullSpec(), url, hard: true, CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Empty(Akamai.Purges);
    }

    [Fact]
    public async Task Purge_escapes_what_a_url_may_not_hold_raw()
    {
        await driver.PurgeAsync(Call(), FullSpec(), "/a{1}|b^.css", hard: true, CancellationToken.None);

        Assert.Equal(["http://www.example.com/a%7B1%7D%7Cb%5E.css", "https://secure.example.com/a%7B1%7D%7Cb%5E.css"], Assert.Single(Akamai.Purges).Objects);
    }

    [Fact]
    public async Task Purge_by_url_for_each_domain_soft_and_hard_and_everything_by_cp_code()
    {
        var spec = FullSpec();
        await driver.ApplyAsync(Call(), spec, CancellationToken.None);
        clock.Advance(DeployDelay);

        await driver.PurgeAsync(Call(), spec, "/images/logo.png", hard: false, CancellationToken.None);
        var soft = Assert.Single(Akamai.Purges);
        Assert.Equal(("invalidate", "url", "production"), (soft.Action, soft.Type, soft.Network));
        Assert.Equal(["http://www.example.com/images/logo.png", "https://secure.example.com/images/logo.png"], soft.Objects);

        await driver.PurgeAsync(Call(), spec, "/a.css", hard: true, CancellationToken.None);
        Assert.Equal(("delete", "url"), (Akamai.Purges[1].Action, Akamai.Purges[1].Type));
        Assert.Equal(["http://www.example.com/a.css", "https://secure.example.com/a.css"], Akamai.Purges[1].Objects);

        await driver.PurgeAsync(Call(), spec, null, hard: true, CancellationToken.None);
        var all = Akamai.Purges[2];
        var cpCode = Behavior(Akamai.Properties[0].LatestVersion.Rules, "cpCode")["value"]!["id"]!.ToString();
        Assert.Equal(("delete", "cpcode", "production"), (all.Action, all.Type, all.Network));
        Assert.Equal([cpCode], all.Objects);
    }

    [Fact]
    public async Task Delete_deactivates_waits_then_deletes_and_deleting_again_is_fine()
    {
        var spec = FullSpec();
        var created = await driver.ApplyAsync(Call(), spec, CancellationToken.None);

        // Still activating: nothing to do but wait.
        Assert.Equal(DeploymentState.InProgress, await driver.DeleteAsync(Call(), spec, CancellationToken.None));
        Assert.Single(Akamai.Activations);
        clock.Advance(DeployDelay);

        Assert.Equal(DeploymentState.InProgress, await driver.DeleteAsync(Call(created.ProviderServiceId), spec, CancellationToken.None));
        var deactivation = Akamai.Activations[^1];
        Assert.Equal((1, AkamaiNetworks.Production, "DEACTIVATE"), (deactivation.PropertyVersion, deactivation.Network, deactivation.ActivationType));
        Assert.Equal(DeploymentState.InProgress, await driver.DeleteAsync(Call(), spec, CancellationToken.None));
        Assert.Equal(2, Akamai.Activations.Count);
        Assert.Single(Akamai.Properties);

        clock.Advance(DeployDelay);
        Assert.Equal(DeploymentState.Deployed, await driver.DeleteAsync(Call(), spec, CancellationToken.None));
        Assert.Empty(Akamai.Properties);
        Assert.Null(await driver.GetStateAsync(Call(created.ProviderServiceId), spec, CancellationToken.None));
        Assert.Equal(DeploymentState.Deployed, await driver.DeleteAsync(Call(created.ProviderServiceId), spec, CancellationToken.None));
    }

    [Fact]
    public async Task The_deployed_rule_tree_serves_on_the_simulated_edge_origins_by_path_caching_by_rule_and_purges_evict()
    {
        var spec = FullSpec();
        await driver.ApplyAsync(Call(), spec, CancellationToken.None);
        clock.Advance(DeployDelay);

        // /images/* goes to the images origin with its custom Host header and is cached (default 1h).
        Assert.Equal("origin /images/a.png #1", await EdgeAsync("www.example.com", "/images/a.png"));
        Assert.Equal("origin /images/a.png #1", await EdgeAsync("www.example.com", "/images/a.png"));
        Assert.Equal("img.example.net", originRequests.Single(r => r.Path == "/images/a.png").Host);

        // Everything else goes to the default origin with the origin's host name; ttl 0 is never stored.
        Assert.Equal("origin /page #1", await EdgeAsync("www.example.com", "/page"));
        Assert.Equal("origin.example.com", originRequests.Single(r => r.Path == "/page").Host);
        Assert.Equal("origin /api/v1/x #1", await EdgeAsync("www.example.com", "/api/v1/x"));
        Assert.Equal("origin /api/v1/x #2", await EdgeAsync("www.example.com", "/api/v1/x"));

        // The default TTL (1h) expires on the simulator's clock; /static/* is kept a day.
        Assert.Equal("origin /static/s.js #1", await EdgeAsync("www.example.com", "/static/s.js"));
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal("origin /page #2", await EdgeAsync("www.example.com", "/page"));
        Assert.Equal("origin /static/s.js #1", await EdgeAsync("www.example.com", "/static/s.js"));

        // A hard URL purge evicts; a purge of everything by CP code evicts the rest.
        await driver.PurgeAsync(Call(), spec, "/static/s.js", hard: true, CancellationToken.None);
        Assert.Equal("origin /static/s.js #2", await EdgeAsync("www.example.com", "/static/s.js"));
        Assert.Equal("origin /page #2", await EdgeAsync("www.example.com", "/page"));
        await driver.PurgeAsync(Call(), spec, null, hard: true, CancellationToken.None);
        Assert.Equal("origin /page #3", await EdgeAsync("www.example.com", "/page"));
        Assert.Equal("origin /static/s.js #3", await EdgeAsync("www.example.com", "/static/s.js"));
    }

    [Fact]
    public async Task A_request_that_times_out_is_a_transient_error()
    {
        Akamai.Faults.Set(new FaultProfile { TimeoutRate = 1 });
        using var impatient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMilliseconds(500) };
        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call() with { Http = impatient }, FullSpec(), CancellationToken.None));
        Assert.True(error.IsTransient);
        Assert.Contains("timed out", error.Message);
        Assert.Null(error.StatusCode);
    }

    [Fact]
    public async Task Bad_credentials_are_a_permanent_error_with_akamais_message()
    {
        var call = Call() with
        {
            Credentials = new Dictionary<string, string>(Credentials) { ["client_secret"] = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==" },
        };
        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(call, FullSpec(), CancellationToken.None));
        Assert.False(error.IsTransient);
        Assert.Equal(401, error.StatusCode);
        Assert.Contains("The signature does not match", error.Message);
        Assert.Null(error.RetryAfter);
        Assert.Empty(Akamai.Properties);
    }

    [Fact]
    public async Task Throttling_and_outages_are_transient_and_carry_Retry_After()
    {
        Akamai.Faults.Set(new FaultProfile { ThrottleBurst = new ThrottleBurst(1, 7) });
        var throttled = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None));
        Assert.True(throttled.IsTransient);
        Assert.Equal(429, throttled.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), throttled.RetryAfter);
        Assert.Contains("exceeded the request rate limit", throttled.Message);

        Akamai.Faults.Set(new FaultProfile { Outage = true });
        var outage = await Assert.ThrowsAsync<CdnDriverException>(() => driver.PurgeAsync(Call(), FullSpec(), "/a", hard: true, CancellationToken.None));
        Assert.True(outage.IsTransient);
        Assert.Equal(503, outage.StatusCode);

        Akamai.Faults.Set(FaultProfile.None);
        Assert.Equal(DeploymentState.InProgress, (await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None)).State);
    }

    private async Task<string> EdgeAsync(string host, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(sims.BaseUrl, path));
        request.Headers.Host = host;
        using var response = await http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private static Dictionary<string, string> Credentials => new()
    {
        ["client_token"] = "akab-sim-client-token-0000-000000000000",
        ["client_secret"] = "c2ltdWxhdG9yLWNsaWVudC1zZWNyZXQtMDAwMDAwMDA=",
        ["access_token"] = "akab-sim-access-token-0000-000000000000",
    };

    private ProviderCall Call(string? providerServiceId = null) =>
        new(serviceId, providerServiceId, Akamai.ApiBaseUrl, Credentials, http, clock);

    private static ServiceSpec FullSpec() => new()
    {
        Name = "mysite",
        FlavorId = "cdn",
        Domains =
        [
            new DomainSpec { Domain = "www.example.com" },
            new DomainSpec { Domain = "secure.example.com", Protocol = DomainProtocol.Https, Certificate = CertificateType.San },
        ],
        Origins =
        [
            new OriginSpec { Origin = "origin.example.com", Port = 8080, HostHeaderType = HostHeaderType.Origin, Rules = [new RuleSpec { Name = "all", RequestUrl = "/*" }] },
            new OriginSpec
            {
                Origin = "images.example.com", Port = 8443, Ssl = true, HostHeaderType = HostHeaderType.Custom, HostHeaderValue = "img.example.net",
                Rules = [new RuleSpec { Name = "images", RequestUrl = "/images/*" }, new RuleSpec { Name = "img", RequestUrl = "/img/*" }],
            },
        ],
        Caching =
        [
            new CachingRuleSpec { Name = "default", Ttl = 3600, Rules = [new RuleSpec { Name = "all", RequestUrl = "/*" }] },
            new CachingRuleSpec { Name = "static", Ttl = 86400, Rules = [new RuleSpec { Name = "static", RequestUrl = "/static/*" }] },
            new CachingRuleSpec { Name = "api", Ttl = 0, Rules = [new RuleSpec { Name = "api", RequestUrl = "/api/v1/*" }] },
        ],
        Restrictions =
        [
            new RestrictionSpec { Name = "hotlinks", Access = RestrictionAccess.Whitelist, Rules = [new RestrictionRuleSpec { Referrer = "example.com", RequestUrl = "/*" }] },
            new RestrictionSpec { Name = "embargo", Access = RestrictionAccess.Blacklist, Rules = [new RestrictionRuleSpec { Geography = "Japan", RequestUrl = "/*" }] },
            new RestrictionSpec { Name = "admin", Access = RestrictionAccess.Whitelist, Rules = [new RestrictionRuleSpec { ClientIp = "10.0.0.0/8", RequestUrl = "/admin/*" }] },
        ],
        LogDelivery = new LogDeliverySpec { Enabled = true },
    };

    private static JsonObject Behavior(JsonObject rule, string name) =>
        rule["behaviors"]!.AsArray().Single(b => b!["name"]!.GetValue<string>() == name)!["options"]!.AsObject();

    private static JsonObject Criterion(JsonObject rule, string name) =>
        rule["criteria"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == name)!["options"]!.AsObject();

    private static IEnumerable<string> PathValues(JsonObject rule) =>
        Criterion(rule, "path")["values"]!.AsArray().Select(v => v!.GetValue<string>());
}
