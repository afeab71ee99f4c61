using System.Net;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Cdn.CacheTier;
using Poppy.Portal.TestSupport.CacheTier;

namespace Poppy.Portal.Providers.Tests.Cdn;

/// <summary>Two real cache nodes (agent in this process + nginx on loopback ports) for the driver tests of one class.</summary>
public sealed class TwoCacheNodes : IAsyncLifetime
{
    /// <summary>No country database: geography restrictions come back as a warning.</summary>
    public TestNode First { get; private set; } = null!;

    /// <summary>Its country database puts 127.0.0.0/8 in France, so it enforces geography.</summary>
    public TestNode Second { get; private set; } = null!;

    public IReadOnlyList<TestNode> Both => [First, Second];

    public async Task InitializeAsync()
    {
        First = await TestNode.StartAsync();
        Second = await TestNode.StartAsync(countryRanges: "127.0.0.0/8 FR;\n");
    }

    public async Task DisposeAsync()
    {
        await First.DisposeAsync();
        await Second.DisposeAsync();
    }
}

/// <summary>
/// The cache-tier driver against real agents and nginx: every call reaches every node, every call made twice changes
/// nothing more, nginx's refusal is a permanent error with its message, an unreachable node a transient one.
/// </summary>
public sealed class CacheTierDriverTests : IClassFixture<TwoCacheNodes>, IDisposable
{
    private readonly TwoCacheNodes nodes;
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false });
    private readonly CacheTierNodeMonitor monitor = new();
    private readonly CacheTierDriver driver;

    public CacheTierDriverTests(TwoCacheNodes nodes)
    {
        this.nodes = nodes;
        driver = new CacheTierDriver(monitor);
    }

    public void Dispose()
    {
        http.Dispose();
        monitor.Dispose();
    }

    private static string Line(TestNode node, string? token = null) =>
        $"{node.Host.AgentUrl} {token ?? TestNode.Token} http://{node.Host.EdgeUrl.Authority}";

    private ProviderCall Call(Guid serviceId, params string[] lines) => new(
        serviceId, null, new Uri(lines[0].Split(' ')[0]),
        new Dictionary<string, string> { [CacheTierNodes.CredentialKey] = string.Join('\n', lines) },
        http, TimeProvider.System);

    private ProviderCall CallBoth(Guid serviceId) => Call(serviceId, Line(nodes.First), Line(nodes.Second));

    /// <summary>One domain, the origin on loopback with its own Host header, everything cached for 5 minutes.</summary>
    private static ServiceSpec Service(string domain, LoopbackOrigin origin) => new()
    {
        Name = "site",
        FlavorId = "self-hosted",
        Domains = [new() { Domain = domain }],
        Origins = [new() { Origin = "127.0.0.1", Port = origin.Port, HostHeaderType = HostHeaderType.Origin, HostHeaderValue = "127.0.0.1",
            Rules = [new() { Name = "default", RequestUrl = "/*" }] }],
        Caching = [new() { Name = "default", Ttl = 300, Rules = [new() { Name = "default", RequestUrl = "/*" }] }],
    };

    [Fact]
    public async Task Create_update_purge_and_delete_reach_every_node_and_each_repeated_changes_nothing_more()
    {
        await using var origin = await LoopbackOrigin.StartAsync("v1");
        var id = Guid.NewGuid();
        var domain = TestNode.NewDomain("driver");
        var spec = Service(domain, origin);
        var call = CallBoth(id);

        // Create, twice: the second finds the document on both nodes and nothing is reloaded.
        var created = await driver.ApplyAsync(call, spec, CancellationToken.None);
        Assert.Equal(id.ToString("D"), created.ProviderServiceId);
        Assert.Equal(DeploymentState.Deployed, created.State);
        Assert.Equal(nodes.Both.Select(n => new AccessUrl(domain, $"http://{n.Host.EdgeUrl.Authority}", null)), created.AccessUrls);
        Assert.Empty(created.Warnings);
        var reloads = nodes.Both.Select(n => n.Host.Node.LastReload).ToList();
        var again = await driver.ApplyAsync(call, spec, CancellationToken.None);
        Assert.Equal(created.AccessUrls, again.AccessUrls);
        Assert.Equal(reloads, nodes.Both.Select(n => n.Host.Node.LastReload));
        foreach (var node in nodes.Both)
        {
            Assert.Equal("v1 /page #", (await node.GetAsync(domain, "/page")).Body[..^1]);
            Assert.Equal("HIT", (await node.GetAsync(domain, "/page")).XCache);
            Assert.NotNull(monitor.LastContact(node.Host.AgentUrl));
        }
        Assert.Equal(DeploymentState.Deployed, (await driver.GetStateAsync(call, spec, CancellationToken.None))!.State);

        // Update, twice: a second domain and a shorter TTL on both nodes.
        var secondDomain = TestNode.NewDomain("driver2");
        var updated = Service(domain, origin);
        updated.Domains.Add(new DomainSpec { Domain = secondDomain });
        updated.Caching[0].Ttl = 60;
        await driver.ApplyAsync(call, updated, CancellationToken.None);
        reloads = nodes.Both.Select(n => n.Host.Node.LastReload).ToList();
        var updatedAgain = await driver.ApplyAsync(call, updated, CancellationToken.None);
        Assert.Equal(reloads, nodes.Both.Select(n => n.Host.Node.LastReload));
        Assert.Equal(4, updatedAgain.AccessUrls.Count);
        foreach (var node in nodes.Both)
        {
            var held = node.Host.Node.Find(id.ToString("D"))!;
            Assert.Equal([domain, secondDomain], held.Config.Domains.Select(d => d.Domain));
            Assert.Equal(60, held.Config.Caching.Single().Ttl);
            Assert.Equal(HttpStatusCode.OK, (await node.GetAsync(secondDomain, "/page")).Status);
        }
        // The state compares what the nodes hold with the document asked for: the old one is no longer there.
        Assert.Equal(DeploymentState.Deployed, (await driver.GetStateAsync(call, updated, CancellationToken.None))!.State);
        Assert.Equal(DeploymentState.InProgress, (await driver.GetStateAsync(call, spec, CancellationToken.None))!.State);

        // Purge one path hard, twice: gone from both nodes (MISS), the second purge has nothing left to remove.
        foreach (var node in nodes.Both)
        {
            Assert.Equal("HIT", (await node.GetAsync(domain, "/page")).XCache);
        }
        await driver.PurgeAsync(call, updated, "/page", hard: true, CancellationToken.None);
        await driver.PurgeAsync(call, updated, "/page", hard: true, CancellationToken.None);
        foreach (var node in nodes.Both)
        {
            Assert.Equal("MISS", (await node.GetAsync(domain, "/page")).XCache);
        }
        // Purge everything soft, twice: every copy is refreshed at its next request.
        await driver.PurgeAsync(call, updated, null, hard: false, CancellationToken.None);
        await driver.PurgeAsync(call, updated, null, hard: false, CancellationToken.None);
        foreach (var node in nodes.Both)
        {
            Assert.Equal("EXPIRED", (await node.GetAsync(domain, "/page")).XCache);
            Assert.Equal("HIT", (await node.GetAsync(domain, "/page")).XCache);
        }

        // Delete, twice: no node serves the domains any more, and the state says there is nothing.
        Assert.Equal(DeploymentState.Deployed, await driver.DeleteAsync(call, updated, CancellationToken.None));
        Assert.Equal(DeploymentState.Deployed, await driver.DeleteAsync(call, updated, CancellationToken.None));
        foreach (var node in nodes.Both)
        {
            Assert.Null(node.Host.Node.Find(id.ToString("D")));
            Assert.Equal(HttpStatusCode.NotFound, (await node.GetAsync(domain, "/page")).Status);
        }
        Assert.Null(await driver.GetStateAsync(call, updated, CancellationToken.None));
        var nothingToPurge = await Assert.ThrowsAsync<CdnDriverException>(() => driver.PurgeAsync(call, updated, null, true, CancellationToken.None));
        Assert.False(nothingToPurge.IsTransient);
    }

    [Fact]
    public async Task Every_setting_of_a_portal_service_is_a_document_the_agent_accepts_and_what_a_node_cannot_do_comes_back_as_warnings()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var id = Guid.NewGuid();
        var domain = TestNode.NewDomain("rich");
        var spec = Service(domain, origin);
        spec.Domains.Add(new DomainSpec { Domain = TestNode.NewDomain("secure"), Protocol = DomainProtocol.Https, Certificate = CertificateType.San });
        spec.Origins.Add(new OriginSpec
        {
            Origin = "127.0.0.1", Port = origin.Port, HostHeaderType = HostHeaderType.Custom, HostHeaderValue = "images.example.com",
            Rules = [new() { Name = "images", RequestUrl = "/images/*" }],
        });
        spec.Caching.Add(new CachingRuleSpec { Name = "no-store", Ttl = 0, Rules = [new() { Name = "api", RequestUrl = "/api/*" }] });
        spec.Restrictions =
        [
            new() { Name = "partners", Access = RestrictionAccess.Whitelist, Rules = [new() { Referrer = "partner.example.com", RequestUrl = "/partners/*" }] },
            new() { Name = "abusers", Access = RestrictionAccess.Blacklist, Rules = [new() { Name = "bad net", ClientIp = "203.0.113.0/24" }] },
            new() { Name = "embargo", Access = RestrictionAccess.Blacklist, Rules = [new() { Geography = "Japan", RequestUrl = "/video/*" }] },
        ];
        spec.Delivery = new DeliverySettings
        {
            ViewerProtocolPolicy = ViewerProtocolPolicy.RedirectToHttps, DefaultRootObject = "index.html", ForwardCookies = true, MinTtl = 10,
        };
        spec.LogDelivery.Enabled = true;
        var call = CallBoth(id);

        var result = await driver.ApplyAsync(call, spec, CancellationToken.None);

        // The driver's own (no node can), then the nodes': both nodes serve plain HTTP; only the first lacks a country database.
        Assert.Contains(result.Warnings, w => w.StartsWith("Viewer protocol policy redirect-to-https is not applied", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("TTL bounds (min 10 s", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("Log delivery is not configured", StringComparison.Ordinal));
        foreach (var node in nodes.Both)
        {
            // Each node names its own edge address, so each warning is its node's.
            Assert.Contains(result.Warnings, w => w.StartsWith($"Cache node {node.Host.AgentUrl.Authority}: Domain {spec.Domains[1].Domain} is https", StringComparison.Ordinal));
        }
        var geography = Assert.Single(result.Warnings, w => w.Contains("'embargo'", StringComparison.Ordinal));
        Assert.StartsWith($"Cache node {nodes.First.Host.AgentUrl.Authority}: Geography restriction 'embargo' (blacklist JP on /video/*) is not enforced", geography);
        foreach (var node in nodes.Both)
        {
            var held = node.Host.Node.Find(id.ToString("D"))!.Config;
            Assert.Equal(["JP"], held.Restrictions[2].Rules[0].Countries!);
            Assert.Null(held.Origins[0].HostHeaderValue); // "origin": the agent sends the origin's name itself
            Assert.Equal("images.example.com", held.Origins[1].HostHeaderValue);
            Assert.Equal("index.html", held.DefaultRootObject);
            Assert.Equal(403, (int)(await node.GetAsync(domain, "/partners/a", referer: "http://elsewhere.example.com/")).Status);
        }
        // Said up front as well, before anything is sent: the driver's own, and what every agent says of such a document.
        var limitations = driver.Limitations(spec, call.Credentials);
        Assert.All(result.Warnings.Where(w => !w.StartsWith("Cache node ", StringComparison.Ordinal)), w => Assert.Contains(w, limitations));
        Assert.Contains(limitations, w => w.StartsWith($"Domain {spec.Domains[1].Domain} is https: a cache node serves plain HTTP", StringComparison.Ordinal));
        Assert.Contains(limitations, w => w.StartsWith("Geography restrictions are enforced only by nodes that have a country database", StringComparison.Ordinal));
        Assert.Equal(5, limitations.Count); // viewer policy, TTL bounds, log delivery, the https domain, geography
        Assert.Empty(driver.Limitations(Service(domain, origin), call.Credentials));
        // The held documents are the one sent, so the state is deployed (the comparison reads the agent's own serialization).
        Assert.Equal(DeploymentState.Deployed, (await driver.GetStateAsync(call, spec, CancellationToken.None))!.State);
        await driver.DeleteAsync(call, spec, CancellationToken.None);
    }

    [Fact]
    public async Task A_configuration_nginx_refuses_fails_permanently_with_nginx_s_message_and_the_nodes_keep_the_previous_one()
    {
        await using var origin = await LoopbackOrigin.StartAsync("kept");
        var id = Guid.NewGuid();
        var domain = TestNode.NewDomain("refused");
        var call = CallBoth(id);
        await driver.ApplyAsync(call, Service(domain, origin), CancellationToken.None);

        // A valid document, but nginx cannot parse a zone in an IPv6 upstream address. (An origin name that does not
        // resolve is taken: nodes resolve names per request.)
        var broken = Service(domain, origin);
        broken.Origins[0].Origin = "fe80::1%lo";
        var refused = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(call, broken, CancellationToken.None));

        Assert.False(refused.IsTransient);
        Assert.Equal(422, refused.StatusCode);
        Assert.StartsWith("2 of 2 cache nodes failed: ", refused.Message, StringComparison.Ordinal);
        foreach (var node in nodes.Both)
        {
            Assert.Contains($"Cache node {node.Host.AgentUrl.Authority} refused PUT /api/services/{id:D}: 422 nginx refused the configuration", refused.Message, StringComparison.Ordinal);
            var served = await node.GetAsync(domain, "/page");
            Assert.Equal("kept /page #", served.Body[..^1]);
        }
        Assert.Contains("invalid IPv6 address in upstream \"[fe80::1%lo]", refused.Message, StringComparison.Ordinal);
        await driver.DeleteAsync(call, broken, CancellationToken.None);
    }

    [Fact]
    public async Task An_unreachable_node_is_a_transient_failure_and_a_wrong_token_a_permanent_one()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var id = Guid.NewGuid();
        var domain = TestNode.NewDomain("down");
        var spec = Service(domain, origin);
        var deadAgent = $"http://127.0.0.1:{TestNode.FreePort()}/";
        var call = Call(id, Line(nodes.First), $"{deadAgent} {TestNode.Token} cache-down.example.net");

        var down = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(call, spec, CancellationToken.None));

        Assert.True(down.IsTransient);
        Assert.StartsWith("1 of 2 cache nodes failed: Cache node 127.0.0.1:", down.Message, StringComparison.Ordinal);
        Assert.Contains("could not be reached", down.Message, StringComparison.Ordinal);
        // The reachable node took it; a retry finds it there, unchanged.
        Assert.NotNull(nodes.First.Host.Node.Find(id.ToString("D")));
        var deadOnly = Call(id, $"{deadAgent} {TestNode.Token} cache-down.example.net");
        Assert.True((await Assert.ThrowsAsync<CdnDriverException>(() => driver.DeleteAsync(deadOnly, spec, CancellationToken.None))).IsTransient);
        Assert.True((await Assert.ThrowsAsync<CdnDriverException>(() => driver.PurgeAsync(deadOnly, spec, null, true, CancellationToken.None))).IsTransient);

        var wrongToken = Call(id, Line(nodes.Second, token: "not-the-node-token-at-all"));
        var refused = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(wrongToken, spec, CancellationToken.None));
        Assert.False(refused.IsTransient);
        Assert.Equal(401, refused.StatusCode);
        Assert.Contains("X-Node-Token", refused.Message, StringComparison.Ordinal);
        Assert.Null(nodes.Second.Host.Node.Find(id.ToString("D")));

        await driver.DeleteAsync(Call(id, Line(nodes.First)), spec, CancellationToken.None);
    }

    [Fact]
    public async Task Test_connection_asks_every_node_with_its_token_and_reports_the_worst_outcome()
    {
        var ok = await driver.TestConnectionAsync(Call(Guid.Empty, Line(nodes.First), Line(nodes.Second)), CancellationToken.None);
        Assert.Equal(ConnectionTestOutcome.Ok, ok.Outcome);
        Assert.StartsWith("All 2 cache nodes answered.", ok.Message, StringComparison.Ordinal);
        Assert.Contains($"Cache node {nodes.Second.Host.AgentUrl.Authority} accepted the credentials: nginx {nodes.Second.Host.Node.NginxVersion} running", ok.Message, StringComparison.Ordinal);

        var deadAgent = $"http://127.0.0.1:{TestNode.FreePort()}/ {TestNode.Token} cache-down.example.net";
        var down = await driver.TestConnectionAsync(Call(Guid.Empty, Line(nodes.First), deadAgent), CancellationToken.None);
        Assert.Equal(ConnectionTestOutcome.Unreachable, down.Outcome);
        Assert.StartsWith("1 of 2 cache nodes failed.", down.Message, StringComparison.Ordinal);

        // A refused token outranks an unreachable node: it is what the administrator must fix in the account.
        var refused = await driver.TestConnectionAsync(Call(Guid.Empty, deadAgent, Line(nodes.Second, token: "not-the-node-token-at-all")), CancellationToken.None);
        Assert.Equal(ConnectionTestOutcome.BadCredentials, refused.Outcome);
        Assert.Contains("refused the credentials", refused.Message, StringComparison.Ordinal);

        var none = await driver.TestConnectionAsync(new ProviderCall(Guid.Empty, null, new Uri("http://127.0.0.1:9/"),
            new Dictionary<string, string>(), http, TimeProvider.System), CancellationToken.None);
        Assert.Equal(ConnectionTestOutcome.BadCredentials, none.Outcome);
        Assert.Equal("The cache-tier account lists no nodes.", none.Message);
    }

    [Fact]
    public async Task A_probe_reads_the_nodes_own_account_of_itself_and_gives_up_on_a_dead_one_within_its_timeout()
    {
        var node = new CacheTierNode(nodes.First.Host.AgentUrl, TestNode.Token, "cache1.example.net");
        var status = await monitor.ProbeAsync(node, TimeSpan.FromSeconds(5), TimeProvider.System, CancellationToken.None);

        Assert.True(status.Reachable, status.Error);
        Assert.Equal(nodes.First.Host.Node.NginxVersion, status.NginxVersion);
        Assert.True(status.NginxRunning);
        Assert.Equal(nodes.First.Host.Node.Services.Count, status.ServicesHeld);
        Assert.True(status.LastReloadSucceeded);
        Assert.NotNull(status.LastContact);

        var dead = new CacheTierNode(new Uri($"http://127.0.0.1:{TestNode.FreePort()}/"), TestNode.Token, "cache2.example.net");
        var unreachable = await monitor.ProbeAsync(dead, TimeSpan.FromSeconds(2), TimeProvider.System, CancellationToken.None);
        Assert.False(unreachable.Reachable);
        Assert.Contains("could not be reached", unreachable.Error, StringComparison.Ordinal);
        Assert.Null(unreachable.LastContact);

        var wrongToken = await monitor.ProbeAsync(node with { Token = "wrong-token-for-this-node" }, TimeSpan.FromSeconds(5), TimeProvider.System, CancellationToken.None);
        Assert.False(wrongToken.Reachable);
        Assert.Contains("401", wrongToken.Error, StringComparison.Ordinal);
    }
}
