using System.Globalization;
using AngleSharp.Html.Dom;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>The services list: search, filters, sorting and numbered pages, all in the query string.</summary>
public sealed class ServiceListTests : PortalTest
{
    private readonly List<Guid> ids = [];

    /// <summary>30 services svc-01 … svc-30 (through the catalog, for speed); svc-28 … svc-30 use flavor "premium", svc-01 … svc-03 are deployed.</summary>
    public override async Task InitializeAsync()
    {
        await Portal.SeedFlavorAsync();
        await Portal.SeedFlavorAsync("premium", "akamai");
        await Portal.CreateProjectAsync("beta");
        await Portal.SetServiceLimitAsync(50);
        for (var n = 1; n <= 30; n++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"svc-{n:00}");
            var domain = string.Create(CultureInfo.InvariantCulture, $"www.site{n:00}.test");
            ids.Add(await Portal.CreateServiceAsync(ServiceTestData.Spec(name, domain, n > 27 ? "premium" : ServiceTestData.Flavor)));
        }
        for (var n = 0; n < 3; n++)
        {
            await Portal.SetServiceStatusAsync(ids[n], ProviderStatus.Deployed);
        }
        await Portal.CreateServiceAsync(ServiceTestData.Spec("svc-elsewhere", "www.elsewhere.test"), "beta");
    }

    [Fact]
    public async Task Pages_hold_25_services_newest_first_and_are_numbered()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        var first = await admin.GetPageAsync("/services");
        var second = await admin.GetPageAsync("/services?page=2");

        Assert.Equal(25, Names(first).Count);
        Assert.Equal("svc-30", Names(first)[0]);
        Assert.Equal(["svc-05", "svc-04", "svc-03", "svc-02", "svc-01"], Names(second));
        Assert.Equal("1–25 of 30 services", Text(first, "[data-testid=services-count]"));
        Assert.Equal("26–30 of 30 services", Text(second, "[data-testid=services-count]"));
        Assert.Equal(["1", "2"], first.QuerySelectorAll(".pagination a.page-link:not([aria-label])").Select(a => a.TextContent));
        Assert.Equal("/services?page=2", first.QuerySelector(".pagination a[aria-label='Next page']")!.GetAttribute("href"));
        Assert.Equal("page", second.QuerySelector(".pagination .active a")!.GetAttribute("aria-current"));
        // Each name links to its detail page; another project's service never shows.
        Assert.Equal($"/services/{ids[29]}", first.QuerySelector("[data-service=svc-30] a")!.GetAttribute("href"));
        Assert.Null(first.QuerySelector("[data-service=svc-elsewhere]"));
    }

    [Fact]
    public async Task Search_finds_names_and_domains()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        Assert.Equal(["svc-09", "svc-08", "svc-07", "svc-06", "svc-05", "svc-04", "svc-03", "svc-02", "svc-01"],
            Names(await admin.GetPageAsync("/services?q=svc-0")));
        Assert.Equal(["svc-12"], Names(await admin.GetPageAsync("/services?q=site12")));
        var none = await admin.GetPageAsync("/services?q=nothing-like-this");
        Assert.Equal("No service matches", Text(none, ".empty-title"));
        Assert.Equal("nothing-like-this", none.QuerySelector<IHtmlInputElement>("#filter-q")!.Value);
    }

    [Fact]
    public async Task Status_and_flavor_filters_narrow_the_list_and_stay_selected()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        var deployed = await admin.GetPageAsync("/services?status=deployed");
        var premium = await admin.GetPageAsync("/services?flavor=premium");
        var both = await admin.GetPageAsync("/services?status=create_in_progress&flavor=premium&q=svc-2");

        Assert.Equal(["svc-03", "svc-02", "svc-01"], Names(deployed));
        Assert.All(deployed.QuerySelectorAll("[data-testid=services-table] tbody [data-status]"), badge =>
        {
            Assert.Equal("deployed", badge.TextContent);
            Assert.Contains("bg-green-lt", badge.ClassName);
        });
        Assert.Equal("deployed", deployed.QuerySelector<IHtmlSelectElement>("#filter-status")!.Value);
        Assert.Equal(["svc-30", "svc-29", "svc-28"], Names(premium));
        Assert.Equal("premium", premium.QuerySelector<IHtmlSelectElement>("#filter-flavor")!.Value);
        Assert.Equal(["svc-29", "svc-28"], Names(both));
        // The filter options: every status by its wire name, every flavor.
        Assert.Equal(["", "create_in_progress", "deployed", "update_in_progress", "delete_in_progress", "failed", "disabled"],
            deployed.QuerySelectorAll("#filter-status option").Select(o => o.GetAttribute("value")));
        Assert.Equal(["", "cdn", "premium"], deployed.QuerySelectorAll("#filter-flavor option").Select(o => o.GetAttribute("value")));
    }

    [Fact]
    public async Task Column_headers_sort_and_a_second_click_reverses()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var start = await admin.GetPageAsync("/services?status=create_in_progress");

        var byNameLink = start.QuerySelector("a[data-sort=name]")!.GetAttribute("href")!;
        var byName = await admin.GetPageAsync(byNameLink);
        var reversedLink = byName.QuerySelector("a[data-sort=name]")!.GetAttribute("href")!;
        var reversed = await admin.GetPageAsync(reversedLink);

        Assert.Equal("/services?status=create_in_progress&sort=name&desc=false", byNameLink);
        Assert.Equal(["svc-04", "svc-05", "svc-06"], Names(byName).Take(3));
        Assert.Equal("ascending", byName.QuerySelector("th:has(a[data-sort=name])")!.GetAttribute("aria-sort"));
        Assert.Equal("/services?status=create_in_progress&sort=name&desc=true", reversedLink);
        Assert.Equal(["svc-30", "svc-29", "svc-28"], Names(reversed).Take(3));
        // Paging keeps the sort and the filters.
        Assert.Equal(["svc-01"], Names(await admin.GetPageAsync("/services?sort=name&desc=true&page=2")).TakeLast(1));
        // Ties (same flavor) keep creation order, reversed with the rest.
        Assert.Equal(["svc-30", "svc-29", "svc-28", "svc-27"], Names(await admin.GetPageAsync("/services?sort=flavor&desc=true")).Take(4));
        Assert.Equal(["svc-01", "svc-02"], Names(await admin.GetPageAsync("/services?sort=flavor&desc=false")).Take(2));
    }

    [Fact]
    public async Task The_filter_form_is_a_linkable_get_that_htmx_narrows_to_the_results()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var page = await admin.GetPageAsync("/services?sort=name&desc=false");
        var form = page.QuerySelector<IHtmlFormElement>("#service-filter")!;

        Assert.Equal("get", form.Method.ToLowerInvariant());
        Assert.Equal("/services", form.GetAttribute("action"));
        Assert.Equal("/services", form.GetAttribute("hx-get"));
        Assert.Equal("#service-results", form.GetAttribute("hx-select"));
        Assert.Equal("#service-results", form.GetAttribute("hx-target"));
        Assert.Equal("true", form.GetAttribute("hx-push-url"));
        // The current sort travels with a new filter.
        Assert.Equal("name", form.QuerySelector<IHtmlInputElement>("input[name=sort]")!.Value);
        Assert.NotNull(page.QuerySelector("#service-results [data-testid=services-table]"));
    }

    [Fact]
    public async Task Malformed_query_values_fall_back_to_the_defaults()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        var page = await admin.GetPageAsync("/services?page=x&desc=maybe&sort=colour&status=sleeping");
        var pastTheEnd = await admin.GetPageAsync("/services?page=99");

        Assert.Equal(25, Names(page).Count);
        Assert.Equal("svc-30", Names(page)[0]);
        Assert.Equal("26–30 of 30 services", Text(pastTheEnd, "[data-testid=services-count]"));
    }

    [Fact]
    public async Task A_viewer_gets_the_list_without_the_create_button()
    {
        var password = await Portal.CreateUserAsync("viewer@test.local", PortalRoles.Viewer, "beta");
        var emptyPassword = await Portal.CreateUserAsync("empty@test.local", PortalRoles.Operator, await EmptyProjectAsync());
        using var viewer = Portal.CreatePortalClient();
        await viewer.SignInOrFailAsync("viewer@test.local", password);
        using var operatorClient = Portal.CreatePortalClient();
        await operatorClient.SignInOrFailAsync("empty@test.local", emptyPassword);

        var viewerPage = await viewer.GetPageAsync("/services");
        var emptyPage = await operatorClient.GetPageAsync("/services");

        Assert.Equal(["svc-elsewhere"], Names(viewerPage));
        Assert.Empty(viewerPage.QuerySelectorAll("a[href='/services/new']"));
        Assert.Equal("No CDN services yet", Text(emptyPage, ".empty-title"));
        Assert.NotNull(emptyPage.QuerySelector(".empty-action a[href='/services/new']"));
    }

    private async Task<string> EmptyProjectAsync()
    {
        await Portal.CreateProjectAsync("gamma");
        return "gamma";
    }

    private static List<string> Names(IHtmlDocument page) =>
        page.QuerySelectorAll("[data-testid=services-table] tbody tr").Select(r => r.GetAttribute("data-service")!).ToList();

    private static string Text(IHtmlDocument page, string selector) =>
        page.QuerySelector(selector)?.TextContent.Trim() is { } text ? string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) : "";
}
