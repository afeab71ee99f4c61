using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Poppy.Portal.E2E.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Poppy.Portal.E2E.Tests;

/// <summary>
/// The portal as a user meets it: the published host in Production (<see cref="PortalProcess"/>) in headless Chromium,
/// pages on interactive Blazor Server + MudBlazor. Every test also demands a clean browser: no console error, no page
/// error, no failed request, no HTTP error. Screenshots and logs go to <c>artifacts/e2e/</c>.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed partial class PortalBrowserTests(PortalProcess portal, ChromiumBrowser chromium, ITestOutputHelper output)
{
    private static readonly ViewportSize Desktop = new() { Width = 1366, Height = 900 };
    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    /// <summary>
    /// Runs before any page script: keeps every WebSocket the page opens (so a test can find the circuit's and close it)
    /// and records when the reconnect dialog opens and closes (it may be up for less time than a poll takes to see it).
    /// </summary>
    private const string InitScript = """
        (() => {
          const Native = window.WebSocket;
          window.__e2eSockets = [];
          window.WebSocket = class extends Native {
            constructor(...args) { super(...args); window.__e2eSockets.push(this); }
          };
          window.__e2eReconnect = [];
          document.addEventListener('DOMContentLoaded', () => {
            const modal = document.getElementById('components-reconnect-modal');
            if (!modal) return;
            new MutationObserver(() => {
              const state = modal.open ? 'open' : 'closed';
              if (window.__e2eReconnect[window.__e2eReconnect.length - 1] !== state) window.__e2eReconnect.push(state);
            }).observe(modal, { attributes: true });
          });
        })();
        """;

    /// <summary>
    /// Sign in, switch project with the app bar's MudMenu (a call in the circuit, no page load), see the dashboard's
    /// chart drawn for the new project, sign out from the user menu (a form post): back at the login, session gone.
    /// </summary>
    [Fact]
    public Task SignIn_SwitchProject_DashboardChart_SignOut() => RunAsync(nameof(SignIn_SwitchProject_DashboardChart_SignOut), async (_, page, diagnostics) =>
    {
        // Signed out, the dashboard sends the browser to the login form and back after signing in.
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex(@"/account/login(\?|$)"));
        await SubmitLoginAsync(page);
        await Expect(page).ToHaveURLAsync(portal.BaseUrl + "/");
        await WaitForCircuitAsync(page);
        await Expect(CurrentProject(page)).ToHaveTextAsync(PortalProcess.FirstProject);
        await WaitForChartAsync(page, diagnostics);

        await page.EvaluateAsync("() => { window.e2eNotReloaded = true; }");
        await SwitchProjectAsync(page, PortalSeed.SecondProject);
        await Expect(page.GetByTestId("services-card")).ToContainTextAsync($"Services in {PortalSeed.SecondProject}");
        // The page is re-created for the new project: its chart is drawn again.
        await WaitForChartAsync(page, diagnostics);
        Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "Switching the project reloaded the page; it is a call in the circuit.");
        // Desktop: the drawer is open beside the page.
        await Expect(page.GetByTestId("nav").GetByRole(AriaRole.Link, new() { Name = "Services", Exact = true })).ToBeInViewportAsync();
        await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("dashboard.png"), FullPage = true });
        // The choice is kept with the account: leave the administrator in the first project for the other tests.
        await SwitchProjectAsync(page, PortalProcess.FirstProject);

        await ClickUntilVisibleAsync(page.GetByTestId("user-menu-button"), page.GetByTestId("sign-out"));
        await Expect(page.GetByTestId("user-name")).ToBeVisibleAsync();
        await page.GetByTestId("sign-out").ClickAsync();
        await Expect(page).ToHaveURLAsync(portal.BaseUrl + "/account/login");
        await Expect(page.Locator("#email")).ToBeVisibleAsync();

        // The session is gone: the dashboard sends the browser back to the login form.
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(portal.BaseUrl) + @"/account/login(\?|$)"));
        await Expect(page.Locator("#email")).ToBeVisibleAsync();
        await Expect(CurrentProject(page)).ToHaveCountAsync(0);
    });

    /// <summary>
    /// A phone (390 x 844): the drawer starts closed with its toggle shown, the toggle opens it, and no page scrolls
    /// sideways (tables stack their rows).
    /// </summary>
    [Fact]
    public Task PhoneLayout_DrawerClosedAndNoSidewaysScrolling() => RunAsync(nameof(PhoneLayout_DrawerClosedAndNoSidewaysScrolling), async (_, page, diagnostics) =>
    {
        await SignInAsync(page);
        foreach (var (path, name) in new[] { ("/", "dashboard"), ("/services", "services"), ("/audit", "audit") })
        {
            await page.GotoAsync(path);
            await WaitForCircuitAsync(page);
            if (path == "/")
            {
                await WaitForChartAsync(page, diagnostics);
            }
            await Expect(page.GetByTestId("drawer-toggle")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("drawer")).ToHaveClassAsync(new Regex(@"\bmud-drawer--closed\b"));
            await Expect(page.GetByTestId("nav").GetByRole(AriaRole.Link, new() { Name = "Dashboard" })).Not.ToBeInViewportAsync();
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"On a {Phone.Width} px wide phone {path} is {overflow} px wider than the screen (sideways scrolling).");
            await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact($"{name}-phone.png"), FullPage = true });
        }

        await ClickUntilAsync(page.GetByTestId("drawer-toggle"), async () =>
            await page.GetByTestId("drawer").GetAttributeAsync("class") is { } classes && classes.Contains("mud-drawer--open", StringComparison.Ordinal));
        var services = page.GetByTestId("nav").GetByRole(AriaRole.Link, new() { Name = "Services", Exact = true });
        await Expect(services).ToBeInViewportAsync();
        await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("drawer-phone.png") });
        await services.ClickAsync();
        await Expect(page).ToHaveURLAsync(portal.BaseUrl + "/services");
    }, Phone);

    /// <summary>
    /// The circuit's WebSocket is closed from the page (as a dropped network does): Blazor shows its reconnect dialog,
    /// rejoins the same circuit, hides the dialog, and the page still answers clicks (a project switch).
    /// </summary>
    [Fact]
    public Task CircuitDrop_ReconnectsAndStaysInteractive() => RunAsync(nameof(CircuitDrop_ReconnectsAndStaysInteractive), async (_, page, diagnostics) =>
    {
        await SignInAsync(page);
        await Expect(CurrentProject(page)).ToHaveTextAsync(PortalProcess.FirstProject);
        // A settled page: dropped while a JS interop call from the server is in flight (the chart module loading),
        // blazor.web.js cannot send its answer and reports an unhandled "Cannot send data if the connection is not in
        // the 'Connected' State." That is the framework's own race, not what this test is about.
        await WaitForChartAsync(page, diagnostics);
        await page.EvaluateAsync("() => { window.e2eNotReloaded = true; }");

        var closed = await page.EvaluateAsync<int>("""
            () => {
              const circuit = window.__e2eSockets.filter(s => s.url.includes('/_blazor') && s.readyState === WebSocket.OPEN);
              circuit.forEach(s => s.close(1000, 'e2e: dropped on purpose'));
              return circuit.length;
            }
            """);
        Assert.Equal(1, closed);

        // The dialog was shown and hidden again once the circuit was rejoined.
        await page.WaitForFunctionAsync("() => window.__e2eReconnect.includes('open') && window.__e2eReconnect[window.__e2eReconnect.length - 1] === 'closed'",
            null, new() { Timeout = 30_000 });
        await Expect(page.Locator("#components-reconnect-modal")).ToBeHiddenAsync();
        await WaitForCircuitAsync(page);
        Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "The page was reloaded; the circuit should have been rejoined.");

        // Still interactive: the switcher calls the server and the page follows.
        await SwitchProjectAsync(page, PortalSeed.SecondProject);
        await Expect(page.GetByTestId("services-card")).ToContainTextAsync($"Services in {PortalSeed.SecondProject}");
        await SwitchProjectAsync(page, PortalProcess.FirstProject);
        Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "The page was reloaded after the reconnect.");
    });

    /// <summary>
    /// A MudBlazor input (MudTextField puts its attributes, e.g. data-testid, on the input) marked invalid, with its
    /// message shown under it.
    /// </summary>
    private static async Task ExpectFieldErrorAsync(ILocator input)
    {
        await Expect(input).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(input.Locator("xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' mud-input-control ')][1]").Locator(".mud-input-helper-text.mud-input-error")).Not.ToBeEmptyAsync();
    }

    private static ILocator Snackbar(IPage page, string text) => page.Locator(".mud-snackbar", new() { HasText = text }).First;

    private static ILocator CurrentProject(IPage page) => page.GetByTestId("current-project");

    private async Task SignInAsync(IPage page, string email = PortalProcess.AdminEmail, string password = PortalProcess.AdminPassword)
    {
        await page.GotoAsync("/account/login");
        await SubmitLoginAsync(page, email, password);
        await Expect(page).ToHaveURLAsync(portal.BaseUrl + "/");
        await WaitForCircuitAsync(page);
    }

    private static async Task SubmitLoginAsync(IPage page, string email = PortalProcess.AdminEmail, string password = PortalProcess.AdminPassword)
    {
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("form button[type=submit]", new() { HasText = "Sign in" }).ClickAsync();
    }

    /// <summary>Waits until the page's Blazor circuit is connected (its WebSocket open), so clicks reach the server.</summary>
    private static async Task WaitForCircuitAsync(IPage page) =>
        await page.WaitForFunctionAsync("() => (window.__e2eSockets || []).some(s => s.url.includes('/_blazor') && s.readyState === WebSocket.OPEN)",
            null, new() { Timeout = 15_000 });

    /// <summary>
    /// Clicks until <paramref name="done"/> holds: a prerendered page shows its buttons before the circuit has attached
    /// their handlers, and a click in that moment does nothing.
    /// </summary>
    private static async Task ClickUntilAsync(ILocator target, Func<Task<bool>> done)
    {
        for (var attempt = 1; ; attempt++)
        {
            await target.ClickAsync();
            for (var wait = 0; wait < 10; wait++)
            {
                if (await done())
                {
                    return;
                }
                await Task.Delay(200);
            }
            if (attempt == 5)
            {
                throw new Xunit.Sdk.XunitException($"Clicking {target} five times did not have its effect.");
            }
        }
    }

    private static Task ClickUntilVisibleAsync(ILocator target, ILocator appears) => ClickUntilAsync(target, () => appears.IsVisibleAsync());

    private static async Task SwitchProjectAsync(IPage page, string project)
    {
        var item = page.Locator($".mud-popover-open [data-project='{project}']");
        await ClickUntilVisibleAsync(page.GetByTestId("project-switcher").GetByRole(AriaRole.Button).First, item);
        await item.ClickAsync();
        await Expect(CurrentProject(page)).ToHaveTextAsync(project);
    }

    /// <summary>Picks an option of a MudSelect (its list opens in a popover).</summary>
    private static async Task SelectAsync(IPage page, ILocator select, string option)
    {
        var item = page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex("^\\s*" + Regex.Escape(option) + "\\s*$") });
        await ClickUntilVisibleAsync(select, item);
        await item.First.ClickAsync();
        await Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    private static async Task WaitForChartAsync(IPage page, BrowserDiagnostics diagnostics)
    {
        var chart = page.Locator("[data-testid=request-timings-chart]");
        await chart.Locator("svg").First.WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 15_000 });
        await Expect(chart).ToHaveAttributeAsync("data-chart-state", "ready", new() { Timeout = 15_000 });
        await Expect(chart.Locator("svg.apexcharts-svg")).ToBeVisibleAsync();
        // Both series the dashboard sends through the ApexChart component made it into the chart (its legend names them).
        await Expect(chart.Locator(".apexcharts-legend-text")).ToHaveTextAsync(["p50", "p95"]);
        try
        {
            // Let ApexCharts finish its draw-in animation so the screenshot shows the finished chart.
            await page.WaitForFunctionAsync(
                "() => document.querySelector('[data-testid=request-timings-chart]')?.getAttribute('data-chart-animation') === 'ended'",
                null, new() { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
            diagnostics.Note("chart animation did not report its end within 5 s; screenshot taken anyway");
        }
    }

    private async Task<IBrowserContext> NewContextAsync(BrowserDiagnostics diagnostics, BrowserNewContextOptions options, PortalProcess? host = null)
    {
        options.BaseURL = (host ?? portal).BaseUrl;
        options.Locale = "en-US";
        options.TimezoneId = "UTC";
        var context = await chromium.Browser.NewContextAsync(options);
        context.SetDefaultTimeout(15_000);
        context.SetDefaultNavigationTimeout(30_000);
        await context.AddInitScriptAsync(InitScript);
        diagnostics.Watch(context);
        return context;
    }

    /// <summary>
    /// Runs a test in a fresh browser context; afterwards writes the browser log, on failure a screenshot, and asserts
    /// the browser reported no problems.
    /// </summary>
    /// <param name="viewport">Desktop unless given; <see cref="Phone"/> also makes it a touch device.</param>
    /// <param name="host">Another portal process than the collection's (a test that needs other settings).</param>
    private async Task RunAsync(string testName, Func<IBrowserContext, IPage, BrowserDiagnostics, Task> test, ViewportSize? viewport = null, PortalProcess? host = null)
    {
        host ??= portal;
        var failureScreenshot = RepositoryPaths.Artifact($"{testName}-failure.png");
        File.Delete(failureScreenshot); // left by an earlier failed run
        var diagnostics = new BrowserDiagnostics(host.BaseUrl);
        var phone = viewport == Phone;
        await using var context = await NewContextAsync(diagnostics, new BrowserNewContextOptions
        {
            ViewportSize = viewport ?? Desktop,
            IsMobile = phone,
            HasTouch = phone,
        }, host);
        var page = await context.NewPageAsync();
        diagnostics.Watch(page);
        var started = TimeProvider.System.GetUtcNow();
        try
        {
            await test(context, page, diagnostics);
            diagnostics.AssertNoProblems();
        }
        catch
        {
            try
            {
                await page.ScreenshotAsync(new() { Path = failureScreenshot, FullPage = true });
                output.WriteLine($"Screenshot of the failure: {failureScreenshot}");
            }
            catch (PlaywrightException e)
            {
                output.WriteLine($"No failure screenshot: {e.Message}");
            }
            output.WriteLine($"Portal host log: {host.LogPath}\n--- host output (last lines) ---\n{host.OutputTail()}");
            throw;
        }
        finally
        {
            var browserLog = RepositoryPaths.Artifact($"{testName}-browser.log");
            diagnostics.WriteTo(browserLog);
            output.WriteLine($"{testName}: {(TimeProvider.System.GetUtcNow() - started).TotalSeconds:0.0} s in the browser; browser log: {browserLog}");
            foreach (var problem in diagnostics.Problems)
            {
                output.WriteLine("browser problem: " + problem);
            }
        }
    }
}
