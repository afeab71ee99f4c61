using System.Globalization;
using Bunit;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.Services;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>The services grid: the catalog's search behind server-side paging, sorting and filters, the view in the URL, bulk actions.</summary>
public sealed class ServicesPageTests : ServicePageTest
{
    private readonly List<Guid> ids = [];

    /// <summary>30 services svc-01 … svc-30; svc-28 … svc-30 use flavor "premium", svc-01 … svc-03 are deployed; one more in project beta.</summary>
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
        await base.InitializeAsync();
    }

    private static List<string> Names(IRenderedComponent<ServicesPage> page) =>
        [.. page.FindAll("[data-testid=services-grid] [data-service]").Select(a => a.GetAttribute("data-service")!)];

    private string RelativeUri => "/" + Navigation.ToBaseRelativePath(Navigation.Uri);

    [Fact]
    public async Task Grid_rows_are_markup_rather_than_components_so_an_open_page_holds_fewer()
    {
        var page = await RenderWithProvidersAsync<ServicesPage>();
        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);

        // Each component costs every open page (circuit) two render-tree buffers and its state (bench/ui README).
        Assert.Empty(page.FindComponents<MudBlazor.MudChip<string>>());
        Assert.Empty(page.FindComponents<MudBlazor.MudLink>());
        Assert.Empty(page.FindComponents<ServiceStatusBadge>());
        Assert.Empty(page.FindComponents<MudBlazor.MudCheckBox<bool>>()); // the header's "select this page" is markup too
        var rows = page.FindAll("[data-testid=services-grid] tbody tr");
        Assert.Equal(25, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.NotNull(row.QuerySelector("input[type=checkbox]"));
            Assert.NotNull(row.QuerySelector(".mud-chip[data-status]"));
        });
    }

    [Fact]
    public async Task A_page_change_does_not_render_the_page_again_when_the_address_bar_catches_up()
    {
        var page = await RenderWithProvidersAsync<ServicesPage>();
        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);
        var renders = page.Instance.Renders;

        await page.Find("[data-testid=services-pager] button[aria-label='Next page']").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal("/services?page=2", RelativeUri), Patience);
        page.WaitForAssertion(() => Assert.Equal(["svc-05", "svc-04", "svc-03", "svc-02", "svc-01"], Names(page)), Patience);
        // The grid re-rendered its rows; the page itself (toolbar, filters, every row's templates) did not render again.
        Assert.Equal(renders, page.Instance.Renders);
    }

    [Fact]
    public async Task The_header_checkbox_selects_every_service_on_the_page()
    {
        var page = await RenderWithProvidersAsync<ServicesPage>();
        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);

        await page.Find("[data-testid=select-page] input[type=checkbox], input[type=checkbox][data-testid=select-page]").ChangeAsync(new() { Value = true });

        page.WaitForAssertion(() => Assert.Equal("25 selected", page.Find("[data-testid=selected-count]").TextContent.Trim()), Patience);
        Assert.All(page.FindAll("[data-testid=services-grid] tbody input[type=checkbox]"), box => Assert.True(box.HasAttribute("checked")));
    }

    [Fact]
    public async Task The_grid_pages_the_projects_services_25_at_a_time_newest_first()
    {
        var page = await RenderWithProvidersAsync<ServicesPage>();

        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);
        Assert.Equal("svc-30", Names(page)[0]);
        Assert.DoesNotContain("svc-elsewhere", Names(page));
        Assert.Equal($"/services/{ids[29]}", page.Find("[data-service=svc-30]").GetAttribute("href"));

        await page.Find("[data-testid=services-pager] button[aria-label='Next page']").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal(["svc-05", "svc-04", "svc-03", "svc-02", "svc-01"], Names(page)), Patience);
        Assert.Equal("/services?page=2", RelativeUri);
        Assert.Equal("deployed", page.Find("[data-service=svc-01]").Closest("tr")!.QuerySelector("[data-status]")!.TextContent.Trim());
    }

    [Fact]
    public async Task A_column_header_sorts_through_the_catalog_and_the_sort_goes_into_the_url()
    {
        var page = await RenderWithProvidersAsync<ServicesPage>();
        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);

        var header = page.FindAll("[data-testid=services-grid] th").First(th => th.TextContent.Contains("Name", StringComparison.Ordinal));
        await header.QuerySelector(".sortable-column-header")!.ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal("svc-01", Names(page)[0]), Patience);
        Assert.Equal("svc-25", Names(page)[^1]);
        Assert.Equal("/services?sort=name&desc=false", RelativeUri);
        Assert.Contains("mud-direction-asc", NameHeader().QuerySelector(".sort-direction-icon")!.ClassName, StringComparison.Ordinal);
        // The headers are markup: no sort button or icon component per header on every open page.
        Assert.Empty(page.FindComponents<MudBlazor.MudIconButton>());

        // Again: descending; a third time: back to newest first.
        await NameHeader().QuerySelector(".sortable-column-header")!.ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal("svc-30", Names(page)[0]), Patience);
        Assert.Equal("/services?sort=name&desc=true", RelativeUri);
        Assert.Equal("descending", NameHeader().QuerySelector(".sortable-column-header")!.GetAttribute("aria-sort"));
        await NameHeader().QuerySelector(".sortable-column-header")!.ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal("/services", RelativeUri), Patience);
        page.WaitForAssertion(() => Assert.Equal("none", NameHeader().QuerySelector(".sortable-column-header")!.GetAttribute("aria-sort")), Patience);

        AngleSharp.Dom.IElement NameHeader() =>
            page.FindAll("[data-testid=services-grid] th").First(th => th.TextContent.Contains("Name", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Typing_a_search_narrows_the_list_after_a_pause_and_keeps_it_in_the_url()
    {
        var page = await RenderWithProvidersAsync<ServicesPage>();
        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);

        await page.Find("input[data-testid=filter-q], [data-testid=filter-q] input").InputAsync(new() { Value = "site0" });

        page.WaitForAssertion(() => Assert.Equal(["svc-09", "svc-08", "svc-07", "svc-06", "svc-05", "svc-04", "svc-03", "svc-02", "svc-01"], Names(page)), Patience);
        Assert.Equal("/services?q=site0", RelativeUri);

        // The search field's clear button shows every service again.
        await page.Find("[data-testid=search-clear]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);
        Assert.Equal("/services", RelativeUri);
        Assert.Equal("", page.Find("input[data-testid=filter-q]").GetAttribute("value") ?? "");
    }

    [Fact]
    public async Task The_search_field_keeps_what_was_typed_when_the_page_applies_it_trimmed()
    {
        var page = await RenderWithProvidersAsync<ServicesPage>();
        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);

        // A pause after a space (before the next word): the page searches for "site0" and must not take the space away.
        await page.Find("input[data-testid=filter-q]").InputAsync(new() { Value = "site0 " });

        page.WaitForAssertion(() => Assert.Equal("/services?q=site0", RelativeUri), Patience);
        page.WaitForAssertion(() => Assert.Equal(9, Names(page).Count), Patience);
        Assert.Equal("site0 ", page.Find("input[data-testid=filter-q]").GetAttribute("value"));
    }

    [Fact]
    public async Task Choosing_a_status_narrows_the_list_and_the_options_exist_only_while_the_filter_is_open()
    {
        var page = await RenderWithProvidersAsync<ServicesPage>();
        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);
        // Closed, neither filter has its options on the page (MudSelect kept a component per option and a popover).
        Assert.Empty(page.FindComponents<MudBlazor.MudSelectItem<string>>());
        Assert.Empty(page.FindComponents<MudBlazor.MudPopover>());
        Assert.Empty(PopoverProvider.FindAll(".mud-list-item"));

        await page.Find("[data-testid=filter-status]").ClickAsync(new());

        var deployed = PopoverProvider.WaitForElement(".mud-popover-open .mud-list-item[data-value=deployed]", Patience);
        Assert.Equal("Any status", PopoverProvider.Find(".mud-list-item[aria-selected=true]").TextContent.Trim());
        await deployed.ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal(["svc-03", "svc-02", "svc-01"], Names(page)), Patience);
        Assert.Equal("/services?status=deployed", RelativeUri);
        Assert.Equal("deployed", page.Find("[data-testid=filter-status]").TextContent.Trim());
        PopoverProvider.WaitForAssertion(() => Assert.Empty(PopoverProvider.FindAll(".mud-list-item")), Patience);

        // The flavor filter lists the flavors; Escape closes it without a choice.
        await page.Find("[data-testid=filter-flavor]").ClickAsync(new());
        PopoverProvider.WaitForAssertion(() => Assert.Equal(["", ServiceTestData.Flavor, "premium"],
            PopoverProvider.FindAll(".mud-list-item").Select(o => o.GetAttribute("data-value")).Order(StringComparer.Ordinal)), Patience);
        await page.Find("[data-testid=filter-flavor]").KeyDownAsync(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Escape" });
        PopoverProvider.WaitForAssertion(() => Assert.Empty(PopoverProvider.FindAll(".mud-list-item")), Patience);
        Assert.Equal("/services?status=deployed", RelativeUri);
    }

    [Fact]
    public async Task A_shared_view_url_opens_with_its_filters_sort_and_page()
    {
        Navigation.NavigateTo("/services?q=svc&status=deployed&sort=name&desc=true");

        var page = await RenderWithProvidersAsync<ServicesPage>();

        page.WaitForAssertion(() => Assert.Equal(["svc-03", "svc-02", "svc-01"], Names(page)), Patience);
        Assert.Equal("svc", page.Find("input[data-testid=filter-q], [data-testid=filter-q] input").GetAttribute("value"));
        Assert.Contains("deployed", page.Find("[data-testid=filter-status]").OuterHtml, StringComparison.Ordinal);
        Assert.Equal("/services?q=svc&status=deployed&sort=name&desc=true", RelativeUri);
        Assert.Equal("/services/export.csv?q=svc&status=deployed&sort=name&desc=true",
            page.Find("[data-testid=export-csv]").GetAttribute("href"));

        // A filter that matches nothing says so and offers the way back.
        Navigation.NavigateTo("/services?q=nothing-like-this");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=no-match]")), Patience);
        await page.Find("[data-testid=reset-filters]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);
        Assert.Equal("/services", RelativeUri);
    }

    [Fact]
    public async Task Bulk_delete_asks_with_the_count_then_deletes_each_selected_service_and_reports()
    {
        var page = await RenderWithProvidersAsync<ServicesPage>();
        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);

        foreach (var name in new[] { "svc-30", "svc-29" })
        {
            await page.Find($"[data-service={name}]").Closest("tr")!.QuerySelector("input[type=checkbox]")!.ChangeAsync(new() { Value = true });
        }
        page.WaitForAssertion(() => Assert.Equal("2 selected", page.Find("[data-testid=selected-count]").TextContent.Trim()), Patience);
        // The click waits for the dialog's answer: answer it before awaiting the click.
        var clickDelete = page.Find("[data-testid=bulk-delete]").ClickAsync(new());

        DialogProvider.WaitForAssertion(() => Assert.Contains("Delete 2 services?", DialogProvider.Markup, StringComparison.Ordinal), Patience);
        // Nothing happens before the user confirms.
        Assert.Equal(ServiceStatus.CreateInProgress, (await Portal.FindServiceAsync(ids[29]))!.Status);
        await DialogProvider.FindAll(".mud-dialog button").First(b => b.TextContent.Trim() == "Delete").ClickAsync(new());
        await clickDelete;

        page.WaitForAssertion(() => Assert.Contains("2 of 2 services deleting.", Snackbars()), Patience);
        Assert.Equal(ServiceStatus.DeleteInProgress, (await Portal.FindServiceAsync(ids[29]))!.Status);
        Assert.Equal(ServiceStatus.DeleteInProgress, (await Portal.FindServiceAsync(ids[28]))!.Status);
        Assert.Equal(ServiceStatus.CreateInProgress, (await Portal.FindServiceAsync(ids[27]))!.Status);
    }

    [Fact]
    public async Task Bulk_purge_reports_which_services_could_not_be_purged()
    {
        Navigation.NavigateTo("/services?sort=name&desc=false");
        var page = await RenderWithProvidersAsync<ServicesPage>();
        page.WaitForAssertion(() => Assert.Equal("svc-01", Names(page)[0]), Patience);

        foreach (var name in new[] { "svc-01", "svc-04" })
        {
            await page.Find($"[data-service={name}]").Closest("tr")!.QuerySelector("input[type=checkbox]")!.ChangeAsync(new() { Value = true });
        }
        // The click waits for the dialog's answer: answer it before awaiting the click.
        var clickPurge = page.Find("[data-testid=bulk-purge]").ClickAsync(new());
        DialogProvider.WaitForAssertion(() => Assert.Contains("Purge 2 services?", DialogProvider.Markup, StringComparison.Ordinal), Patience);
        await DialogProvider.FindAll(".mud-dialog button").First(b => b.TextContent.Trim() == "Purge").ClickAsync(new());
        await clickPurge;

        page.WaitForAssertion(() => Assert.Contains(Snackbars(), s => s.StartsWith("1 of 2 services purge requested.", StringComparison.Ordinal)
            && s.Contains("svc-04: ", StringComparison.Ordinal) && s.Contains("only a deployed service can be purged", StringComparison.Ordinal)), Patience);
        Assert.Equal(1, await Portal.PurgeCountAsync(ids[0]));
        Assert.Equal(0, await Portal.PurgeCountAsync(ids[3]));
    }

    [Fact]
    public async Task A_viewer_sees_the_list_and_the_export_but_no_create_select_purge_or_delete()
    {
        await SignInAsNewUserAsync(PortalRoles.Viewer);

        var page = await RenderWithProvidersAsync<ServicesPage>();

        page.WaitForAssertion(() => Assert.Equal(25, Names(page).Count), Patience);
        Assert.Empty(page.FindAll("[data-testid=create-service]"));
        Assert.Empty(page.FindAll("[data-testid=services-grid] input[type=checkbox]"));
        Assert.Empty(page.FindAll("[data-testid=bulk-delete], [data-testid=bulk-purge]"));
        Assert.NotNull(page.Find("[data-testid=export-csv]"));
    }
}

/// <summary>An empty project says what to do next, and only offers creating to those who may.</summary>
public sealed class EmptyServicesPageTests : ServicePageTest
{
    [Fact]
    public async Task An_empty_project_offers_creating_the_first_service()
    {
        var page = await RenderWithProvidersAsync<ServicesPage>();

        var empty = page.Find("[data-testid=empty-state]");
        Assert.Contains("No CDN services yet", empty.TextContent, StringComparison.Ordinal);
        Assert.NotNull(empty.QuerySelector("a[href='/services/new']"));
        Assert.Empty(page.FindAll("[data-testid=services-grid]"));
    }

    [Fact]
    public async Task A_viewer_of_an_empty_project_is_told_who_creates_services()
    {
        await SignInAsNewUserAsync(PortalRoles.Viewer);

        var page = await RenderWithProvidersAsync<ServicesPage>();

        var empty = page.Find("[data-testid=empty-state]");
        Assert.Contains("An operator or administrator of this project creates them", empty.TextContent, StringComparison.Ordinal);
        Assert.Null(empty.QuerySelector("a[href='/services/new']"));
        Assert.Empty(page.FindAll("[data-testid=create-service]"));
    }
}
