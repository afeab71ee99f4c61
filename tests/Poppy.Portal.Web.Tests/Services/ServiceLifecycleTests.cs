using System.Net;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;

using Poppy.Portal.Web.Tests.Provisioning;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>Editing a service through its form, who may, and project isolation (the service page's actions: ServiceDetailPageTests).</summary>
public sealed class ServiceLifecycleTests : PortalTest
{
    private const string Action = "Input.Action";

    public override Task InitializeAsync() => Portal.SeedFlavorAsync();

    [Fact]
    public async Task A_service_being_created_cannot_be_edited_and_the_pages_say_why()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        using var admin = await Portal.CreateAdminClientAsync();

        var editPage = await admin.GetPageAsync($"/services/{id}/edit");
        Assert.Contains("create_in_progress", editPage.QuerySelector("[data-testid=edit-blocked]")!.TextContent);
        Assert.True(editPage.QuerySelector("[data-testid=save-service]")!.HasAttribute("disabled"));

        // A post anyway (the button is only disabled in the browser) is refused by the catalog, and says so.
        var before = (await Portal.FindServiceAsync(id))!.Document;
        var page = await BrowserForm.From(editPage, "#service-form").Set("Input.Name", "Renamed").SubmitForPageAsync(admin, Action, "save");
        Assert.Contains("is create_in_progress; it can be changed once it is deployed or has failed", page.QuerySelector("[data-testid=form-message]")!.TextContent);
        Assert.Equal(before, (await Portal.FindServiceAsync(id))!.Document);
    }

    [Fact]
    public async Task After_an_admin_sets_it_deployed_the_service_can_be_edited()
    {
        var spec = ServiceTestData.Spec("Shop", "www.shop.test");
        spec.Domains.Add(new DomainSpec { Domain = "static.shop.test" });
        spec.Caching.Add(new CachingRuleSpec { Name = "all", Ttl = 3600 });
        var id = await Portal.CreateServiceAsync(spec);
        using var admin = await Portal.CreateAdminClientAsync();

        // The service page's set-status (ServiceDetailPageTests) calls this.
        await Portal.SetServiceStatusAsync(id, ProviderStatus.Deployed);

        var form = BrowserForm.From(await admin.GetPageAsync($"/services/{id}/edit"), "#service-form");
        Assert.Equal("3600", form["Input.Caching[0].Ttl"]);
        var page = await form.Set("Input.Caching[0].Ttl", "7200").SubmitForPageAsync(admin, Action, "remove-domain:1");
        using var saved = await BrowserForm.From(page, "#service-form").SubmitAsync(admin, Action, "save");

        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.EndsWith($"/services/{id}?updated=1", saved.Headers.Location!.ToString());
        var stored = (await Portal.FindServiceAsync(id))!;
        Assert.Equal(ServiceStatus.UpdateInProgress, stored.Status);
        Assert.Equal(["www.shop.test"], stored.Domains.Select(d => d.Domain));
        Assert.Equal(7200, stored.ReadSpec().Caching.Single().Ttl);
        var updated = await admin.GetPageAsync($"/services/{id}?updated=1");
        Assert.Equal("2 hours (7200 s)", updated.QuerySelector("[data-caching=all] [data-ttl]")!.TextContent);
    }

    [Fact]
    public async Task Saving_an_edit_that_changes_nothing_queues_no_update_and_says_so()
    {
        var spec = ServiceTestData.Spec("Shop", "www.shop.test");
        spec.Domains.Add(new DomainSpec { Domain = "static.shop.test" });
        spec.Caching.Add(new CachingRuleSpec { Name = "all", Ttl = 3600, Rules = [new RuleSpec { Name = "everything", RequestUrl = "/*" }] });
        var id = await Portal.CreateServiceAsync(spec);
        await Portal.SetServiceStatusAsync(id, ProviderStatus.Deployed);
        var operations = (await Portal.OperationsAsync(id)).Count;
        var stored = (await Portal.FindServiceAsync(id))!;
        using var admin = await Portal.CreateAdminClientAsync();

        using var saved = await BrowserForm.From(await admin.GetPageAsync($"/services/{id}/edit"), "#service-form").SubmitAsync(admin, Action, "save");

        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.EndsWith($"/services/{id}?unchanged=1", saved.Headers.Location!.ToString());
        var after = (await Portal.FindServiceAsync(id))!;
        Assert.Equal((ServiceStatus.Deployed, stored.Document, stored.Version), (after.Status, after.Document, after.Version));
        Assert.Equal(operations, (await Portal.OperationsAsync(id)).Count);
    }

    [Fact]
    public async Task Another_projects_service_is_not_found_and_posts_to_it_change_nothing()
    {
        await Portal.CreateProjectAsync("beta");
        var theirs = await Portal.CreateServiceAsync(ServiceTestData.Spec("Theirs", "www.theirs.test"), "beta");
        using var admin = await Portal.CreateAdminClientAsync(); // working in alpha

        foreach (var path in new[] { $"/services/{theirs}", $"/services/{theirs}/edit", $"/services/{Guid.NewGuid()}" })
        {
            using var response = await admin.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { "Accept", "text/html" } } });
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"GET {path} answered {(int)response.StatusCode}");
            Assert.Contains("Page not found", await response.Content.ReadAsStringAsync());
        }

        var posts = new (string Path, Dictionary<string, string> Fields)[]
        {
            ($"/services/{theirs}?delete=confirm", new() { ["_handler"] = "delete-service" }),
            ($"/services/{theirs}", new() { ["_handler"] = "set-status", ["NewStatus.Status"] = "deployed" }),
            ($"/services/{theirs}", new() { ["_handler"] = "purge-service", ["Purge.Url"] = "all" }),
            ($"/services/{theirs}/edit", new() { ["_handler"] = "service", [Action] = "save", ["Input.Name"] = "Hijacked",
                ["Input.FlavorId"] = ServiceTestData.Flavor, ["Input.Domains[0].Domain"] = "www.theirs.test", ["Input.Origins[0].Origin"] = "origin.theirs.test" }),
        };
        foreach (var (path, fields) in posts)
        {
            using var response = await admin.PostWithTokenAsync(path, fields);
            Assert.True(response.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.OK), $"POST {path} ({fields["_handler"]}) answered {(int)response.StatusCode}");
        }
        var stored = (await Portal.FindServiceAsync(theirs))!;
        Assert.Equal(ServiceStatus.CreateInProgress, stored.Status);
        Assert.Equal("Theirs", stored.Name);
        Assert.Equal(0, await Portal.PurgeCountAsync(theirs));
    }

    [Fact]
    public async Task A_viewer_sees_no_change_buttons_and_cannot_post()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        await Portal.SetServiceStatusAsync(id, ProviderStatus.Deployed);
        var password = await Portal.CreateUserAsync("viewer@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        using var viewer = Portal.CreatePortalClient();
        await viewer.SignInOrFailAsync("viewer@test.local", password);

        var list = await viewer.GetPageAsync("/services");
        Assert.NotNull(list.QuerySelector("[data-service=Shop]"));
        Assert.Null(list.QuerySelector("[data-testid=create-service]"));
        Assert.Null(list.QuerySelector("a[href='/services/new']"));

        using var newPage = await viewer.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/services/new") { Headers = { { "Accept", "text/html" } } });
        Assert.Equal(HttpStatusCode.Redirect, newPage.StatusCode);
        Assert.Contains("/account/access-denied", newPage.Headers.Location!.ToString());
        // The service page offers a viewer no write action (ServiceDetailPageTests); the services refuse them (authorization matrix).
    }
}
