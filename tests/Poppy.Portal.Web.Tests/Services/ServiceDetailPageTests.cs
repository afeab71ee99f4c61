using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.Services;
using Poppy.Portal.Web.Tests.Provisioning;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>The service page on the interactive circuit: settings, provider blocks, the live card and the actions by role.</summary>
public sealed class ServiceDetailPageTests : LivePageTest
{
    public override async Task InitializeAsync()
    {
        await Portal.SeedFlavorAsync(ServiceTestData.Flavor, "sim-akamai", "sim-fastly");
        await base.InitializeAsync();
    }

    private static ServiceSpec FullSpec()
    {
        var spec = ServiceTestData.Spec("Shop", "www.shop.test");
        spec.Domains.Add(new DomainSpec { Domain = "static.shop.test" });
        spec.Origins[0].Rules.Add(new RuleSpec { Name = "images", RequestUrl = "/images/*" });
        spec.Caching.Add(new CachingRuleSpec { Name = "all", Ttl = 3600, Rules = [new RuleSpec { Name = "everything", RequestUrl = "/*" }] });
        spec.Restrictions.Add(new RestrictionSpec
        {
            Name = "partners", Access = RestrictionAccess.Whitelist, Rules = [new RestrictionRuleSpec { Name = "partner", Referrer = "partner.test", RequestUrl = "/private/*" }],
        });
        return spec;
    }

    [Fact]
    public async Task The_page_shows_the_settings_each_providers_progress_and_each_domains_cname_target_with_a_copy_button()
    {
        var id = await Portal.CreateServiceAsync(FullSpec());
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
        var clipboard = JSInterop.SetupModule("./Features/Services/DomainTargets.razor.js");
        clipboard.SetupVoid("copyText", "www.shop.test.edgesuite.net").SetVoidResult();

        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));

        page.WaitForAssertion(() => Assert.Equal("Shop", page.Find("h1").TextContent.Trim()), Patience);
        Assert.Equal("failed", page.Find("[data-testid=service-status] [data-status]").TextContent);
        // Settings.
        Assert.Equal("1 hour (3600 s)", page.Find("[data-caching=all] [data-ttl]").TextContent);
        Assert.Contains("/images/*", page.Find("[data-origin='origin.www.shop.test']").TextContent);
        Assert.Contains("partner.test", page.Find("[data-restriction=partners]").TextContent);
        Assert.Equal(ServiceTestData.Flavor, page.Find("[data-testid=flavor]").TextContent);
        // Steering and the providers' performance have their own components (SteeringComponentTests); the page holds them.
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=steering-panel]")), Patience);
        Assert.NotNull(page.FindComponent<Web.Features.Steering.ServicePerformanceChart>());
        // The providers.
        var akamai = page.Find("[data-testid=provisioning] [data-provider=sim-akamai]");
        Assert.Equal("running", akamai.GetAttribute("data-state"));
        Assert.Equal("deploy_in_progress", akamai.QuerySelector("[data-status]")!.TextContent);
        Assert.Equal("Deploying at the vendor", akamai.QuerySelector("[data-testid=operation-step]")!.TextContent);
        Assert.Equal("3", akamai.QuerySelector("[data-testid=operation-attempts]")!.TextContent);
        Assert.Equal("prp_4711", akamai.QuerySelector("[data-testid=vendor-id]")!.TextContent);
        Assert.Contains("www.shop.test.edgesuite.net", akamai.QuerySelector("[data-testid=access-urls]")!.TextContent);
        Assert.Contains("Checked again", akamai.QuerySelector("[data-testid=next-attempt]")!.TextContent);
        Assert.Equal(["Geo restrictions are not supported by this product", "Soft purge is emulated"],
            akamai.QuerySelectorAll("[data-testid=provider-warnings] li").Select(li => li.TextContent));
        Assert.Contains("Last error: HTTP 503 from the vendor", akamai.QuerySelector("[data-testid=provider-error]")!.TextContent);
        Assert.Null(akamai.QuerySelector("[data-testid=retry]"));
        var fastly = page.Find("[data-testid=provisioning] [data-provider=sim-fastly]");
        Assert.Equal("failed", fastly.GetAttribute("data-state"));
        Assert.Contains("took 3 s", fastly.QuerySelector("[data-testid=operation-timing]")!.TextContent);
        // The vendor's message in full, as text: markup in it is escaped, not rendered.
        var error = fastly.QuerySelector("[data-testid=provider-error]")!;
        Assert.Contains("Error: <b>Invalid backend</b>: origin.www.shop.test does not resolve", error.TextContent);
        Assert.Null(error.QuerySelector("b:not(:first-child)"));
        Assert.NotNull(fastly.QuerySelector("[data-testid=retry]"));
        // A failed create is retried, not given up on: no "remove without the vendor".
        Assert.Empty(page.FindAll("[data-testid=abandon]"));

        // Per domain, each provider's CNAME target, copied through the page's JS module.
        var www = page.Find("[data-domain='www.shop.test']");
        Assert.Equal("www.shop.test.edgesuite.net", www.QuerySelector("[data-provider=sim-akamai] [data-testid=cname-target]")!.TextContent);
        Assert.Null(www.QuerySelector("[data-provider=sim-fastly]"));
        Assert.NotNull(page.Find("[data-domain='static.shop.test'] [data-testid=no-target]"));
        await www.QuerySelector("[data-testid=copy-target]")!.ClickAsync(new());
        clipboard.VerifyInvoke("copyText");
        WaitForSnackbar("Copied www.shop.test.edgesuite.net");
    }

    [Fact]
    public async Task The_live_card_and_the_whole_page_follow_provisioning_events_until_the_service_is_deployed()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.Equal("queued", page.Find("[data-provider=sim-fastly]").GetAttribute("data-state")), Patience);
        Assert.True(page.Find("[data-testid=edit]").HasAttribute("disabled"));
        Assert.Contains("create_in_progress; it can be edited once it is deployed or has failed", page.Find("[data-testid=edit-blocked]").TextContent);
        Assert.True(page.Find("[data-testid=purge]").HasAttribute("disabled"));
        Assert.NotNull(page.Find("[data-testid=live]"));

        // Provisioning (through the real ProvisioningEvents) finishes Fastly: the card changes without a reload. (The
        // page's poll does not run in these tests unless they tick its timers: this came through the event.)
        await Portal.ChangeOperationAsync(id, "sim-fastly", o =>
        {
            o.Start(OperationStep.Applying, o.CreatedAt);
            o.CountAttempts(1);
            o.Succeed(o.CreatedAt.AddSeconds(1));
        }, s =>
        {
            s.Status = ProviderStatus.Deployed;
            s.AccessUrls = """[{"domain":"www.shop.test","provider_url":"shop.global.fastly.test"}]""";
        });
        page.WaitForAssertion(() =>
        {
            Assert.Equal("succeeded", page.Find("[data-provider=sim-fastly]").GetAttribute("data-state"));
            Assert.Equal("shop.global.fastly.test", page.Find("[data-domain='www.shop.test'] [data-provider=sim-fastly] [data-testid=cname-target]").TextContent);
        }, Patience);
        Assert.Equal("queued", page.Find("[data-provider=sim-akamai]").GetAttribute("data-state"));
        Assert.True(page.Find("[data-testid=edit]").HasAttribute("disabled"));

        // Akamai too: the badge, Edit, Purge and the live marker all follow; no "reload the page".
        await Portal.ChangeOperationAsync(id, "sim-akamai", o =>
        {
            o.Start(OperationStep.Applying, o.CreatedAt);
            o.Succeed(o.CreatedAt.AddSeconds(2));
        }, s => s.Status = ProviderStatus.Deployed);
        page.WaitForAssertion(() => Assert.Equal("deployed", page.Find("[data-testid=service-status] [data-status]").TextContent), Patience);
        Assert.False(page.Find("[data-testid=edit]").HasAttribute("disabled"));
        Assert.False(page.Find("[data-testid=purge]").HasAttribute("disabled"));
        Assert.False(page.Find("[data-testid=delete]").HasAttribute("disabled"));
        Assert.Empty(page.FindAll("[data-testid=edit-blocked]"));
        Assert.Empty(page.FindAll("[data-testid=live]"));
        Assert.DoesNotContain("Reload", page.Markup);
    }

    [Fact]
    public async Task Changes_made_by_another_node_arrive_with_the_poll_while_work_is_open()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.Equal("queued", page.Find("[data-provider=sim-fastly]").GetAttribute("data-state")), Patience);

        // Another portal node's provisioning: stored in the shared database, no event in this process.
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var db = scope.ServiceProvider.GetRequiredService<Core.Data.PortalDbContext>();
            var operation = db.Set<ProvisioningOperation>().Single(o => o.ServiceId == id && o.ProviderName == "sim-fastly");
            operation.Start(OperationStep.Applying, operation.CreatedAt);
            operation.Succeed(operation.CreatedAt.AddSeconds(1));
            await db.SaveChangesAsync();
        }
        Assert.Equal("queued", page.Find("[data-provider=sim-fastly]").GetAttribute("data-state"));

        Timers.Tick();

        page.WaitForAssertion(() => Assert.Equal("succeeded", page.Find("[data-provider=sim-fastly]").GetAttribute("data-state")), Patience);
    }

    [Fact]
    public async Task Purge_with_an_empty_path_asks_first_and_a_path_is_checked_as_the_api_checks_it()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.SetServiceStatusAsync(id, ProviderStatus.Deployed);
        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=purge]").HasAttribute("disabled")), Patience);

        // An invalid path: the reason at the field, nothing purged.
        page.Find("[data-testid=purge-path] input").Input("/a path");
        await page.Find("[data-testid=purge]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("url must be an ASCII path", page.Find("[data-testid=purge-form]").TextContent), Patience);
        page.Find("[data-testid=purge-path] input").Input("/../www.victim.example.com/page.html");
        await page.Find("[data-testid=purge]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("no '.' or '..' segments", page.Find("[data-testid=purge-form]").TextContent), Patience);
        Assert.Equal(0, await Portal.PurgeCountAsync(id));

        // Empty: everything, but only after a confirmation; cancelling purges nothing.
        page.Find("[data-testid=purge-path] input").Input("  ");
        var asking = page.Find("[data-testid=purge]").ClickAsync(new());
        DialogHost.WaitForAssertion(() => Assert.Contains("Purge everything?", DialogHost.Markup), Patience);
        await AnswerDialogAsync("Cancel");
        await asking;
        Assert.Equal(0, await Portal.PurgeCountAsync(id));
        var confirmed = page.Find("[data-testid=purge]").ClickAsync(new());
        await AnswerDialogAsync("Purge everything");
        await confirmed;
        WaitForSnackbar("purge of everything was requested");
        var purge = await Portal.SinglePurgeAsync(id);
        Assert.Null(purge.Url);
        Assert.False(purge.Hard);
        // The purge is listed with each provider's state.
        page.WaitForAssertion(() => Assert.Equal("everything", page.Find($"[data-purge='{purge.Id}'] [data-testid=purge-url]").TextContent), Patience);
        Assert.Equal("queued", page.Find($"[data-purge='{purge.Id}'] [data-purge-provider=sim-fastly]").GetAttribute("data-state"));
    }

    [Fact]
    public async Task A_hard_purge_of_a_path_needs_no_confirmation()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.SetServiceStatusAsync(id, ProviderStatus.Deployed);
        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=purge]").HasAttribute("disabled")), Patience);

        page.Find("[data-testid=purge-path] input").Input("/images/*");
        await page.FindAll("[data-testid=purge-mode] input[type=radio]")[1].ClickAsync(new());
        await page.Find("[data-testid=purge]").ClickAsync(new());

        WaitForSnackbar("hard purge of /images/* was requested");
        Assert.DoesNotContain("Purge everything?", DialogHost.Markup);
        var purge = await Portal.SinglePurgeAsync(id);
        Assert.Equal(("/images/*", true), (purge.Url, purge.Hard));
    }

    [Fact]
    public async Task Delete_asks_in_a_dialog_then_the_service_is_delete_in_progress_and_the_page_says_so()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=delete]")), Patience);

        var deleting = page.Find("[data-testid=delete]").ClickAsync(new());
        DialogHost.WaitForAssertion(() => Assert.Contains("Delete Shop?", DialogHost.Markup), Patience);
        Assert.Equal(ServiceStatus.CreateInProgress, (await Portal.FindServiceAsync(id))!.Status);
        await AnswerDialogAsync("Delete");
        await deleting;

        WaitForSnackbar("Deletion of Shop was requested.");
        Assert.Equal(ServiceStatus.DeleteInProgress, (await Portal.FindServiceAsync(id))!.Status);
        page.WaitForAssertion(() => Assert.Equal("delete_in_progress", page.Find("[data-testid=service-status] [data-status]").TextContent), Patience);
        Assert.Contains("stays listed as delete_in_progress", page.Find("[data-testid=deleting]").TextContent);
        Assert.Contains("being deleted", page.Find("[data-testid=edit-blocked]").TextContent);
        Assert.True(page.Find("[data-testid=delete]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task A_viewer_sees_the_progress_and_no_write_action()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.FailAsync(id, "sim-fastly", "403 Forbidden: bad API token");
        await SignInAsNewUserAsync(PortalRoles.Viewer);

        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-provider=sim-fastly]")), Patience);
        foreach (var action in new[] { "service-actions", "edit", "delete", "purge-form", "set-status-form", "retry", "abandon", "edit-blocked" })
        {
            Assert.Empty(page.FindAll($"[data-testid={action}]"));
        }
        Assert.NotNull(page.Find("[data-testid=copy-target], [data-testid=no-target]"));
    }

    [Fact]
    public async Task An_operator_may_retry_and_purge_but_not_set_the_status()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.FailAsync(id, "sim-fastly", "403 Forbidden: bad API token");
        await SignInAsNewUserAsync(PortalRoles.Operator);

        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=service-actions]")), Patience);
        Assert.NotNull(page.Find("[data-provider=sim-fastly] [data-testid=retry]"));
        Assert.NotNull(page.Find("[data-testid=purge-form]"));
        Assert.Empty(page.FindAll("[data-testid=set-status-form]"));
        Assert.False(page.Find("[data-testid=edit]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task Retry_requeues_a_failed_operation_and_the_card_shows_it_queued()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.FailAsync(id, "sim-fastly", "403 Forbidden: bad API token");
        var failed = (await Portal.OperationsAsync(id)).Single(o => o.ProviderName == "sim-fastly");
        await SignInAsNewUserAsync(PortalRoles.Operator);
        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-provider=sim-fastly] [data-testid=retry]")), Patience);

        await page.Find("[data-provider=sim-fastly] [data-testid=retry]").ClickAsync(new());

        WaitForSnackbar("queued again");
        var operation = (await Portal.OperationsAsync(id)).Single(o => o.Id == failed.Id);
        Assert.Equal((OperationState.Queued, 0), (operation.State, operation.Attempts));
        Assert.Equal(ProviderStatus.DeployInProgress, (await Portal.FindServiceAsync(id))!.Providers.Single(p => p.ProviderName == "sim-fastly").Status);
        page.WaitForAssertion(() => Assert.Equal("queued", page.Find("[data-provider=sim-fastly]").GetAttribute("data-state")), Patience);
        Assert.Empty(page.FindAll("[data-testid=retry]"));
        Assert.Equal("create_in_progress", page.Find("[data-testid=service-status] [data-status]").TextContent);
    }

    [Fact]
    public async Task An_admin_sets_the_status_after_a_confirmation_and_edit_is_enabled()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.True(page.Find("[data-testid=edit]").HasAttribute("disabled")), Patience);
        Assert.Contains("an administrator can also set the status", page.Find("[data-testid=edit-blocked]").TextContent);

        var setting = page.Find("[data-testid=set-status]").ClickAsync(new());
        await AnswerDialogAsync("Set status");
        await setting;

        WaitForSnackbar("Status set to deployed on every provider.");
        Assert.Equal(ServiceStatus.Deployed, (await Portal.FindServiceAsync(id))!.Status);
        page.WaitForAssertion(() => Assert.False(page.Find("[data-testid=edit]").HasAttribute("disabled")), Patience);
        await page.Find("[data-testid=edit]").ClickAsync(new());
        Assert.EndsWith($"/services/{id}/edit", Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri);
    }

    [Fact]
    public async Task An_admin_removes_a_failed_removal_without_the_vendor_through_a_dialog_once_the_others_are_done()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        var projectId = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        Assert.True((await AsSystemAsync<ServiceCatalog, CatalogResult>(c => c.DeleteAsync(projectId, id, CancellationToken.None))).Succeeded);
        await Portal.FailAsync(id, "sim-fastly", "401 Unauthorized");
        await Portal.ChangeOperationAsync(id, "sim-akamai", o => { o.Start(OperationStep.Removing, o.CreatedAt); o.Succeed(o.CreatedAt.AddSeconds(1)); });
        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-provider=sim-fastly] [data-testid=abandon]")), Patience);
        Assert.Empty(page.FindAll("[data-provider=sim-akamai] [data-testid=abandon]"));

        var abandoning = page.Find("[data-provider=sim-fastly] [data-testid=abandon]").ClickAsync(new());
        DialogHost.WaitForAssertion(() => Assert.NotNull(DialogHost.Find("[data-testid=abandon-dialog], .mud-dialog")), Patience);
        Assert.True(DialogHost.Find("[data-testid=abandon-confirm]").HasAttribute("disabled"));
        DialogHost.Find("[data-testid=abandon-reason] input").Input("Account closed");
        await DialogHost.Find("[data-testid=abandon-confirm]").ClickAsync(new());
        await abandoning;

        WaitForSnackbar("so it is gone");
        Assert.NotNull((await Portal.AllServicesAsync()).Single(s => s.Id == id).ArchivedAt);
        Assert.EndsWith("/jobs?filter=all", Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri);
    }
}
