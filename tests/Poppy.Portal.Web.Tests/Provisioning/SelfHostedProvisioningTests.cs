using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Features.Providers;
using Poppy.Portal.Web.Tests.Api;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>
/// A portal with jobs on and its development cache node (agent in process + nginx on loopback ports, in a temp folder),
/// as `dotnet run` gives one in Development: account <see cref="DevelopmentCacheNode.AccountName"/>, flavor
/// <see cref="DevelopmentCacheNode.FlavorId"/>.
/// </summary>
public sealed class SelfHostedPortal : ProvisioningPortal
{
    private readonly TempDirectory nodeFolder = new("poppy-web-cache-node");

    public DevelopmentCacheNode Node => Portal.Services.GetRequiredService<DevelopmentCacheNode>();

    protected override Task<PortalFactory> CreatePortalAsync()
    {
        var portal = new PortalFactory();
        portal.Settings["Portal:CacheNode:Enabled"] = "true";
        portal.Settings["Portal:CacheNode:Directory"] = nodeFolder.Path;
        // Probe rounds are the tests' own, so a first round finds the node's cache cold.
        portal.Settings["Portal:Benchmarks:Enabled"] = "false";
        return Task.FromResult(portal);
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Assert.True(Node.State == DevelopmentCacheNodeState.Running, $"The development cache node is {Node.State}: {Node.Problem}");
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync(); // stops nginx with the portal
        nodeFolder.Dispose();
    }
}

/// <summary>
/// Through the portal: a service on flavor "self-hosted" is provisioned by the jobs to the development node, reaches
/// deployed, and its access URL is nginx on this machine serving the service's domain by Host header; the Providers
/// page shows the node's health.
/// </summary>
public sealed class SelfHostedProvisioningTests(SelfHostedPortal fixture) : IClassFixture<SelfHostedPortal>
{
    [Fact]
    public async Task A_service_on_flavor_self_hosted_is_deployed_and_its_access_url_serves_the_domain_from_nginx()
    {
        // The portal takes origins on port 80 or 443 only: the origin listens on port 80 of an address of its own.
        var address = IPAddress.Parse($"127.77.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}");
        await using var origin = await LoopbackOrigin.StartAsync("self-hosted", new IPEndPoint(address, 80));
        var domain = ApiFixture.UniqueDomain();
        var document = ProvisioningPortal.NewService(DevelopmentCacheNode.FlavorId);
        document["domains"] = new JsonArray(new JsonObject { ["domain"] = domain, ["protocol"] = "http" });
        document["origins"] = new JsonArray(new JsonObject { ["origin"] = address.ToString(), ["port"] = 80, ["ssl"] = false });

        var id = await ApiFixture.CreateAsync(fixture.Admin, document);
        var deployed = await fixture.WaitForStatusAsync(id, "deployed");

        var provider = Assert.Single(deployed!["providers"]!.AsArray())!;
        Assert.Equal(DevelopmentCacheNode.AccountName, provider["provider"]!.GetValue<string>());
        Assert.Equal(id.ToString("D"), provider["provider_service_id"]!.GetValue<string>());
        var accessUrl = Assert.Single(deployed["links"]!.AsArray(), l => l!["rel"]!.GetValue<string>() == "access_url")!;
        Assert.Equal(fixture.Node.PublicUrl, accessUrl["href"]!.GetValue<string>());
        Assert.StartsWith("http://127.0.0.1:", fixture.Node.PublicUrl, StringComparison.Ordinal);
        Assert.Equal(domain, accessUrl["domain"]!.GetValue<string>());

        using var viewer = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(accessUrl["href"]!.GetValue<string>()) };
        var first = await GetAsync(viewer, domain, "/downloads/app.zip");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("self-hosted /downloads/app.zip #1", await first.Content.ReadAsStringAsync());
        Assert.Equal("MISS", first.Headers.GetValues("X-Cache").Single());
        var second = await GetAsync(viewer, domain, "/downloads/app.zip");
        Assert.Equal("HIT", second.Headers.GetValues("X-Cache").Single());
        Assert.Equal("self-hosted /downloads/app.zip #1", await second.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(viewer, "not-a-service.example.com", "/downloads/app.zip")).StatusCode);

        // Deleting the service removes it from the node: the domain is no longer served.
        using (var delete = await fixture.Admin.DeleteAsync($"/v1.0/services/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await fixture.WaitForStatusAsync(id, null);
        Assert.Null(fixture.Node.Host!.Node.Find(id.ToString("D")));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(viewer, domain, "/downloads/app.zip")).StatusCode);
    }

    [Fact]
    public async Task The_providers_page_shows_the_nodes_health_from_its_agent()
    {
        using var admin = await fixture.Portal.CreateAdminClientAsync();

        var page = await admin.GetPageAsync("/providers");

        var table = page.QuerySelector($"[data-cache-tier='{DevelopmentCacheNode.AccountName}'] [data-testid=cache-nodes]")!;
        var cells = table.QuerySelectorAll("tbody tr").Single().QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToList();
        var node = fixture.Node.Host!;
        Assert.Equal(node.AgentUrl.ToString(), cells[0]);
        Assert.Equal(fixture.Node.PublicUrl, cells[1]);
        Assert.Equal("Up", cells[2]);
        Assert.EndsWith(" UTC", cells[3], StringComparison.Ordinal);
        Assert.Equal(node.Node.NginxVersion, cells[4]);
        Assert.Equal(node.Node.Services.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), cells[5]);
        Assert.DoesNotContain(node.Options.Token, page.DocumentElement.OuterHtml);
        Assert.Null(page.QuerySelector("[data-testid=cache-node-missing]"));
    }

    /// <summary>
    /// The probe engine measures the node as it does a CDN's edge: the node's access URL names its port
    /// (<c>http://127.0.0.1:PORT</c>), the probe sends the service's domain as Host, and the sample holds the status, the
    /// timings and the node's X-Cache (MISS, then HIT).
    /// </summary>
    [Fact]
    public async Task The_probe_engine_measures_a_service_on_the_node_with_its_cache_status()
    {
        var address = IPAddress.Parse($"127.78.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}");
        await using var origin = await LoopbackOrigin.StartAsync("probed", new IPEndPoint(address, 80));
        var domain = ApiFixture.UniqueDomain();
        var document = ProvisioningPortal.NewService(DevelopmentCacheNode.FlavorId);
        document["domains"] = new JsonArray(new JsonObject { ["domain"] = domain, ["protocol"] = "http" });
        document["origins"] = new JsonArray(new JsonObject { ["origin"] = address.ToString(), ["port"] = 80, ["ssl"] = false });
        var id = await ApiFixture.CreateAsync(fixture.Admin, document);
        await fixture.WaitForStatusAsync(id, "deployed");

        var first = await ProbeRoundAsync(id);
        var second = await ProbeRoundAsync(id);

        foreach (var sample in new[] { first, second })
        {
            Assert.Equal(DevelopmentCacheNode.AccountName, sample.ProviderName);
            Assert.True(sample.Outcome == ProbeOutcome.Ok, $"{sample.Status} {sample.Error}");
            Assert.Equal(200, sample.Status);
            Assert.Equal("probed / #1".Length, sample.Bytes); // the cached first answer, both times
            Assert.Null(sample.DnsMs); // the access URL names an address
            Assert.Null(sample.TlsMs);
            Assert.NotNull(sample.ConnectMs);
            Assert.NotNull(sample.FirstByteMs);
            Assert.True(sample.FirstByteMs <= sample.TotalMs, $"{sample.FirstByteMs} > {sample.TotalMs}");
        }
        Assert.Equal("miss", first.CacheStatus);
        Assert.Equal("hit", second.CacheStatus);
        Assert.Equal(1, origin.RequestsFor("/"));
        Assert.Equal([domain], origin.HostHeaders);
    }

    private async Task<ProbeSample> ProbeRoundAsync(Guid serviceId)
    {
        var services = fixture.Portal.Services;
        var interval = services.GetRequiredService<IOptions<BenchmarkOptions>>().Value.DefaultInterval;
        var now = fixture.Portal.Clock.GetUtcNow();
        await services.GetRequiredService<ProbeRound>().RunAsync(now - interval, now, default); // a whole interval: every service is due
        await using var scope = services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<ProbeSample>().AsNoTracking()
            .Where(s => s.ServiceId == serviceId).OrderByDescending(s => s.Id).FirstAsync();
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient viewer, string host, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        return await viewer.SendAsync(request);
    }
}

/// <summary>Without nginx the portal starts all the same, and the Providers page says how to get a local node.</summary>
public sealed class SelfHostedWithoutNginxTests : PortalTest
{
    [Fact]
    public async Task Without_nginx_the_portal_starts_and_the_providers_page_says_how_to_add_it()
    {
        Portal.Settings["Portal:CacheNode:Enabled"] = "true";
        Portal.Settings["Portal:CacheNode:NginxExecutable"] = "/nonexistent/sbin/nginx";
        using var admin = await Portal.CreateAdminClientAsync();

        var page = await admin.GetPageAsync("/providers");

        Assert.Equal(DevelopmentCacheNodeState.NginxMissing, Portal.Services.GetRequiredService<DevelopmentCacheNode>().State);
        var notice = page.QuerySelector("[data-testid=cache-node-missing]")!.TextContent;
        Assert.Contains("apt-get install nginx libnginx-mod-http-js", notice, StringComparison.Ordinal);
        Assert.Contains("self-hosted", notice, StringComparison.Ordinal);
        Assert.DoesNotContain(DevelopmentCacheNode.FlavorId, await FlavorIdsAsync());
    }

    private async Task<IReadOnlyList<string>> FlavorIdsAsync()
    {
        using var api = await Portal.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, PortalFactory.FirstProject);
        var flavors = await api.GetFromJsonAsync<JsonObject>("/v1.0/flavors");
        return flavors!["flavors"]!.AsArray().Select(f => f!["id"]!.GetValue<string>()).ToList();
    }
}
