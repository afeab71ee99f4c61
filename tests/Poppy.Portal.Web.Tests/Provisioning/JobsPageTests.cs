using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.Jobs;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>The jobs page on the interactive circuit: tabs and filters in the URL, operations grouped by change, retry, live.</summary>
public sealed class JobsPageTests : LivePageTest
{
    public override async Task InitializeAsync()
    {
        await Portal.SeedFlavorAsync(ServiceTestData.Flavor, "sim-akamai", "sim-fastly");
        await base.InitializeAsync();
    }

    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    /// <summary>Opens the page at <paramref name="url"/>: its filter comes from the URL, as in the browser.</summary>
    private Task<IRenderedComponent<JobsPage>> OpenAsync(string url)
    {
        Navigation.NavigateTo(url);
        return RenderLiveAsync<JobsPage>();
    }

    private static List<string> Operations(IRenderedComponent<JobsPage> page) =>
        page.FindAll("[data-testid=jobs-table] [data-operation][data-provider]")
            .Select(r => $"{r.GetAttribute("data-service")}/{r.GetAttribute("data-provider")}/{r.GetAttribute("data-state")}").Order(StringComparer.Ordinal).ToList();

    private static string? Count(IRenderedComponent<JobsPage> page, string filter) =>
        page.FindAll($"[data-testid=job-tabs] [data-filter={filter}] [data-count]").SingleOrDefault()?.TextContent;

    [Fact]
    public async Task An_operator_sees_their_projects_operations_by_tab_grouped_by_change_with_durations()
    {
        await Portal.CreateProjectAsync("beta");
        var ours = await Portal.CreateServiceAsync(ServiceTestData.Spec("Ours", "www.ours.test"));
        var theirs = await Portal.CreateServiceAsync(ServiceTestData.Spec("Theirs", "www.theirs.test"), "beta");
        await Portal.FailAsync(ours, "sim-fastly", "403 Forbidden: bad API token");
        await Portal.ChangeOperationAsync(ours, "sim-akamai", o => { o.Start(OperationStep.Applying, o.CreatedAt); o.Succeed(o.CreatedAt.AddSeconds(1)); });
        await Portal.ChangeOperationAsync(theirs, "sim-akamai", o => o.Start(OperationStep.Applying, o.CreatedAt));
        await SignInAsNewUserAsync(PortalRoles.Operator);

        // Active (the default): nothing of ours is open, and theirs (beta) never shows.
        var page = await OpenAsync("/jobs");
        var active = page;
        active.WaitForAssertion(() => Assert.Equal("Nothing in progress", active.Find("[data-testid=empty-state] .empty-title").TextContent), Patience);
        Assert.Contains("queues one operation per provider", active.Find("[data-testid=empty-state]").TextContent);
        Assert.Equal(("0", "1"), (Count(active, "active"), Count(active, "failed")));

        // All: one group for the change that created Ours, both providers in it, with the change's duration.
        Navigation.NavigateTo("/jobs?filter=all");
        var all = page;
        all.WaitForAssertion(() => Assert.Equal(["Ours/sim-akamai/succeeded", "Ours/sim-fastly/failed"], Operations(all)), Patience);
        var group = all.Find("[data-testid=jobs-table] [data-group]");
        Assert.Equal(("Ours", "create", "failed"), (group.GetAttribute("data-service"), group.GetAttribute("data-kind"), group.GetAttribute("data-state")));
        Assert.Equal("took 3 s", group.QuerySelector("[data-testid=group-duration]")!.TextContent);
        Assert.Equal($"services/{ours}", group.QuerySelector("a")!.GetAttribute("href")!.TrimStart('/'));
        Assert.Equal("took 1 s", all.Find("[data-provider=sim-akamai] [data-testid=operation-duration]").TextContent);

        // Failed: the failed one, its error, and Retry.
        Navigation.NavigateTo("/jobs?filter=failed");
        var failed = page;
        failed.WaitForAssertion(() => Assert.Equal(["Ours/sim-fastly/failed"], Operations(failed)), Patience);
        Assert.Contains("403 Forbidden: bad API token", failed.Find("[data-provider=sim-fastly] [data-testid=operation-error]").TextContent);
        Assert.NotNull(failed.Find("[data-provider=sim-fastly] [data-testid=retry]"));
    }

    [Fact]
    public async Task Each_change_is_its_own_group_and_the_provider_and_project_filters_narrow_them()
    {
        await Portal.CreateProjectAsync("beta");
        var ours = await Portal.CreateServiceAsync(ServiceTestData.Spec("Ours", "www.ours.test"));
        await Portal.SetServiceStatusAsync(ours, ProviderStatus.Deployed);
        var projectId = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        Assert.True((await AsSystemAsync<ServiceCatalog, CatalogResult>(c => c.PurgeAsync(projectId, ours, "/a.png", false, CancellationToken.None))).Succeeded);
        var theirs = await Portal.CreateServiceAsync(ServiceTestData.Spec("Theirs", "www.theirs.test"), "beta");
        var beta = await Portal.ProjectIdAsync("beta");

        // An administrator sees both projects: the create of Ours (cancelled by the status override), its purge, the create of Theirs.
        var all = await OpenAsync("/jobs?filter=all");
        all.WaitForAssertion(() => Assert.Equal(3, all.FindAll("[data-testid=jobs-table] [data-group]").Count), Patience);
        var groups = all.FindAll("[data-testid=jobs-table] [data-group]").Select(g => $"{g.GetAttribute("data-service")}:{g.GetAttribute("data-kind")}:{g.QuerySelectorAll("[data-operation][data-provider]").Length}").ToList();
        Assert.Equal(["Theirs:create:2", "Ours:purge:2", "Ours:create:2"], groups);

        Navigation.NavigateTo("/jobs?filter=all&provider=sim-akamai");
        all.WaitForAssertion(() => Assert.Equal(3, all.FindAll("[data-operation][data-provider]").Count), Patience);
        Assert.Equal(3, all.FindAll("[data-group]").Count);
        Assert.All(all.FindAll("[data-operation][data-provider]"), o => Assert.Equal("sim-akamai", o.GetAttribute("data-provider")));

        Navigation.NavigateTo($"/jobs?filter=all&project={beta}");
        var onlyBeta = all;
        onlyBeta.WaitForAssertion(() => Assert.Equal(["Theirs"], onlyBeta.FindAll("[data-group]").Select(g => g.GetAttribute("data-service"))), Patience);
        Assert.Equal("2", Count(onlyBeta, "active"));

        // The filters go into the URL, so the view can be shared.
        await onlyBeta.Find("[data-testid=job-tabs] [data-filter=failed]").ClickAsync(new());
        var uri = new Uri(Services.GetRequiredService<NavigationManager>().Uri);
        Assert.Equal("/jobs", uri.AbsolutePath);
        Assert.Contains("filter=failed", uri.Query);
        Assert.Contains($"project={beta}", uri.Query);
        onlyBeta.WaitForAssertion(() => Assert.Equal("No failed operations", onlyBeta.Find("[data-testid=empty-state] .empty-title").TextContent), Patience);
        Assert.Contains("Clear the project and provider filters", onlyBeta.Find("[data-testid=empty-state]").TextContent);
    }

    [Fact]
    public async Task A_failed_operation_of_a_deleted_service_offers_no_retry_and_a_viewer_gets_none_at_all()
    {
        var live = await Portal.CreateServiceAsync(ServiceTestData.Spec("Live", "www.live.test"));
        var deleted = await Portal.CreateServiceAsync(ServiceTestData.Spec("Deleted", "www.deleted.test"));
        await Portal.FailAsync(live, "sim-fastly", "401 Unauthorized");
        await Portal.FailAsync(deleted, "sim-fastly", "401 Unauthorized");
        await Portal.ChangeOperationAsync(deleted, "sim-fastly", _ => { }, service: s => s.ArchivedAt = s.UpdatedAt);

        var page = await OpenAsync("/jobs?filter=failed");

        page.WaitForAssertion(() => Assert.Equal(["Deleted/sim-fastly/failed", "Live/sim-fastly/failed"], Operations(page)), Patience);
        Assert.NotNull(page.Find("[data-service=Live][data-operation] [data-testid=retry]"));
        Assert.Null(page.Find("[data-service=Deleted][data-operation][data-provider]").QuerySelector("[data-testid=retry]"));
        // The services refuse it too.
        var gone = (await Portal.OperationsAsync(deleted)).Single(o => o.ProviderName == "sim-fastly");
        var projectId = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        var refused = await AsSystemAsync<ProvisioningOperations, Core.Features.Validation.ChangeResult>(o => o.RetryAsync(projectId, gone.Id, CancellationToken.None));
        Assert.Contains("no longer exists", Assert.Single(refused.Errors).Message);
    }

    [Fact]
    public async Task A_viewer_sees_the_jobs_but_no_retry()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.FailAsync(id, "sim-fastly", "401 Unauthorized");
        await SignInAsNewUserAsync(PortalRoles.Viewer);

        var page = await OpenAsync("/jobs?filter=failed");

        page.WaitForAssertion(() => Assert.Equal(["Shop/sim-fastly/failed"], Operations(page)), Patience);
        Assert.Empty(page.FindAll("[data-testid=retry]"));
    }

    [Fact]
    public async Task Retry_from_the_jobs_page_requeues_and_the_page_follows_provisioning_live()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.FailAsync(id, "sim-fastly", "403 Forbidden: bad API token");
        var page = await OpenAsync("/jobs?filter=all");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-provider=sim-fastly] [data-testid=retry]")), Patience);

        await page.Find("[data-provider=sim-fastly] [data-testid=retry]").ClickAsync(new());

        WaitForSnackbar("was queued again");
        Assert.All(await Portal.OperationsAsync(id), o => Assert.Equal(OperationState.Queued, o.State));
        page.WaitForAssertion(() => Assert.Equal(["Shop/sim-akamai/queued", "Shop/sim-fastly/queued"], Operations(page)), Patience);
        Assert.Equal("open", page.Find("[data-testid=group-duration]").TextContent);
        Assert.NotNull(page.Find("[data-testid=live]"));

        // Provisioning reports its progress: the page follows without a reload (within the event, before the 2 s poll).
        await Portal.ChangeOperationAsync(id, "sim-fastly", o => { o.Start(OperationStep.Applying, o.CreatedAt); o.Succeed(o.CreatedAt.AddSeconds(2)); },
            s => s.Status = ProviderStatus.Deployed);
        await Portal.ChangeOperationAsync(id, "sim-akamai", o => { o.Start(OperationStep.Applying, o.CreatedAt); o.Succeed(o.CreatedAt.AddSeconds(4)); },
            s => s.Status = ProviderStatus.Deployed);
        page.WaitForAssertion(() => Assert.Equal(["Shop/sim-akamai/succeeded", "Shop/sim-fastly/succeeded"], Operations(page)), Patience);
        Assert.Equal("took 4 s", page.Find("[data-testid=group-duration]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=live]"));
    }
}
