using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Poppy.Portal.E2E.Tests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Poppy.Portal.E2E.Tests;

public sealed partial class PortalBrowserTests
{
    /// <summary>The four CDN providers of the flavor the built-in simulators seed (DevelopmentSimulators).</summary>
    private static readonly string[] SimulatedProviders = ["sim-akamai", "sim-cloudfront", "sim-fastly", "sim-maxcdn"];

    private static readonly LocatorAssertionsToHaveTextOptions Provisioned = new() { Timeout = 90_000 };

    /// <summary>
    /// A service on the four simulated providers: its page follows provisioning to deployed without a reload (the circuit
    /// pushes every change), then a purge and a delete through the confirmation dialog, which ends with the service gone
    /// from every provider, again seen live. A host of its own, with the vendor simulators and provisioning jobs on
    /// (fast rollouts), so the shared host and its tests are unaffected.
    /// </summary>
    [Fact]
    public async Task Provisioning_ServicePageFollowsDeployPurgeAndDeleteLive()
    {
        await using var host = new ProvisioningHost();
        await host.StartAsync();
        await RunAsync(nameof(Provisioning_ServicePageFollowsDeployPurgeAndDeleteLive), async (_, page, _) =>
        {
            const string name = "E2E live shop";
            var id = await host.CreateServiceAsync(name);

            await page.GotoAsync("/account/login");
            await SubmitLoginAsync(page);
            await Expect(page).ToHaveURLAsync(host.Process.BaseUrl + "/");
            await page.GotoAsync($"/services/{id}");
            await WaitForCircuitAsync(page);
            await ExpectDeployedLiveAsync(page);
            await Expect(page.GetByTestId("domain-targets").Locator("[data-domain]")).ToHaveCountAsync(2);

            // ---- purge one path ----
            await page.GetByTestId("purge-path").Locator("input").FillAsync("/images/logo.png");
            await page.GetByTestId("purge").ClickAsync();
            await Expect(Snackbar(page, "The soft purge of /images/logo.png was requested from every provider.")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("purges-table")).ToContainTextAsync("/images/logo.png");

            await DeleteThroughDialogAsync(page, name);
            // Provisioning removes it from every provider; the page says so without a reload.
            await Expect(page.GetByTestId("service-archived")).ToBeVisibleAsync(new() { Timeout = 90_000 });
            Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "The service page was reloaded; it should update in place.");
            await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("service-deleted.png"), FullPage = true });

            // The jobs page lists the finished operations.
            await page.GotoAsync("/jobs");
            await WaitForCircuitAsync(page);
            await ClickUntilAsync(page.GetByTestId("job-tabs").Locator("[data-filter=all]"),
                async () => await page.GetByTestId("job-tabs").Locator("[data-filter=all]").GetAttributeAsync("aria-pressed") == "true");
            // Its create, purge and delete, each finished at the four providers.
            var groups = page.GetByTestId("jobs-table").Locator($"[data-group][data-service='{name}']");
            await Expect(groups).ToHaveCountAsync(3);
            await Expect(groups.Locator("[data-testid=group-state]")).ToHaveTextAsync(["succeeded", "succeeded", "succeeded"]);
        }, host: host.Process);
    }

    /// <summary>From the moment it is called the page is never reloaded; every provider and the service reach deployed.</summary>
    private static async Task ExpectDeployedLiveAsync(IPage page)
    {
        await page.EvaluateAsync("() => { window.e2eNotReloaded = true; }");
        var providers = page.GetByTestId("providers-table").Locator("[data-provider]");
        await Expect(providers).ToHaveCountAsync(SimulatedProviders.Length, new() { Timeout = 30_000 });
        foreach (var provider in SimulatedProviders)
        {
            var row = page.GetByTestId("providers-table").Locator($"[data-provider='{provider}']");
            await Expect(row.Locator("[data-status]")).ToHaveTextAsync("deployed", Provisioned);
            await Expect(row.GetByTestId("vendor-id")).Not.ToHaveTextAsync("–");
        }
        await Expect(page.GetByTestId("service-status").Locator("[data-status]")).ToHaveTextAsync("deployed", Provisioned);
        await Expect(page.GetByTestId("provider-error")).ToHaveCountAsync(0);
        Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "The service page was reloaded; it should update in place.");
        await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("service-provisioned.png"), FullPage = true });
    }

    private static async Task DeleteThroughDialogAsync(IPage page, string name)
    {
        await page.GetByTestId("service-actions").GetByTestId("delete").ClickAsync();
        var dialog = page.Locator(".mud-dialog");
        await Expect(dialog).ToContainTextAsync($"Delete {name}?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(Snackbar(page, $"Deletion of {name} was requested.")).ToBeVisibleAsync();
    }

    /// <summary>A second portal process with the simulators on a free port, fast deployments and provisioning jobs.</summary>
    private sealed class ProvisioningHost : IAsyncDisposable
    {
        private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

        public PortalProcess Process { get; } = new() { LogPath = RepositoryPaths.Artifact("portal-host-provisioning.log") };

        public async Task StartAsync()
        {
            var environment = Process.ExtraEnvironment;
            environment["Portal__Simulators__Enabled"] = "true";
            environment["Portal__Simulators__Port"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
            environment["Portal__Simulators__DeployDelay"] = "00:00:02";
            environment["Portal__Jobs__Enabled"] = "true";
            environment["Portal__Provisioning__DeploymentPollInterval"] = "00:00:01";
            await Process.InitializeAsync();
        }

        /// <summary>Creates a service of flavor "cdn" through the Poppy API (an API token from the host's command line).</summary>
        public async Task<Guid> CreateServiceAsync(string name)
        {
            var token = await Process.RunCommandAsync("token", "create", "--user", PortalProcess.AdminEmail,
                "--project", PortalProcess.FirstProject, "--name", "e2e browser test");
            using var request = new HttpRequestMessage(HttpMethod.Post, Process.BaseUrl + "/v1.0/services")
            {
                Content = JsonContent.Create(new JsonObject
                {
                    ["name"] = name,
                    ["flavor_id"] = "cdn",
                    ["domains"] = new JsonArray(new JsonObject { ["domain"] = "www.e2e-live.test" }, new JsonObject { ["domain"] = "static.e2e-live.test" }),
                    ["origins"] = new JsonArray(new JsonObject { ["origin"] = "origin.e2e-live.test", ["port"] = 80 }),
                    ["caching"] = new JsonArray(new JsonObject { ["name"] = "default", ["ttl"] = 3600 }),
                }),
            };
            request.Headers.Add("X-Auth-Token", token);
            request.Headers.Add("X-Project-ID", PortalProcess.FirstProject);
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"create: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            return Guid.Parse(response.Headers.Location!.OriginalString.TrimEnd('/').Split('/')[^1]);
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await Process.DisposeAsync();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
