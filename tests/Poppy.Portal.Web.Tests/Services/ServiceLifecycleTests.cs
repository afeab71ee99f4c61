using System.Net;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;

using Poppy.Portal.Web.Tests.Provisioning;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>Detail page actions (set status, edit, delete, purge), who may use them, and project isolation.</summary>
public sealed class ServiceLifecycleTests : PortalTest
{
    private const string Action = "Input.Action";

    public override Task InitializeAsync() => Portal.SeedFlavorAsync();

    [Fact]
    public async Task Delete_asks_for_confirmation_then_marks_the_service_delete_in_progress()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        using var admin = await Portal.CreateAdminClientAsync();

        var detail = await admin.GetPageAsync($"/services/{id}");
        var deleteLink = detail.QuerySelector("[data-testid=service-actions] a.btn-outline-danger")!;
        Assert.Equal($"/services/{id}?delete=confirm", deleteLink.GetAttribute("href"));
        Assert.Equal("#delete-confirm", deleteLink.GetAttribute("hx-target"));
        Assert.Null(detail.QuerySelector("input[name=_handler][value=delete-service]"));
        Assert.Equal(ServiceStatus.CreateInProgress, (await Portal.FindServiceAsync(id))!.Status);

        using var deleted = await admin.SubmitFormAsync($"/services/{id}?delete=confirm", new Dictionary<string, string>(), "delete-service");

        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.EndsWith($"/services/{id}?deleted=1", deleted.Headers.Location!.ToString());
        Assert.Equal(ServiceStatus.DeleteInProgress, (await Portal.FindServiceAsync(id))!.Status);
        var after = await admin.GetPageAsync($"/services/{id}?deleted=1");
        Assert.Contains("stays listed as delete_in_progress", after.QuerySelector("[data-testid=deleting]")!.TextContent);
        Assert.Equal("delete_in_progress", after.QuerySelector("h1 [data-status]")!.TextContent);
        Assert.Contains("being deleted", after.QuerySelector("[data-testid=edit-blocked]")!.TextContent);
        var list = await admin.GetPageAsync("/services");
        Assert.Equal("delete_in_progress", list.QuerySelector("[data-service=Shop] [data-status]")!.TextContent);
    }

    [Fact]
    public async Task Purge_is_offered_only_for_a_deployed_service_and_records_the_request()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        using var admin = await Portal.CreateAdminClientAsync();
        Assert.True((await admin.GetPageAsync($"/services/{id}")).QuerySelector("[data-testid=purge-form] fieldset")!.HasAttribute("disabled"));

        await Portal.SetServiceStatusAsync(id, ProviderStatus.Deployed);
        Assert.False((await admin.GetPageAsync($"/services/{id}")).QuerySelector("[data-testid=purge-form] fieldset")!.HasAttribute("disabled"));
        using var invalidPath = await admin.SubmitFormAsync($"/services/{id}", new Dictionary<string, string> { ["Purge.Url"] = "/a path" }, "purge-service");
        Assert.Equal(HttpStatusCode.OK, invalidPath.StatusCode);
        Assert.Contains("url must be an ASCII path", await invalidPath.Content.ReadAsStringAsync());
        Assert.Equal(0, await Portal.PurgeCountAsync(id));

        using var purged = await admin.SubmitFormAsync($"/services/{id}", new Dictionary<string, string> { ["Purge.Url"] = "/images/*", ["Purge.Mode"] = "hard" }, "purge-service");

        Assert.Equal(HttpStatusCode.Redirect, purged.StatusCode);
        var purge = await Portal.SinglePurgeAsync(id);
        Assert.Equal("/images/*", purge.Url);
        Assert.True(purge.Hard);
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

        // The list's and the form's Viewer rules are bUnit tests now (ServicesPageTests, ServiceEditorPageTests).
        var detail = await viewer.GetPageAsync($"/services/{id}");
        Assert.NotNull(detail.QuerySelector("[data-testid=providers-table]"));
        Assert.Null(detail.QuerySelector("[data-testid=service-actions]"));
        Assert.Empty(detail.QuerySelectorAll("main form, .page-body form"));
        Assert.Null(detail.QuerySelector("[data-testid=purge-form]"));
        Assert.Null(detail.QuerySelector("[data-testid=set-status-form]"));

        using var newPage = await viewer.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/services/new") { Headers = { { "Accept", "text/html" } } });
        Assert.Equal(HttpStatusCode.Redirect, newPage.StatusCode);
        Assert.Contains("/account/access-denied", newPage.Headers.Location!.ToString());
        using var delete = await viewer.PostWithTokenAsync($"/services/{id}?delete=confirm", new Dictionary<string, string> { ["_handler"] = "delete-service" });
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(ServiceStatus.Deployed, (await Portal.FindServiceAsync(id))!.Status);
    }

    [Fact]
    public async Task Set_status_is_for_administrators_only()
    {
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"));
        var password = await Portal.CreateUserAsync("operator@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        using var operatorClient = Portal.CreatePortalClient();
        await operatorClient.SignInOrFailAsync("operator@test.local", password);

        var detail = await operatorClient.GetPageAsync($"/services/{id}");
        Assert.NotNull(detail.QuerySelector("[data-testid=service-actions]"));
        Assert.Null(detail.QuerySelector("[data-testid=set-status-form]"));
        Assert.DoesNotContain("administrator can also set the status", detail.QuerySelector("[data-testid=edit-blocked]")!.TextContent);

        using var forged = await operatorClient.PostWithTokenAsync($"/services/{id}", new Dictionary<string, string> { ["_handler"] = "set-status", ["NewStatus.Status"] = "deployed" });
        Assert.True(forged.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.OK), $"forged set-status answered {(int)forged.StatusCode}");
        Assert.Equal(ServiceStatus.CreateInProgress, (await Portal.FindServiceAsync(id))!.Status);
    }
}
