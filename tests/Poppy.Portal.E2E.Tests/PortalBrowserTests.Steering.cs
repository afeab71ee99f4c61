using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.E2E.Tests.Infrastructure;
using Poppy.Portal.Providers.Dns.PowerDns;
using Poppy.Portal.Simulators;
using Poppy.Portal.TestSupport;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Poppy.Portal.E2E.Tests;

public sealed partial class PortalBrowserTests
{
    private static readonly LocatorAssertionsToHaveAttributeOptions WithinSteeringRounds = new() { Timeout = 30_000 };

    /// <summary>
    /// Issue 12's flow: an operator sets a service to <c>failover</c> on its page, an outage of the active provider's edge
    /// is injected through the simulators' fault controls, and the page shows the switch event and the new active
    /// provider without a reload. Everything real: the portal process with its jobs (probes every 2 s, steering rounds
    /// every 2 s), the CDN simulators (in this process, with a loopback origin), and the portal's local PowerDNS, so
    /// steering runs in enforce mode and each switch is confirmed by asking the authoritative server.
    /// </summary>
    [Fact]
    public async Task Steering_FailoverOnAnEdgeOutage_SeenLive()
    {
        await using var host = new SteeringHost();
        await host.StartAsync();
        var service = await host.CreateDeployedServiceAsync();
        // Where it starts: pinned by hand to MaxCDN (the last of the flavor), as an operator might have left it.
        await host.PutSteeringAsync(service, new JsonObject { ["policy"] = "manual", ["pinned_provider"] = "sim-maxcdn" });

        await RunAsync(nameof(Steering_FailoverOnAnEdgeOutage_SeenLive), async (_, page, _) =>
        {
            await page.GotoAsync("/account/login");
            await SubmitLoginAsync(page);
            await Expect(page).ToHaveURLAsync(host.Process.BaseUrl + "/");
            await page.GotoAsync($"/services/{service}");
            await WaitForCircuitAsync(page);
            await page.EvaluateAsync("() => { window.e2eNotReloaded = true; }");

            var panel = page.GetByTestId("steering-panel");
            await Expect(panel.GetByTestId("steering-policy")).ToHaveTextAsync("policy: manual");
            await Expect(panel.GetByTestId("steering-mode")).ToHaveAttributeAsync("data-mode", "enforce");
            await Expect(SteeringProvider(page, "sim-maxcdn")).ToHaveAttributeAsync("data-active", "true");

            // ---- failover, in the order Fastly, Akamai, MaxCDN, CloudFront (its simulated edge has no certificate
            //      for these domains: it is moved to the end, where it is never needed) ----
            await SelectAsync(page, panel.GetByTestId("field-policy").Locator(".mud-select-input").First, "failover: the first healthy in order");
            var order = panel.GetByTestId("field-providers").GetByTestId("order-item");
            await Expect(order).ToHaveCountAsync(4);
            await Expect(order.Nth(1)).ToHaveAttributeAsync("data-provider", "sim-cloudfront");
            for (var at = 2; at <= 3; at++)
            {
                await panel.Locator("[data-testid=order-item][data-provider=sim-cloudfront] [data-testid=order-down]").ClickAsync();
                // Each move is a round trip to the circuit: the next click waits for the list it changes.
                await Expect(order.Nth(at)).ToHaveAttributeAsync("data-provider", "sim-cloudfront");
            }
            await Expect(order.Nth(0)).ToHaveAttributeAsync("data-provider", "sim-fastly");
            await Expect(order.Nth(3)).ToHaveAttributeAsync("data-provider", "sim-cloudfront");
            await panel.GetByTestId("save-steering").ClickAsync();
            await Expect(Snackbar(page, "Steering saved.")).ToBeVisibleAsync();
            await Expect(panel.GetByTestId("steering-policy")).ToHaveTextAsync("policy: failover");

            // The next round moves traffic to the first healthy provider in the new order, Fastly.
            await Expect(SteeringProvider(page, "sim-fastly")).ToHaveAttributeAsync("data-active", "true", WithinSteeringRounds);
            await ExpectSwitchEventAsync(page, "sim-maxcdn", "sim-fastly");
            // Akamai must be healthy for the outage to move traffic there rather than further down.
            await Expect(SteeringProvider(page, "sim-akamai").GetByTestId("provider-health")).ToHaveAttributeAsync("data-health", "healthy", WithinSteeringRounds);
            await Expect(panel.GetByTestId("steering-banner")).ToHaveCountAsync(0);
            var fastlyTarget = (await panel.GetByTestId("record-target").TextContentAsync())!.Trim();
            Assert.Equal(fastlyTarget, await host.AuthoritativeCnameAsync(service));

            // ---- the outage of Fastly's edge: every request to it gets the vendor's 503 ----
            var outage = Stopwatch.StartNew();
            await host.InjectOutageAsync("fastly");
            await Expect(SteeringProvider(page, "sim-akamai")).ToHaveAttributeAsync("data-active", "true", WithinSteeringRounds);
            var seenAfter = outage.Elapsed;
            await ExpectSwitchEventAsync(page, "sim-fastly", "sim-akamai");
            await Expect(SteeringProvider(page, "sim-fastly")).ToHaveAttributeAsync("data-active", "false");
            await Expect(SteeringProvider(page, "sim-fastly").GetByTestId("provider-health")).ToHaveAttributeAsync("data-health", "unhealthy");
            await Expect(panel.GetByTestId("steering-banner")).ToHaveAttributeAsync("data-kind", "failover");
            // The record shown is the one the authoritative server now answers.
            await Expect(panel.GetByTestId("record-target")).Not.ToHaveTextAsync(fastlyTarget);
            Assert.Equal((await panel.GetByTestId("record-target").TextContentAsync())!.Trim(), await host.AuthoritativeCnameAsync(service));
            output.WriteLine($"outage of the Fastly edge to Akamai shown active on the page: {seenAfter.TotalSeconds:0.0} s (probes every 2 s, rounds every 2 s)");
            Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "The service page was reloaded; steering should update in place.");
            await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("steering-failover.png"), FullPage = true });
        }, host: host.Process);
    }

    private static ILocator SteeringProvider(IPage page, string name) =>
        page.GetByTestId("steering-panel").Locator($"[data-testid=steering-provider][data-provider='{name}']");

    /// <summary>A switch event from one provider to the other, carried out and confirmed by the authoritative PowerDNS.</summary>
    private static async Task ExpectSwitchEventAsync(IPage page, string from, string to)
    {
        var row = page.GetByTestId("steering-events").Locator("tr").Filter(new()
        {
            Has = page.GetByTestId("event-move").Filter(new() { HasTextRegex = new Regex("^\\s*" + Regex.Escape($"{from} → {to}") + "\\s*$") }),
        });
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = 10_000 });
        await Expect(row.GetByTestId("event-kind")).ToHaveTextAsync("switch");
        await Expect(row.GetByTestId("event-confirmation")).ToHaveTextAsync("confirmed");
    }

    /// <summary>
    /// A portal process with provisioning and steering jobs on, probes every 2 s (the shortest interval allowed), its local
    /// PowerDNS (a real pdns_server, SQLite backend, loopback ports, in a temp folder) as the DNS account of every service,
    /// and the CDN simulators in this process: their edges fetch the services' origin host from a loopback origin.
    /// </summary>
    private sealed class SteeringHost : IAsyncDisposable
    {
        private const string OriginHost = "origin.steering-e2e.test";
        private readonly TempDirectory folder = new("poppy-e2e-steering");
        private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        private LoopbackOrigin? origin;
        private SimulatorHost? simulators;
        private string token = "";

        public PortalProcess Process { get; } = new() { LogPath = RepositoryPaths.Artifact("portal-host-steering.log") };

        public async Task StartAsync()
        {
            if (!PowerDnsProcess.IsInstalled(PowerDnsProcessOptions.DefaultExecutable, PowerDnsProcessOptions.DefaultSchema))
            {
                // Without it the portal has no DNS account: no steering records, so no round ever decides.
                throw new InvalidOperationException($"PowerDNS is not installed. Install it: {PowerDnsProcess.InstallCommand} (test.sh does).");
            }
            origin = await LoopbackOrigin.StartAsync("steering-origin");
            var options = new SimulatorOptions { DeployDelay = TimeSpan.FromSeconds(1) };
            options.OriginOverrides[OriginHost] = origin.Url;
            simulators = await SimulatorHost.StartAsync(options, CancellationToken.None);

            var environment = Process.ExtraEnvironment;
            environment["Portal__Simulators__Enabled"] = "true";
            environment["Portal__Simulators__ExternalUrl"] = simulators.BaseUrl.ToString();
            environment["Portal__Jobs__Enabled"] = "true";
            environment["Portal__Provisioning__DeploymentPollInterval"] = "00:00:01";
            environment["Portal__Benchmarks__DefaultInterval"] = "00:00:02";
            environment["Portal__Dns__Local__Enabled"] = "true";
            environment["Portal__Dns__Local__Directory"] = folder.File("pdns");
            environment["Portal__Dns__DefaultAccount"] = "pdns-local";
            await Process.InitializeAsync();
            token = await Process.RunCommandAsync("token", "create", "--user", PortalProcess.AdminEmail,
                "--project", PortalProcess.FirstProject, "--name", "e2e steering");
        }

        /// <summary>
        /// A service on the simulators' flavor, created through the API and waited for until it is deployed at every
        /// provider and its steering record is live in PowerDNS.
        /// </summary>
        public async Task<Guid> CreateDeployedServiceAsync()
        {
            using var created = await SendAsync(HttpMethod.Post, "/v1.0/services", new JsonObject
            {
                ["name"] = "e2e steering",
                ["flavor_id"] = "cdn",
                ["domains"] = new JsonArray(new JsonObject { ["domain"] = "www.steering-e2e.test", ["protocol"] = "http" }),
                ["origins"] = new JsonArray(new JsonObject { ["origin"] = OriginHost, ["port"] = 80, ["ssl"] = false }),
            });
            Assert.True(created.StatusCode == HttpStatusCode.Accepted, $"create: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            var id = Guid.Parse(created.Headers.Location!.OriginalString.TrimEnd('/').Split('/')[^1]);

            await UntilAsync(async () => (await GetAsync($"/v1.0/services/{id}"))["status"]?.GetValue<string>() is var status
                && (status == "deployed" || (status == "failed" ? throw new InvalidOperationException("The service failed to deploy.") : false)),
                TimeSpan.FromSeconds(90), "the service deployed");
            await UntilAsync(async () => (await GetAsync($"/v1.0/services/{id}/steering")) is var steering
                && steering["records"]?.AsArray() is [{ } record] && record["nameserver"] is not null
                && steering["active_provider"] is not null,
                TimeSpan.FromSeconds(60), "a steering record in PowerDNS");
            return id;
        }

        public async Task PutSteeringAsync(Guid service, JsonObject change)
        {
            using var response = await SendAsync(HttpMethod.Put, $"/v1.0/services/{service}/steering", change);
            Assert.True(response.IsSuccessStatusCode, $"steering: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        /// <summary>An outage of one vendor's edge through the simulators' fault control (<c>POST /_faults/{vendor}</c>).</summary>
        public async Task InjectOutageAsync(string vendor)
        {
            using var response = await http.PostAsJsonAsync(new Uri(simulators!.BaseUrl, $"_faults/{vendor}"), new { outage = true });
            response.EnsureSuccessStatusCode();
        }

        /// <summary>What the local PowerDNS answers for the service's steering name (asked directly, no cache).</summary>
        public async Task<string?> AuthoritativeCnameAsync(Guid service)
        {
            var record = (await GetAsync($"/v1.0/services/{service}/steering"))["records"]!.AsArray().Single()!;
            var server = DnsConfirmation.ParseEndpoint(record["nameserver"]!.GetValue<string>())
                ?? throw new InvalidOperationException($"Not a nameserver: {record["nameserver"]}");
            return await DnsConfirmation.QueryCnameAsync(server, record["name"]!.GetValue<string>(), CancellationToken.None);
        }

        private async Task<JsonObject> GetAsync(string path)
        {
            using var response = await SendAsync(HttpMethod.Get, path, null);
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        }

        private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonObject? body)
        {
            using var request = new HttpRequestMessage(method, Process.BaseUrl + path) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Add("X-Auth-Token", token);
            request.Headers.Add("X-Project-ID", PortalProcess.FirstProject);
            return await http.SendAsync(request);
        }

        private async Task UntilAsync(Func<Task<bool>> done, TimeSpan limit, string what)
        {
            var watch = Stopwatch.StartNew();
            while (!await done())
            {
                if (watch.Elapsed > limit)
                {
                    throw new TimeoutException($"Not {what} after {limit.TotalSeconds:0} s. Host log: {Process.LogPath}\n{Process.OutputTail()}");
                }
                await Task.Delay(250);
            }
        }

        public async ValueTask DisposeAsync()
        {
            // The portal first: it stops its PowerDNS on the way down.
            await Process.DisposeAsync();
            if (simulators is not null)
            {
                await simulators.DisposeAsync();
            }
            if (origin is not null)
            {
                await origin.DisposeAsync();
            }
            http.Dispose();
            folder.Dispose();
        }
    }
}
