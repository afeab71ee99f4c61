using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>The service page's provisioning card, its live stream, and retrying a failed operation.</summary>
public sealed class ProvisioningPageTests : PortalTest
{
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromSeconds(20);

    public override Task InitializeAsync() => Portal.SeedFlavorAsync(ServiceTestData.Flavor, "sim-akamai", "sim-fastly");

    [Fact]
    public async Task The_service_page_shows_each_providers_operation_with_its_step_error_and_warnings()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.ChangeOperationAsync(id, "sim-akamai", o =>
        {
            // Three tries, the last two after a 503, and now the vendor is rolling the change out.
            o.Start(OperationStep.Applying, o.CreatedAt);
            o.CountAttempts(3);
            o.RetryAt(o.CreatedAt.AddSeconds(5), "HTTP 503 from the vendor", o.CreatedAt.AddSeconds(2));
            o.Start(OperationStep.Applying, o.CreatedAt.AddSeconds(5));
            o.Record("prp_4711", [], o.CreatedAt.AddSeconds(6));
            o.Poll(OperationStep.Deploying, o.CreatedAt.AddSeconds(15), o.CreatedAt.AddSeconds(6));
        }, s =>
        {
            s.ProviderServiceId = "prp_4711";
            s.Warnings = """["Geo restrictions are not supported by this product","Soft purge is emulated"]""";
            s.AccessUrls = """[{"domain":"www.shop.test","provider_url":"www.shop.test.edgesuite.net"}]""";
        });
        await Portal.FailAsync(id, "sim-fastly", "<b>Invalid backend</b>: origin.www.shop.test does not resolve");
        using var admin = await Portal.CreateAdminClientAsync();

        var page = await admin.GetPageAsync($"/services/{id}");

        var live = page.QuerySelector("#provisioning-live")!;
        Assert.Equal($"/services/{id}/progress/events?since=failed", live.GetAttribute("hx-sse:connect"));
        Assert.Equal("archived", live.GetAttribute("hx-sse:close"));
        var akamai = live.QuerySelector("tr[data-provider=sim-akamai]")!;
        Assert.Equal("running", akamai.GetAttribute("data-state"));
        Assert.Equal("deploy_in_progress", akamai.QuerySelector("[data-status]")!.TextContent);
        Assert.Equal("Deploying at the vendor", akamai.QuerySelector("[data-testid=operation-step]")!.TextContent);
        Assert.Equal("3", akamai.QuerySelector("[data-testid=operation-attempts]")!.TextContent);
        Assert.Equal("prp_4711", akamai.QuerySelector("[data-testid=vendor-id]")!.TextContent);
        Assert.Contains("www.shop.test.edgesuite.net", akamai.TextContent);
        Assert.Contains("Checked again", akamai.QuerySelector("[data-testid=next-attempt]")!.TextContent);
        var akamaiDetail = live.QuerySelector("tr[data-provider-detail=sim-akamai]")!;
        Assert.Equal(["Geo restrictions are not supported by this product", "Soft purge is emulated"],
            akamaiDetail.QuerySelectorAll("[data-testid=provider-warnings] li").Select(li => li.TextContent));
        Assert.Contains("Last error: HTTP 503 from the vendor", akamaiDetail.QuerySelector("[data-testid=provider-error]")!.TextContent);
        Assert.Null(akamaiDetail.QuerySelector("[data-testid=retry-form]"));

        var fastly = live.QuerySelector("tr[data-provider=sim-fastly]")!;
        Assert.Equal("failed", fastly.GetAttribute("data-state"));
        Assert.Equal("Done", fastly.QuerySelector("[data-testid=operation-step]")!.TextContent);
        Assert.Contains("took 3 s", fastly.QuerySelector("[data-testid=operation-timing]")!.TextContent);
        var fastlyError = live.QuerySelector("tr[data-provider-detail=sim-fastly] [data-testid=provider-error]")!;
        // The vendor's message in full, as text: markup in it is escaped, not rendered.
        Assert.Contains("Error: <b>Invalid backend</b>: origin.www.shop.test does not resolve", fastlyError.TextContent);
        Assert.Null(fastlyError.QuerySelector("b"));
        Assert.NotNull(live.QuerySelector("tr[data-provider-detail=sim-fastly] [data-testid=retry-form]"));
        Assert.Equal("failed", page.QuerySelector("#service-status [data-status]")!.TextContent);
    }

    [Fact]
    public async Task The_progress_stream_sends_the_card_then_again_after_a_change_and_says_when_the_service_is_gone()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        using var admin = await Portal.CreateAdminClientAsync();
        await admin.GetPageAsync($"/services/{id}"); // sets the antiforgery cookie, as the browser has it
        using var timeout = new CancellationTokenSource(StreamTimeout);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/services/{id}/progress/events?since=create_in_progress");
        request.Headers.Add("HX-Request", "true");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await admin.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("no-cache", response.Headers.CacheControl!.ToString());
        var events = new ProvisioningTestData.EventReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        var first = (await events.NextAsync(timeout.Token))!.Value;
        Assert.Null(first.Type);
        var card = PortalClient.Parse(first.Data);
        Assert.Equal("queued", card.QuerySelector("tr[data-provider=sim-fastly]")!.GetAttribute("data-state"));
        Assert.Equal("create_in_progress", card.QuerySelector("#service-status[hx-swap-oob] [data-status]")!.TextContent);
        Assert.Null(card.QuerySelector("[data-testid=status-changed]"));

        await Portal.ChangeOperationAsync(id, "sim-fastly", o =>
        {
            o.Start(OperationStep.Applying, o.CreatedAt);
            o.CountAttempts(1);
            o.Succeed(o.CreatedAt.AddSeconds(1));
        }, s => s.Status = ProviderStatus.Deployed);
        var second = (await events.NextAsync(timeout.Token))!.Value;
        var updated = PortalClient.Parse(second.Data);
        Assert.Equal("succeeded", updated.QuerySelector("tr[data-provider=sim-fastly]")!.GetAttribute("data-state"));
        Assert.Equal("deployed", updated.QuerySelector("tr[data-provider=sim-fastly] [data-status]")!.TextContent);
        Assert.Equal("queued", updated.QuerySelector("tr[data-provider=sim-akamai]")!.GetAttribute("data-state"));

        // The other provider fails too: the overall status changes, and the card says the page's actions are out of date.
        await Portal.FailAsync(id, "sim-akamai", "401 Unauthorized");
        var third = PortalClient.Parse((await events.NextAsync(timeout.Token))!.Value.Data);
        Assert.Equal("failed", third.QuerySelector("#service-status[hx-swap-oob] [data-status]")!.TextContent);
        Assert.Contains("The service is now failed", third.QuerySelector("[data-testid=status-changed]")!.TextContent);

        // Deleted everywhere (archived): the stream says so, sends the closing event and ends.
        await Portal.ChangeOperationAsync(id, "sim-fastly", _ => { }, service: s => s.ArchivedAt = s.UpdatedAt);
        var gone = (await events.NextAsync(timeout.Token))!.Value;
        Assert.NotNull(PortalClient.Parse(gone.Data).QuerySelector("[data-testid=service-archived]"));
        var closing = (await events.NextAsync(timeout.Token))!.Value;
        Assert.Equal("archived", closing.Type);
        Assert.Null(await events.NextAsync(timeout.Token));
    }

    [Fact]
    public async Task The_progress_stream_is_only_for_members_of_the_services_project()
    {
        await Portal.CreateProjectAsync("beta");
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        var password = await Portal.CreateUserAsync("outsider@test.local", PortalRoles.Operator, "beta");
        using var outsider = Portal.CreatePortalClient();
        await outsider.SignInOrFailAsync("outsider@test.local", password);
        using var viewer = await Portal.CreateSignedInClientAsync(PortalRoles.Viewer);

        using var refused = await outsider.Http.GetAsync($"/services/{id}/progress/events", HttpCompletionOption.ResponseHeadersRead);
        using var unknown = await viewer.Http.GetAsync($"/services/{Guid.NewGuid()}/progress/events", HttpCompletionOption.ResponseHeadersRead);
        using var member = await viewer.Http.GetAsync($"/services/{id}/progress/events", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.OK, member.StatusCode);
        using var timeout = new CancellationTokenSource(StreamTimeout);
        var first = (await new ProvisioningTestData.EventReader(await member.Content.ReadAsStreamAsync(timeout.Token)).NextAsync(timeout.Token))!.Value;
        // A viewer sees the progress but gets no retry buttons.
        Assert.NotNull(PortalClient.Parse(first.Data).QuerySelector("tr[data-provider=sim-fastly]"));
        Assert.Null(PortalClient.Parse(first.Data).QuerySelector("[data-testid=retry-form]"));
    }

    [Fact]
    public async Task Retry_requeues_a_failed_operation_and_the_page_says_so()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.FailAsync(id, "sim-fastly", "403 Forbidden: bad API token");
        var failed = (await Portal.OperationsAsync(id)).Single(o => o.ProviderName == "sim-fastly");
        using var operatorClient = await Portal.CreateSignedInClientAsync(PortalRoles.Operator);

        using var retried = await operatorClient.SubmitFormAsync($"/services/{id}", new Dictionary<string, string>(),
            $"/jobs/operations/{failed.Id}/retry");

        Assert.Equal(HttpStatusCode.Redirect, retried.StatusCode);
        Assert.Equal($"/services/{id}?retried={failed.Id}", retried.Headers.Location!.ToString());
        var operation = (await Portal.OperationsAsync(id)).Single(o => o.Id == failed.Id);
        Assert.Equal(OperationState.Queued, operation.State);
        Assert.Equal(0, operation.Attempts);
        var service = (await Portal.FindServiceAsync(id))!;
        Assert.Equal(ProviderStatus.DeployInProgress, service.Providers.Single(p => p.ProviderName == "sim-fastly").Status);
        var page = await operatorClient.GetPageAsync(retried.Headers.Location!.ToString());
        Assert.Contains("queued again", page.QuerySelector("[data-testid=notice]")!.TextContent);
        Assert.Equal("queued", page.QuerySelector("tr[data-provider=sim-fastly]")!.GetAttribute("data-state"));
        Assert.Null(page.QuerySelector("[data-testid=retry-form]"));

        // Again, now that it is queued: refused, with the reason shown on the page.
        using var again = await operatorClient.PostWithTokenAsync($"/jobs/operations/{failed.Id}/retry",
            new Dictionary<string, string> { ["returnUrl"] = $"/services/{id}" });
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        var refusedPage = await operatorClient.GetPageAsync(again.Headers.Location!.ToString());
        Assert.Contains("Could not retry: Only a failed operation can be retried.", refusedPage.QuerySelector(".alert-danger")!.TextContent);
    }

    [Fact]
    public async Task Retry_is_refused_to_viewers_to_other_projects_and_without_a_token()
    {
        await Portal.CreateProjectAsync("beta");
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.FailAsync(id, "sim-fastly", "403 Forbidden: bad API token");
        var failed = (await Portal.OperationsAsync(id)).Single(o => o.ProviderName == "sim-fastly");
        var path = $"/jobs/operations/{failed.Id}/retry";
        var fields = new Dictionary<string, string> { ["returnUrl"] = $"/services/{id}" };
        using var viewer = await Portal.CreateSignedInClientAsync(PortalRoles.Viewer);
        var password = await Portal.CreateUserAsync("outsider@test.local", PortalRoles.Operator, "beta");
        using var outsider = Portal.CreatePortalClient();
        await outsider.SignInOrFailAsync("outsider@test.local", password);
        using var admin = await Portal.CreateAdminClientAsync();

        using var byViewer = await viewer.PostWithTokenAsync(path, fields);
        using var byOutsider = await outsider.PostWithTokenAsync(path, fields);
        using var withoutToken = await admin.PostAsync(path, fields);

        Assert.Equal(HttpStatusCode.Forbidden, byViewer.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byOutsider.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        Assert.Equal(OperationState.Failed, (await Portal.OperationsAsync(id)).Single(o => o.Id == failed.Id).State);
        // The viewer's page has no retry button at all.
        Assert.Null((await viewer.GetPageAsync($"/services/{id}")).QuerySelector("[data-testid=retry-form]"));
    }

    [Fact]
    public async Task Remove_without_the_vendor_waits_for_the_other_providers_and_is_offered_only_for_a_failed_removal()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.FailAsync(id, "sim-fastly", "401 Unauthorized");
        using var admin = await Portal.CreateAdminClientAsync();
        // A failed create is retried, not given up on.
        Assert.Null((await admin.GetPageAsync($"/services/{id}")).QuerySelector("[data-testid=abandon-form]"));

        var projectId = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<ServiceCatalog>().DeleteAsync(projectId, id, CancellationToken.None)).Succeeded);
        }
        await Portal.FailAsync(id, "sim-fastly", "401 Unauthorized");
        var removal = (await Portal.OperationsAsync(id)).Last(o => o.ProviderName == "sim-fastly");
        Assert.Equal(OperationKind.Delete, removal.Kind);

        // Akamai's removal is still queued: the decision waits for it.
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var (early, archived) = await scope.ServiceProvider.GetRequiredService<ProvisioningOperations>()
                .AbandonAsync(projectId, removal.Id, "Account closed", CancellationToken.None);
            Assert.False(early.Succeeded);
            Assert.False(archived);
            Assert.Contains("Other providers are still working", Assert.Single(early.Errors).Message);
        }
        var form = (await admin.GetPageAsync($"/services/{id}")).QuerySelector("tr[data-provider-detail=sim-fastly] [data-testid=abandon-form]");
        Assert.NotNull(form);

        // Akamai removed it; now Fastly's removal is given up on, and the service is gone.
        await Portal.ChangeOperationAsync(id, "sim-akamai", o => { o.Start(OperationStep.Removing, o.CreatedAt); o.Succeed(o.CreatedAt.AddSeconds(1)); });
        using var given = await admin.SubmitFormAsync($"/services/{id}", new Dictionary<string, string> { ["reason"] = "Account closed" }, form.GetAttribute("action"));
        Assert.Equal(HttpStatusCode.Redirect, given.StatusCode);
        Assert.Contains("abandoned=", given.Headers.Location!.OriginalString);
        Assert.NotNull((await Portal.AllServicesAsync()).Single(s => s.Id == id).ArchivedAt);
    }
}
