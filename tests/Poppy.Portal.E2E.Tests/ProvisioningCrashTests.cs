using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.E2E.Tests.Infrastructure;
using Poppy.Portal.Simulators;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Simulators.Inventory;
using Xunit;
using Xunit.Abstractions;

namespace Poppy.Portal.E2E.Tests;

/// <summary>
/// Issue 4's crash test: the published portal provisions services to the four CDN simulators (running in this test
/// process, so their state outlives the portal), is killed with SIGKILL mid-provisioning, and restarted on the same
/// database. Every service must end deployed with exactly one resource at each vendor: no lost work, no duplicate.
/// </summary>
public sealed class ProvisioningCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Services = 20;
    private static readonly TimeSpan DeployedDeadline = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan KillDeadline = TimeSpan.FromSeconds(60);

    private SimulatorHost simulators = null!;
    private PortalProcess portal = null!;
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        // Slow enough to interrupt: CloudFront and Akamai deploy for 3 s, every vendor call takes 100 ms (see SetLatency).
        simulators = await SimulatorHost.StartAsync(new SimulatorOptions { DeployDelay = TimeSpan.FromSeconds(3) }, CancellationToken.None);

        portal = new PortalProcess { LogPath = RepositoryPaths.Artifact("crash-portal-host.log") };
        portal.ExtraEnvironment["Portal__Simulators__Enabled"] = "true";
        portal.ExtraEnvironment["Portal__Simulators__ExternalUrl"] = simulators.BaseUrl.ToString();
        portal.ExtraEnvironment["Portal__Jobs__Enabled"] = "true";
        // The simulators deploy in seconds: ask them again every second, and sweep for orphaned work as often.
        portal.ExtraEnvironment["Portal__Provisioning__DeploymentPollInterval"] = "00:00:01";
        portal.ExtraEnvironment["Portal__Provisioning__RecoverySweepInterval"] = "00:00:02";
        portal.ExtraEnvironment["Portal__Provisioning__RescheduleDelay"] = "00:00:02";
        await portal.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await portal.DisposeAsync();
        await simulators.DisposeAsync();
    }

    [Fact]
    public async Task Killed_mid_provisioning_and_restarted_every_service_is_deployed_with_exactly_one_resource_per_vendor()
    {
        var token = await portal.RunCommandAsync("token", "create", "--user", PortalProcess.AdminEmail,
            "--project", PortalProcess.FirstProject, "--name", "crash test");
        // Vendors answer slowly while the services are created, so that provisioning is still at its start when the
        // last create returns; then at 100 ms a call, and the portal is killed while the first resources appear.
        SetLatency(1500);
        var ids = await CreateServicesAsync(token);
        SetLatency(100);

        var watch = Stopwatch.StartNew();
        while (simulators.Inventory().Resources.Count < 8)
        {
            Assert.True(watch.Elapsed < KillDeadline, $"No provisioning started within {KillDeadline}: {Describe(simulators.Inventory(), ids)}");
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
        var exitCode = await portal.KillAsync();
        Assert.Equal(137, exitCode); // 128 + SIGKILL: no shutdown code ran.

        var atKill = simulators.Inventory();
        var started = ids.Count(id => Enum.GetValues<CdnVendor>().Any(v => atKill.Count(v, id) > 0));
        var complete = ids.Count(id => Enum.GetValues<CdnVendor>().All(v => atKill.Count(v, id) > 0));
        output.WriteLine($"killed {watch.Elapsed.TotalSeconds:0.0} s after the last create: {atKill.Resources.Count} of {4 * Services} " +
                         $"resources; {started} services started at the vendors, {complete} of them at all four");
        Assert.InRange(atKill.Resources.Count, 1, 4 * Services - 1);
        Assert.True(started > 0 && complete < Services, $"not mid-provisioning: {Describe(atKill, ids)}");

        await portal.StartAsync();
        var restartedAt = Stopwatch.StartNew();
        Dictionary<Guid, string> statuses;
        while (true)
        {
            statuses = await StatusesAsync(token, ids);
            if (statuses.Values.All(s => s is "deployed" or "failed"))
            {
                break;
            }
            Assert.True(restartedAt.Elapsed < DeployedDeadline,
                $"Not all deployed {DeployedDeadline} after the restart: {string.Join(", ", statuses.GroupBy(s => s.Value).Select(g => $"{g.Key} {g.Count()}"))}");
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        output.WriteLine($"all settled {restartedAt.Elapsed.TotalSeconds:0.0} s after the restart");

        Assert.All(ids, id => Assert.Equal("deployed", statuses[id]));
        var inventory = simulators.Inventory();
        Assert.Empty(inventory.Duplicates());
        foreach (var vendor in Enum.GetValues<CdnVendor>())
        {
            Assert.All(ids, id => Assert.True(inventory.Count(vendor, id) == 1, $"{vendor} holds {inventory.Count(vendor, id)} resources for {id}"));
        }
        Assert.Equal(4 * Services, inventory.Resources.Count);
    }

    private void SetLatency(int milliseconds)
    {
        foreach (var vendor in simulators.Vendors)
        {
            vendor.Faults.Set(new FaultProfile { LatencyMs = milliseconds });
        }
    }

    private async Task<List<Guid>> CreateServicesAsync(string token)
    {
        using (var limit = Request(HttpMethod.Put, $"/v1.0/admin/limits/{PortalProcess.FirstProject}", token, new JsonObject { ["limit"] = Services + 10 }))
        using (var response = await http.SendAsync(limit))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        // Four clients at once, as scripts would send them.
        var created = await Task.WhenAll(Enumerable.Range(0, 4).Select(async client =>
        {
            var ids = new List<Guid>();
            for (var i = client; i < Services; i += 4)
            {
                var document = new JsonObject
                {
                    ["name"] = $"crash-{i}",
                    ["flavor_id"] = "cdn",
                    ["domains"] = new JsonArray(new JsonObject { ["domain"] = $"www.crash{i}.example.com" }),
                    ["origins"] = new JsonArray(new JsonObject { ["origin"] = $"origin.crash{i}.example.com", ["port"] = 80 }),
                    ["caching"] = new JsonArray(new JsonObject { ["name"] = "default", ["ttl"] = 3600 }),
                };
                using var request = Request(HttpMethod.Post, "/v1.0/services", token, document);
                using var response = await http.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"create {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                ids.Add(Guid.Parse(response.Headers.Location!.OriginalString.TrimEnd('/').Split('/')[^1]));
            }
            return ids;
        }));
        return [.. created.SelectMany(ids => ids)];
    }

    private async Task<Dictionary<Guid, string>> StatusesAsync(string token, IEnumerable<Guid> ids)
    {
        var statuses = new Dictionary<Guid, string>();
        foreach (var id in ids)
        {
            using var request = Request(HttpMethod.Get, $"/v1.0/services/{id}", token);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            statuses[id] = body["status"]!.GetValue<string>();
        }
        return statuses;
    }

    private HttpRequestMessage Request(HttpMethod method, string path, string token, JsonNode? body = null)
    {
        var request = new HttpRequestMessage(method, portal.BaseUrl + path);
        request.Headers.Add("X-Auth-Token", token);
        request.Headers.Add("X-Project-ID", PortalProcess.FirstProject);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return request;
    }

    private static string Describe(SimulatorInventory inventory, IEnumerable<Guid> ids) =>
        string.Join("; ", Enum.GetValues<CdnVendor>().Select(v => $"{v}: {ids.Count(id => inventory.Count(v, id) > 0)} services, {inventory.Of(v).Count()} resources"));
}
