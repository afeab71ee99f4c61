using System.Net;
using System.Net.Sockets;
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

    /// <summary>
    /// The issue's browser scenario: create a service through the portal form and watch its page reach deployed on all
    /// four providers without reloading: the provisioning card and the status badge are updated by Server-Sent Events.
    /// A host of its own, with the vendor simulators and provisioning jobs on (fast rollouts), so the shared host and
    /// its tests (which create their own flavor "cdn") are unaffected.
    /// </summary>
    [Fact]
    public async Task Provisioning_ServicePageReachesDeployedLive()
    {
        await using var host = new ProvisioningHost();
        await host.StartAsync();
        await RunAsync(nameof(Provisioning_ServicePageReachesDeployedLive), async (_, page, _) =>
        {
            await page.GotoAsync("/account/login");
            await SubmitLoginAsync(page);
            await Expect(page).ToHaveURLAsync(host.Process.BaseUrl + "/");

            await page.GotoAsync("/services/new");
            await Field(page, "Input.FlavorId").SelectOptionAsync("cdn");
            await Field(page, "Input.Name").FillAsync("E2E live shop");
            await Field(page, "Input.Domains[0].Domain").FillAsync("www.e2e-live.test");
            await Field(page, "Input.Origins[0].Origin").FillAsync("origin.e2e-live.test");
            await page.GetByTestId("save-service").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex(@"/services/[0-9a-f-]{36}\?created=1$"));

            // From here on the page is never reloaded: this marker would be gone if it were.
            await page.EvaluateAsync("() => { window.e2eNotReloaded = true; }");
            var rows = page.Locator("#provisioning-live [data-testid=providers-table] tr[data-provider]");
            await Expect(rows).ToHaveCountAsync(SimulatedProviders.Length);
            var deployed = new LocatorAssertionsToHaveTextOptions { Timeout = 90_000 };
            foreach (var provider in SimulatedProviders)
            {
                var row = page.Locator($"#provisioning-live tr[data-provider='{provider}']");
                await Expect(row.Locator("[data-status]")).ToHaveTextAsync("deployed", deployed);
                await Expect(row.GetByTestId("operation-step")).ToHaveTextAsync("Done");
                await Expect(row.GetByTestId("vendor-id")).Not.ToHaveTextAsync("–");
            }
            await Expect(Status(page)).ToHaveTextAsync("deployed", deployed);
            await Expect(page.GetByTestId("status-changed")).ToContainTextAsync("The service is now deployed");
            Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "The service page was reloaded; it should update in place.");
            await Expect(page.Locator("#provisioning-live tr[data-provider-detail] [data-testid=provider-error]")).ToHaveCountAsync(0);
            await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("service-provisioned.png"), FullPage = true });

            // The jobs page lists the four finished operations.
            await page.Locator("#sidebar-menu").GetByRole(AriaRole.Link, new() { Name = "Jobs", Exact = true }).ClickAsync();
            await page.Locator("[data-testid=job-tabs] a[data-filter=all]").ClickAsync();
            await Expect(page.Locator("[data-testid=jobs-table] tr[data-state=succeeded]")).ToHaveCountAsync(SimulatedProviders.Length);
        }, host.Process);
    }

    /// <summary>A second portal process with the simulators on a free port, fast deployments and provisioning jobs.</summary>
    private sealed class ProvisioningHost : IAsyncDisposable
    {
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

        public async ValueTask DisposeAsync() => await Process.DisposeAsync();

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
