using Microsoft.Playwright;
using Poppy.Portal.E2E.Tests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Poppy.Portal.E2E.Tests;

public sealed partial class PortalBrowserTests
{
    /// <summary>
    /// A Viewer of the project (seeded by <see cref="PortalSeed"/>) sees its services and the providers but is offered
    /// no action that changes anything: no create, no row selection for bulk actions, no edit/delete/purge/set status,
    /// no new provider account. (The services refuse such calls too; that is covered by the web tests' matrix.)
    /// </summary>
    [Fact]
    public Task Viewer_SeesNoWriteAction() => RunAsync(nameof(Viewer_SeesNoWriteAction), async (_, page, _) =>
    {
        const string name = "viewer-sees";
        var id = await CreateServiceThroughApiAsync(portal, name, PortalSeed.Flavor);
        await SignInAsync(page, PortalSeed.ViewerEmail, PortalSeed.ViewerPassword);
        await Expect(CurrentProject(page)).ToHaveTextAsync(PortalProcess.FirstProject);

        await page.GotoAsync("/services");
        await WaitForCircuitAsync(page);
        var grid = page.GetByTestId("services-grid");
        await Expect(grid.Locator($"[data-service='{name}']")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("create-service")).ToHaveCountAsync(0);
        await Expect(grid.Locator("input[type=checkbox]")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("bulk-delete")).ToHaveCountAsync(0);
        // The status filter's options exist only while it is open (LazySelect): a real popover in the browser.
        await SelectAsync(page, page.GetByTestId("filter-status"), "failed");
        await Expect(page).ToHaveURLAsync($"{portal.BaseUrl}/services?status=failed");
        await Expect(page.GetByTestId("no-match")).ToBeVisibleAsync();
        await page.GetByTestId("reset-filters").ClickAsync();
        await Expect(page).ToHaveURLAsync($"{portal.BaseUrl}/services");

        await grid.Locator($"[data-service='{name}']").ClickAsync();
        await Expect(page).ToHaveURLAsync($"{portal.BaseUrl}/services/{id}");
        await Expect(page.GetByTestId("service-status")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("service-actions")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("purge-form")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("set-status-form")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("retry")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("abandon")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("service-viewer.png"), FullPage = true });

        await page.GotoAsync("/providers");
        await WaitForCircuitAsync(page);
        await Expect(page.Locator("body")).ToContainTextAsync(PortalSeed.ProviderAccount);
        await Expect(page.Locator("a[href='/providers/new']")).ToHaveCountAsync(0);
        await Expect(page.Locator("a[href^='/providers/']")).ToHaveCountAsync(0);
        // The drawer offers no administration either.
        await Expect(page.GetByTestId("nav").GetByRole(AriaRole.Link, new() { Name = "Flavors" })).ToHaveCountAsync(0);
    });
}
