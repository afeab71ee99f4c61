using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Poppy.Portal.E2E.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Poppy.Portal.E2E.Tests;

/// <summary>
/// The portal as a user meets it: the published host in Production (<see cref="PortalProcess"/>) in headless Chromium.
/// Every test also demands a clean browser: no console error, no page error, no failed request, no HTTP error.
/// Screenshots and logs go to <c>artifacts/e2e/</c>.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed partial class PortalBrowserTests(PortalProcess portal, ChromiumBrowser chromium, ITestOutputHelper output)
{
    private const string SecondProject = "beta";
    private static readonly ViewportSize Desktop = new() { Width = 1366, Height = 900 };
    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    [Fact]
    public Task SignIn_SwitchProject_SeeDashboardChart() => RunAsync(nameof(SignIn_SwitchProject_SeeDashboardChart), async (context, page, diagnostics) =>
    {
        // Signed out, the dashboard sends the browser to the login form and back after signing in.
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex(@"/account/login(\?|$)"));
        await SubmitLoginAsync(page);
        await Expect(page).ToHaveURLAsync(portal.BaseUrl + "/");
        await Expect(page.Locator("[data-testid=current-project]")).ToHaveTextAsync(PortalProcess.FirstProject);

        // An administrator creates a second project.
        await page.GotoAsync("/admin/projects");
        await page.Locator("#project-name").FillAsync(SecondProject);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Project {SecondProject} was created");
        await Expect(page.GetByTestId("projects-table").GetByRole(AriaRole.Cell, new() { Name = SecondProject, Exact = true })).ToBeVisibleAsync();

        // Back on the dashboard, switch to it with the top-bar project switcher (Bootstrap dropdown, then a form post).
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(portal.BaseUrl + "/");
        await page.Locator("#project-switcher .dropdown-toggle").ClickAsync();
        var switchToBeta = page.Locator($"#project-switcher button[data-project='{SecondProject}']");
        await Expect(switchToBeta).ToBeVisibleAsync();
        await switchToBeta.ClickAsync();
        await Expect(page).ToHaveURLAsync(portal.BaseUrl + "/");
        await Expect(page.Locator("[data-testid=current-project]")).ToHaveTextAsync(SecondProject);
        await Expect(page.Locator(".page-pretitle")).ToHaveTextAsync($"Project {SecondProject}");

        // The request-timings chart is drawn by ApexCharts through the ApexChart component (dist/apexchart.js).
        await WaitForChartAsync(page, diagnostics);
        // Desktop: the sidebar is open and its toggler hidden (i.e. Tabler's CSS is applied).
        await Expect(page.Locator(".navbar-toggler")).ToBeHiddenAsync();
        await Expect(page.Locator("#sidebar-menu")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("dashboard.png"), FullPage = true });

        // The same dashboard on a phone: the sidebar collapses behind the toggler, and nothing scrolls sideways.
        await using var phoneContext = await NewContextAsync(diagnostics, new BrowserNewContextOptions
        {
            ViewportSize = Phone,
            IsMobile = true,
            HasTouch = true,
            StorageState = await context.StorageStateAsync(),
        });
        var phone = await phoneContext.NewPageAsync();
        diagnostics.Watch(phone);
        await phone.GotoAsync("/");
        await Expect(phone.Locator("[data-testid=current-project]")).ToHaveTextAsync(SecondProject);
        await WaitForChartAsync(phone, diagnostics);
        await Expect(phone.Locator(".navbar-toggler")).ToBeVisibleAsync();
        await Expect(phone.Locator("#sidebar-menu")).ToBeHiddenAsync();
        var overflow = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0, $"On a {Phone.Width} px wide phone the page is {overflow} px wider than the screen (horizontal scrolling).");
        await phone.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("dashboard-phone.png"), FullPage = true });

        // The toggler opens the menu (Bootstrap's collapse from the bundle).
        await phone.Locator(".navbar-toggler").TapAsync();
        await Expect(phone.Locator("#sidebar-menu")).ToBeVisibleAsync();
        await Expect(phone.Locator("#sidebar-menu").GetByRole(AriaRole.Link, new() { Name = "Dashboard" })).ToBeVisibleAsync();
    });

    [Fact]
    public Task Logout_ReturnsToLogin() => RunAsync(nameof(Logout_ReturnsToLogin), async (_, page, _) =>
    {
        await page.GotoAsync("/account/login");
        await SubmitLoginAsync(page);
        await Expect(page).ToHaveURLAsync(portal.BaseUrl + "/");

        await page.Locator("#user-menu .dropdown-toggle").ClickAsync();
        var signOut = page.Locator("#user-menu").GetByRole(AriaRole.Button, new() { Name = "Sign out" });
        await Expect(signOut).ToBeVisibleAsync();
        await signOut.ClickAsync();
        await Expect(page).ToHaveURLAsync(portal.BaseUrl + "/account/login");
        await Expect(page.Locator("#email")).ToBeVisibleAsync();

        // The session is gone: the dashboard sends the browser back to the login form.
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(portal.BaseUrl) + @"/account/login(\?|$)"));
        await Expect(page.Locator("#email")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=current-project]")).ToHaveCountAsync(0);
    });

    private static async Task SubmitLoginAsync(IPage page)
    {
        await page.Locator("#email").FillAsync(PortalProcess.AdminEmail);
        await page.Locator("#password").FillAsync(PortalProcess.AdminPassword);
        await page.Locator("form button[type=submit]", new() { HasText = "Sign in" }).ClickAsync();
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
        diagnostics.Watch(context);
        return context;
    }

    /// <summary>
    /// Runs a test in a fresh browser context; afterwards writes the browser log, on failure a screenshot, and asserts
    /// the browser reported no problems.
    /// </summary>
    /// <param name="host">Another portal process than the collection's (a test that needs other settings).</param>
    private async Task RunAsync(string testName, Func<IBrowserContext, IPage, BrowserDiagnostics, Task> test, PortalProcess? host = null)
    {
        host ??= portal;
        var failureScreenshot = RepositoryPaths.Artifact($"{testName}-failure.png");
        File.Delete(failureScreenshot); // left by an earlier failed run
        var diagnostics = new BrowserDiagnostics(host.BaseUrl);
        await using var context = await NewContextAsync(diagnostics, new BrowserNewContextOptions { ViewportSize = Desktop }, host);
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
