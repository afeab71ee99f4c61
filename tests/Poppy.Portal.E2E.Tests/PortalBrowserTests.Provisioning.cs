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
    /// The issue's scenario on the four simulated providers: a service created through the form (two domains, two origins,
    /// a caching rule, a restriction) after one invalid attempt whose messages appear at the fields; its page follows
    /// provisioning to deployed without a reload (the circuit pushes every change); a purge; an edit; a delete through
    /// the confirmation dialog, which ends with the service gone from every provider, again seen live. A host of its
    /// own, with the vendor simulators and provisioning jobs on (fast rollouts), so the shared host is unaffected.
    /// </summary>
    [Fact]
    public async Task Services_CreateDeployPurgeEditDelete_Live()
    {
        await using var host = new ProvisioningHost();
        await host.StartAsync();
        await RunAsync(nameof(Services_CreateDeployPurgeEditDelete_Live), async (_, page, _) =>
        {
            const string name = "E2E live shop";
            await page.GotoAsync("/account/login");
            await SubmitLoginAsync(page);
            await Expect(page).ToHaveURLAsync(host.Process.BaseUrl + "/");
            await page.GotoAsync("/services");
            await WaitForCircuitAsync(page);
            await page.EvaluateAsync("() => { window.e2eNotReloaded = true; }");
            await page.GetByTestId("create-service").ClickAsync();
            await Expect(page).ToHaveURLAsync(host.Process.BaseUrl + "/services/new");
            await Expect(page.GetByTestId("service-form")).ToBeVisibleAsync();

            // ---- an invalid attempt: nothing filled in ----
            await page.GetByTestId("save-service").ClickAsync();
            await Expect(page.GetByTestId("error-summary")).ToBeVisibleAsync();
            await ExpectFieldErrorAsync(Field(page, "Input.Name"));
            await ExpectFieldErrorAsync(Field(page, "Input.Domains[0].Domain"));
            await ExpectFieldErrorAsync(Field(page, "Input.Origins[0].Origin"));
            await Expect(page).ToHaveURLAsync(host.Process.BaseUrl + "/services/new");

            // ---- the service ----
            await Field(page, "Input.Name").FillAsync(name);
            await SelectAsync(page, page.Locator("[data-field='Input.FlavorId'] .mud-select-input").First, "cdn");
            await Field(page, "Input.Domains[0].Domain").FillAsync("www.e2e-live.test");
            await page.Locator("[data-action='add-domain']").ClickAsync();
            await Field(page, "Input.Domains[1].Domain").FillAsync("static.e2e-live.test");
            await Field(page, "Input.Origins[0].Origin").FillAsync("origin.e2e-live.test");
            await page.Locator("[data-action='add-origin']").ClickAsync();
            await Field(page, "Input.Origins[1].Origin").FillAsync("images.e2e-live.test");
            await page.Locator("[data-action='add-origin-rule:1']").ClickAsync();
            await Field(page, "Input.Origins[1].Rules[0].Name").FillAsync("images");
            await Field(page, "Input.Origins[1].Rules[0].RequestUrl").FillAsync("/images/*");
            await page.Locator("[data-action='add-caching']").ClickAsync();
            await Field(page, "Input.Caching[0].Name").FillAsync("everything");
            await Field(page, "Input.Caching[0].Ttl").FillAsync("3600");
            await page.Locator("[data-action='add-restriction']").ClickAsync();
            await Field(page, "Input.Restrictions[0].Name").FillAsync("only-usa");
            await Field(page, "Input.Restrictions[0].Rules[0].Value").FillAsync("USA");
            // What was typed survives the row buttons.
            await Expect(Field(page, "Input.Domains[0].Domain")).ToHaveValueAsync("www.e2e-live.test");
            await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("service-form.png"), FullPage = true });
            await page.GetByTestId("save-service").ClickAsync();

            await Expect(page).ToHaveURLAsync(new Regex(@"/services/[0-9a-f-]{36}$"), new() { Timeout = 30_000 });
            var detailUrl = page.Url;
            await Expect(Snackbar(page, $"Service {name} was created")).ToBeVisibleAsync();
            Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "Saving the form reloaded the page.");
            await Expect(page.GetByTestId("domain-targets").Locator("[data-domain]")).ToHaveCountAsync(2);
            await Expect(page.GetByTestId("origins-table").Locator("[data-origin]")).ToHaveCountAsync(2);
            await Expect(page.GetByTestId("caching-table").Locator("[data-caching=everything] [data-ttl]")).ToHaveCountAsync(1);
            await Expect(page.GetByTestId("restrictions-table").Locator("[data-restriction=only-usa]")).ToHaveCountAsync(1);
            await ExpectDeployedLiveAsync(page);

            // ---- purge one path ----
            await page.GetByTestId("purge-path").Locator("input").FillAsync("/images/logo.png");
            await page.GetByTestId("purge").ClickAsync();
            await Expect(Snackbar(page, "The soft purge of /images/logo.png was requested from every provider.")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("purges-table")).ToContainTextAsync("/images/logo.png");

            // ---- edit: a longer TTL, one domain fewer ----
            await page.GetByTestId("service-actions").GetByTestId("edit").ClickAsync();
            await Expect(page).ToHaveURLAsync(detailUrl + "/edit");
            await Expect(Field(page, "Input.Domains[1].Domain")).ToHaveValueAsync("static.e2e-live.test");
            await Field(page, "Input.Caching[0].Ttl").FillAsync("7200");
            await page.Locator("[data-action='remove-domain:1']").ClickAsync();
            await Expect(page.Locator("#service-form [data-row^='domains[']")).ToHaveCountAsync(1);
            await Expect(Field(page, "Input.Caching[0].Ttl")).ToHaveValueAsync("7200");
            await page.GetByTestId("save-service").ClickAsync();
            await Expect(page).ToHaveURLAsync(detailUrl, new() { Timeout = 30_000 });
            await Expect(page.GetByTestId("caching-table").Locator("[data-caching=everything] [data-ttl]")).ToHaveAttributeAsync("data-ttl", "7200");
            await Expect(page.GetByTestId("domain-targets").Locator("[data-domain]")).ToHaveCountAsync(1);
            await ExpectDeployedLiveAsync(page);

            await DeleteThroughDialogAsync(page, name);
            // Provisioning removes it from every provider; the page says so without a reload.
            await Expect(page.GetByTestId("service-archived")).ToBeVisibleAsync(new() { Timeout = 90_000 });
            Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "The service page was reloaded; it should update in place.");
            await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("service-deleted.png"), FullPage = true });

            // The jobs page lists the finished changes: create, purge, update, delete.
            await page.GotoAsync("/jobs");
            await WaitForCircuitAsync(page);
            await ClickUntilAsync(page.GetByTestId("job-tabs").Locator("[data-filter=all]"),
                async () => await page.GetByTestId("job-tabs").Locator("[data-filter=all]").GetAttributeAsync("aria-pressed") == "true");
            var groups = page.GetByTestId("jobs-table").Locator($"[data-group][data-service='{name}']");
            await Expect(groups).ToHaveCountAsync(4);
            await Expect(groups.Locator("[data-testid=group-state]")).ToHaveTextAsync(["succeeded", "succeeded", "succeeded", "succeeded"]);
        }, host: host.Process);
    }

    /// <summary>An input of the service form by its field name (e.g. <c>Input.Domains[1].Domain</c>).</summary>
    private static ILocator Field(IPage page, string name) => page.Locator($"#service-form [data-field='{name}'] input").First;

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

    /// <summary>Creates a service through the Poppy API (an API token from the host's command line), for tests about other things.</summary>
    private static async Task<Guid> CreateServiceThroughApiAsync(PortalProcess host, string name, string flavor)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var token = await host.RunCommandAsync("token", "create", "--user", PortalProcess.AdminEmail,
            "--project", PortalProcess.FirstProject, "--name", $"e2e {name}");
        using var request = new HttpRequestMessage(HttpMethod.Post, host.BaseUrl + "/v1.0/services")
        {
            Content = JsonContent.Create(new JsonObject
            {
                ["name"] = name,
                ["flavor_id"] = flavor,
                ["domains"] = new JsonArray(new JsonObject { ["domain"] = $"www.{name}.test" }),
                ["origins"] = new JsonArray(new JsonObject { ["origin"] = $"origin.{name}.test", ["port"] = 80 }),
            }),
        };
        request.Headers.Add("X-Auth-Token", token);
        request.Headers.Add("X-Project-ID", PortalProcess.FirstProject);
        using var response = await http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"create: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return Guid.Parse(response.Headers.Location!.OriginalString.TrimEnd('/').Split('/')[^1]);
    }
}
