using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Poppy.Portal.E2E.Tests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Poppy.Portal.E2E.Tests;

public sealed partial class PortalBrowserTests
{
    private const string ServiceName = "E2E shop";

    /// <summary>
    /// The issue's scenario: create a service with two domains, two origins and a caching rule through the form (rows
    /// added with the htmx row buttons), find it in the list, mark it deployed (admin action), edit it (change a TTL,
    /// remove a domain), delete it after confirming, and see it listed as delete_in_progress.
    /// </summary>
    [Fact]
    public Task Services_CreateFindEditDelete() => RunAsync(nameof(Services_CreateFindEditDelete), async (_, page, _) =>
    {
        await page.GotoAsync("/account/login");
        await SubmitLoginAsync(page);
        await page.Locator("#sidebar-menu").GetByRole(AriaRole.Link, new() { Name = "Services", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/services$"));
        await page.GetByTestId("create-service").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/services/new$"));

        // ---- create ----
        await Expect(Field(page, "Input.FlavorId")).ToHaveValueAsync(PortalSeed.Flavor);
        await Field(page, "Input.Name").FillAsync(ServiceName);
        await Field(page, "Input.Domains[0].Domain").FillAsync("www.e2e-shop.test");
        // Row buttons swap only the form (htmx): the page is not reloaded, so this marker survives.
        await page.EvaluateAsync("() => { window.e2eNotReloaded = true; }");
        await page.Locator("button[data-action='add-domain']").ClickAsync();
        await Expect(Field(page, "Input.Domains[1].Domain")).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "The add-domain button reloaded the whole page instead of swapping the form.");
        await Expect(Field(page, "Input.Domains[0].Domain")).ToHaveValueAsync("www.e2e-shop.test");
        await Field(page, "Input.Domains[1].Domain").FillAsync("static.e2e-shop.test");
        // The certificate select appears for https only (CSS :has, no script).
        await Expect(Field(page, "Input.Domains[1].Certificate")).ToBeHiddenAsync();
        await Field(page, "Input.Domains[1].Protocol").SelectOptionAsync("https");
        await Expect(Field(page, "Input.Domains[1].Certificate")).ToBeVisibleAsync();
        await Field(page, "Input.Domains[1].Certificate").SelectOptionAsync("san");

        await Field(page, "Input.Origins[0].Origin").FillAsync("origin.e2e-shop.test");
        await page.Locator("button[data-action='add-origin']").ClickAsync();
        await Field(page, "Input.Origins[1].Origin").FillAsync("images.e2e-shop.test");
        await Field(page, "Input.Origins[1].Port").FillAsync("443");
        await Field(page, "Input.Origins[1].Ssl").CheckAsync();
        await page.Locator("button[data-action='add-origin-rule:1']").ClickAsync();
        await Field(page, "Input.Origins[1].Rules[0].Name").FillAsync("images");
        await Field(page, "Input.Origins[1].Rules[0].RequestUrl").FillAsync("/images/*");
        await Expect(Field(page, "Input.Origins[1].Ssl")).ToBeCheckedAsync();

        await page.Locator("button[data-action='add-caching']").ClickAsync();
        await Field(page, "Input.Caching[0].Name").FillAsync("everything");
        await Field(page, "Input.Caching[0].Ttl").FillAsync("3600");
        await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("service-form.png"), FullPage = true });
        await page.GetByTestId("save-service").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex(@"/services/[0-9a-f-]{36}\?created=1$"));
        var detailUrl = page.Url.Split('?')[0];
        await Expect(page.GetByTestId("notice")).ToContainTextAsync($"Service {ServiceName} was created");
        await Expect(Status(page)).ToHaveTextAsync("create_in_progress");
        await Expect(page.GetByTestId("service-actions").GetByRole(AriaRole.Button, new() { Name = "Edit" })).ToBeDisabledAsync();
        await Expect(page.GetByTestId("edit-blocked")).ToContainTextAsync("it can be edited once it is deployed or has failed");
        await Expect(page.GetByTestId("domains-table").Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("origins-table").Locator("tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-caching=everything] [data-ttl]")).ToHaveTextAsync("1 hour (3600 s)");
        await Expect(page.GetByTestId("providers-table").Locator($"tr[data-provider='{PortalSeed.ProviderAccount}']")).ToContainTextAsync("deploy_in_progress");

        // ---- find it in the list (the search refreshes the results with htmx and puts the view in the URL) ----
        await page.Locator("#sidebar-menu").GetByRole(AriaRole.Link, new() { Name = "Services", Exact = true }).ClickAsync();
        var row = page.Locator($"[data-testid=services-table] tr[data-service='{ServiceName}']");
        await Expect(row).ToContainTextAsync("static.e2e-shop.test, www.e2e-shop.test");
        await Expect(row.Locator("[data-status]")).ToHaveTextAsync("create_in_progress");
        await page.Locator("#filter-q").FillAsync("e2e-shop");
        await Expect(page).ToHaveURLAsync(new Regex(@"/services\?q=e2e-shop"));
        await Expect(page.GetByTestId("services-count")).ToContainTextAsync("of 1 service");
        await page.Locator("#filter-status").SelectOptionAsync("deployed");
        await Expect(page.Locator("#service-results .empty-title")).ToHaveTextAsync("No service matches");
        await page.Locator("#filter-status").SelectOptionAsync("");
        await Expect(page.GetByTestId("services-count")).ToContainTextAsync("of 1 service");
        await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("services-list.png"), FullPage = true });
        await row.GetByRole(AriaRole.Link, new() { Name = ServiceName }).ClickAsync();
        await Expect(page).ToHaveURLAsync(detailUrl);

        // ---- administrator's status override, so the service can be edited ----
        await page.GetByTestId("set-status-form").Locator("select").SelectOptionAsync("deployed");
        await page.GetByTestId("set-status-form").GetByRole(AriaRole.Button, new() { Name = "Set status" }).ClickAsync();
        await Expect(page.GetByTestId("notice")).ToContainTextAsync("Status set to deployed");
        await Expect(Status(page)).ToHaveTextAsync("deployed");

        // ---- edit: change the TTL, remove the second domain ----
        await page.GetByTestId("service-actions").GetByRole(AriaRole.Link, new() { Name = "Edit" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(detailUrl + "/edit");
        await Expect(Field(page, "Input.Domains[1].Domain")).ToHaveValueAsync("static.e2e-shop.test");
        await Field(page, "Input.Caching[0].Ttl").FillAsync("7200");
        await page.Locator("button[data-action='remove-domain:1']").ClickAsync();
        await Expect(page.Locator("#service-form .domain-row")).ToHaveCountAsync(1);
        await Expect(Field(page, "Input.Caching[0].Ttl")).ToHaveValueAsync("7200");
        await page.GetByTestId("save-service").ClickAsync();

        await Expect(page).ToHaveURLAsync(detailUrl + "?updated=1");
        await Expect(page.Locator("[data-caching=everything] [data-ttl]")).ToHaveTextAsync("2 hours (7200 s)");
        await Expect(page.GetByTestId("domains-table").Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("domains-table")).Not.ToContainTextAsync("static.e2e-shop.test");
        await Expect(Status(page)).ToHaveTextAsync("update_in_progress");
        await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("service-detail.png"), FullPage = true });

        // ---- delete, after confirming ----
        await page.GetByTestId("service-actions").GetByRole(AriaRole.Link, new() { Name = "Delete" }).ClickAsync();
        var confirm = page.GetByTestId("delete-confirm");
        await Expect(confirm).ToContainTextAsync($"Delete {ServiceName}?");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Delete service" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(detailUrl + "?deleted=1");
        await Expect(page.GetByTestId("deleting")).ToContainTextAsync("stays listed as delete_in_progress");
        await Expect(Status(page)).ToHaveTextAsync("delete_in_progress");

        await page.Locator("#sidebar-menu").GetByRole(AriaRole.Link, new() { Name = "Services", Exact = true }).ClickAsync();
        await Expect(row.Locator("[data-status]")).ToHaveTextAsync("delete_in_progress");
    });

    private static ILocator Field(IPage page, string name) => page.Locator($"#service-form [name='{name}']");

    private static ILocator Status(IPage page) => page.Locator("h1 [data-status]");
}
