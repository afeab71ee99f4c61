using System.Net;
using System.Net.Http.Headers;
using AngleSharp.Html.Dom;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>The jobs page, the purge form with its recent purges, the streamed retry button, and the providers' circuit column.</summary>
public sealed class JobsAndPurgeTests : PortalTest
{
    public JobsAndPurgeTests()
    {
        // A circuit that opens after two failed calls, so the providers page can be shown one.
        Portal.Settings["Portal:Provisioning:CircuitBreaker:MinimumThroughput"] = "2";
        Portal.Settings["Portal:Provisioning:CircuitBreaker:BreakDuration"] = "00:10:00";
        Portal.Settings["Portal:Provisioning:RetriesPerRun"] = "1";
        Portal.Settings["Portal:Provisioning:RetryBaseDelay"] = "00:00:00.010";
    }

    public override Task InitializeAsync() => Portal.SeedFlavorAsync(ServiceTestData.Flavor, "sim-akamai", "sim-fastly");

    [Fact]
    public async Task The_jobs_page_filters_by_tab_and_shows_only_the_users_projects()
    {
        await Portal.CreateProjectAsync("beta");
        var ours = await Portal.CreateServiceAsync(ServiceTestData.Spec("Ours", "www.ours.test"));
        var theirs = await Portal.CreateServiceAsync(ServiceTestData.Spec("Theirs", "www.theirs.test"), "beta");
        await Portal.FailAsync(ours, "sim-fastly", "403 Forbidden: bad API token");
        await Portal.ChangeOperationAsync(ours, "sim-akamai", o => { o.Start(OperationStep.Applying, o.CreatedAt); o.Succeed(o.CreatedAt.AddSeconds(1)); });
        await Portal.ChangeOperationAsync(theirs, "sim-akamai", o => o.Start(OperationStep.Applying, o.CreatedAt));
        using var operatorClient = await Portal.CreateSignedInClientAsync(PortalRoles.Operator);
        using var admin = await Portal.CreateAdminClientAsync();

        // The operator is in alpha only: theirs (beta) never shows.
        var active = await operatorClient.GetPageAsync("/jobs");
        Assert.Empty(Rows(active));
        Assert.Equal("0", Count(active, "active"));
        Assert.Equal("1", Count(active, "failed"));
        var failed = await operatorClient.GetPageAsync("/jobs?filter=failed");
        var row = Assert.Single(Rows(failed));
        Assert.Equal(("Ours", "sim-fastly", "failed"), (row.GetAttribute("data-service"), row.GetAttribute("data-provider"), row.GetAttribute("data-state")));
        Assert.Contains("403 Forbidden: bad API token", row.TextContent);
        Assert.Equal($"/services/{ours}", row.QuerySelector("a")!.GetAttribute("href"));
        Assert.NotNull(row.QuerySelector("[data-testid=retry-form]"));
        var all = await operatorClient.GetPageAsync("/jobs?filter=all");
        Assert.Equal(["Ours/sim-akamai/succeeded", "Ours/sim-fastly/failed"], Described(all));
        // Live: the results poll themselves every 2 s, keeping the tab.
        var results = all.QuerySelector("#jobs-results")!;
        Assert.Equal("/jobs?filter=all", results.GetAttribute("hx-get"));
        Assert.Equal("every 2s", results.GetAttribute("hx-trigger"));

        // The administrator sees every project's operations.
        var adminActive = await admin.GetPageAsync("/jobs");
        Assert.Equal(["Theirs/sim-akamai/running", "Theirs/sim-fastly/queued"], Described(adminActive));
        Assert.Equal("2", Count(adminActive, "active"));
        Assert.Equal(4, Rows(await admin.GetPageAsync("/jobs?filter=all")).Count);
        // A viewer sees the jobs but no retry buttons; the nav offers the page to everyone.
        using var viewer = await Portal.CreateSignedInClientAsync(PortalRoles.Viewer);
        var viewerFailed = await viewer.GetPageAsync("/jobs?filter=failed");
        Assert.Single(Rows(viewerFailed));
        Assert.Null(viewerFailed.QuerySelector("[data-testid=retry-form]"));
        Assert.NotNull(viewerFailed.QuerySelector("[data-testid=nav] a[href='/jobs']"));
    }

    [Fact]
    public async Task A_failed_operation_of_a_deleted_service_offers_no_retry_and_a_retry_of_it_is_refused()
    {
        var live = await Portal.CreateServiceAsync(ServiceTestData.Spec("Live", "www.live.test"));
        var deleted = await Portal.CreateServiceAsync(ServiceTestData.Spec("Deleted", "www.deleted.test"));
        await Portal.FailAsync(live, "sim-fastly", "401 Unauthorized");
        await Portal.FailAsync(deleted, "sim-fastly", "401 Unauthorized");
        // Deleted from every provider since: archived, as provisioning leaves it.
        await Portal.ChangeOperationAsync(deleted, "sim-fastly", _ => { }, service: s => s.ArchivedAt = s.UpdatedAt);
        var gone = (await Portal.OperationsAsync(deleted)).Single(o => o.ProviderName == "sim-fastly");
        using var admin = await Portal.CreateAdminClientAsync();

        var failed = await admin.GetPageAsync("/jobs?filter=failed");

        var rows = Rows(failed).ToDictionary(r => r.GetAttribute("data-service")!);
        Assert.Equal(["Deleted", "Live"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.NotNull(rows["Live"].QuerySelector("[data-testid=retry-form]"));
        Assert.Null(rows["Deleted"].QuerySelector("[data-testid=retry-form]"));
        using var forged = await admin.PostWithTokenAsync($"/jobs/operations/{gone.Id}/retry", new Dictionary<string, string> { ["returnUrl"] = "/jobs?filter=failed" });
        Assert.Equal(HttpStatusCode.Redirect, forged.StatusCode);
        Assert.Contains("retry-error=", forged.Headers.Location!.OriginalString);
        Assert.Equal(OperationState.Failed, (await Portal.OperationsAsync(deleted)).Single(o => o.Id == gone.Id).State);
    }

    [Fact]
    public async Task Retry_from_the_jobs_page_and_from_the_streamed_card_requeue_the_operation()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.FailAsync(id, "sim-fastly", "403 Forbidden: bad API token");
        await Portal.FailAsync(id, "sim-akamai", "401 Unauthorized");
        var operations = await Portal.OperationsAsync(id);
        var fastly = operations.Single(o => o.ProviderName == "sim-fastly");
        var akamai = operations.Single(o => o.ProviderName == "sim-akamai");
        using var admin = await Portal.CreateAdminClientAsync();

        using var fromJobs = await admin.SubmitFormAsync("/jobs?filter=failed", new Dictionary<string, string>(), $"/jobs/operations/{fastly.Id}/retry");
        Assert.Equal(HttpStatusCode.Redirect, fromJobs.StatusCode);
        Assert.Equal($"/jobs?filter=failed&retried={fastly.Id}", fromJobs.Headers.Location!.ToString());
        Assert.Contains("queued again", (await admin.GetPageAsync(fromJobs.Headers.Location!.ToString())).QuerySelector("[data-testid=notice]")!.TextContent);

        // The card the stream sends carries its own retry forms, with a token that is valid for this session.
        await admin.GetPageAsync($"/services/{id}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/services/{id}/progress/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var stream = await admin.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var card = PortalClient.Parse((await new ProvisioningTestData.EventReader(await stream.Content.ReadAsStreamAsync(timeout.Token)).NextAsync(timeout.Token))!.Value.Data);
        var form = Assert.Single(card.QuerySelectorAll<IHtmlFormElement>("[data-testid=retry-form]"));
        Assert.Equal($"/jobs/operations/{akamai.Id}/retry", form.GetAttribute("action"));
        var fields = form.QuerySelectorAll<IHtmlInputElement>("input[type=hidden]").Select(i => new KeyValuePair<string, string>(i.Name!, i.Value)).ToList();
        using var fromCard = await admin.PostAsync(form.GetAttribute("action")!, fields);
        Assert.Equal(HttpStatusCode.Redirect, fromCard.StatusCode);
        Assert.Equal($"/services/{id}?retried={akamai.Id}", fromCard.Headers.Location!.ToString());

        Assert.All(await Portal.OperationsAsync(id), o => Assert.Equal(OperationState.Queued, o.State));
    }

    [Fact]
    public async Task The_purge_form_validates_as_the_api_does_and_lists_recent_purges_per_provider()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.SetServiceStatusAsync(id, ProviderStatus.Deployed);
        using var admin = await Portal.CreateAdminClientAsync();

        using var invalid = await admin.SubmitFormAsync($"/services/{id}", new Dictionary<string, string> { ["Purge.Url"] = "/images/a b.png" }, "purge-service");
        Assert.Equal(HttpStatusCode.OK, invalid.StatusCode);
        Assert.Contains("url must be an ASCII path of 1 to 1024 characters without spaces.",
            PortalClient.Parse(await invalid.Content.ReadAsStringAsync()).QuerySelector(".alert-danger")!.TextContent);
        using var badMode = await admin.SubmitFormAsync($"/services/{id}", new Dictionary<string, string> { ["Purge.Url"] = "", ["Purge.Mode"] = "nuke" }, "purge-service");
        Assert.Contains("Choose a soft or a hard purge.", await badMode.Content.ReadAsStringAsync());
        Assert.Equal(0, await Portal.PurgeCountAsync(id));

        // Empty path: everything (soft).
        using var everything = await admin.SubmitFormAsync($"/services/{id}", new Dictionary<string, string> { ["Purge.Url"] = "  ", ["Purge.Mode"] = "soft" }, "purge-service");
        Assert.Equal(HttpStatusCode.Redirect, everything.StatusCode);
        var purge = await Portal.SinglePurgeAsync(id);
        Assert.Null(purge.Url);
        Assert.False(purge.Hard);

        // The purge's operations are listed with each provider's state; a failed one can be retried.
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var db = scope.ServiceProvider.GetRequiredService<Poppy.Portal.Core.Data.PortalDbContext>();
            var fastly = db.Set<ProvisioningOperation>().Single(o => o.PurgeId == purge.Id && o.ProviderName == "sim-fastly");
            fastly.Start(OperationStep.Purging, fastly.CreatedAt);
            fastly.Fail("Purge quota exceeded", fastly.CreatedAt.AddSeconds(1));
            await db.SaveChangesAsync();
        }
        var page = await admin.GetPageAsync($"/services/{id}?purged=1");
        var listed = page.QuerySelector($"[data-testid=purges-table] tr[data-purge='{purge.Id}']")!;
        Assert.Equal("everything", listed.QuerySelector("code")!.TextContent);
        Assert.Contains("soft", listed.TextContent);
        Assert.Equal("queued", listed.QuerySelector("[data-purge-provider=sim-akamai]")!.GetAttribute("data-state"));
        var failed = listed.QuerySelector("[data-purge-provider=sim-fastly]")!;
        Assert.Equal("failed", failed.GetAttribute("data-state"));
        Assert.Contains("Purge quota exceeded", failed.TextContent);
        Assert.NotNull(failed.QuerySelector("[data-testid=retry-form]"));
    }

    [Fact]
    public async Task The_providers_page_shows_each_accounts_circuit_as_this_process_sees_it()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var before = await admin.GetPageAsync("/providers");
        Assert.Equal(["Closed", "Closed"], before.QuerySelectorAll("[data-testid=providers-table] td[data-circuit]").Select(td => td.TextContent.Trim()));
        Assert.Contains("as this portal process sees it", before.QuerySelector("[data-testid=circuit-note]")!.TextContent);

        // Failing requests through the account's real HTTP client open its circuit, which counts vendor requests: the
        // first answer is a 500, so is the retry of it, and the next retry meets the open circuit.
        await using (var vendor = await LoopbackOrigin.StartAsync("vendor"))
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            vendor.Failing = true;
            var fastly = (await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().FindByNameAsync("sim-fastly", CancellationToken.None))!;
            var http = scope.ServiceProvider.GetRequiredService<ProviderResilience>().HttpClientFor(fastly.Id);
            await Assert.ThrowsAsync<BrokenCircuitException>(() => http.GetAsync(vendor.Url));
            Assert.Equal(2, vendor.RequestsFor("/"));
        }

        var after = await admin.GetPageAsync("/providers");
        var circuits = after.QuerySelectorAll("[data-testid=providers-table] tbody tr")
            .ToDictionary(r => r.QuerySelector("td")!.TextContent.Trim(), r => r.QuerySelector("td[data-circuit]")!.TextContent.Trim());
        Assert.Equal("Open", circuits["sim-fastly"]);
        Assert.Equal("Closed", circuits["sim-akamai"]);
    }

    private static List<AngleSharp.Dom.IElement> Rows(IHtmlDocument page) => page.QuerySelectorAll("[data-testid=jobs-table] tbody tr").ToList();

    private static List<string> Described(IHtmlDocument page) =>
        Rows(page).Select(r => $"{r.GetAttribute("data-service")}/{r.GetAttribute("data-provider")}/{r.GetAttribute("data-state")}").Order(StringComparer.Ordinal).ToList();

    private static string? Count(IHtmlDocument page, string filter) =>
        page.QuerySelector($"[data-testid=job-tabs] a[data-filter={filter}] [data-count]")?.TextContent;
}
