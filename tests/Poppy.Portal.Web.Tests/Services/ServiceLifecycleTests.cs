using System.Net;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;

using Poppy.Portal.Web.Tests.Provisioning;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>Project isolation and Viewer limits of the service pages over HTTP (their behaviour: the pages' bUnit tests).</summary>
public sealed class ServiceLifecycleTests : PortalTest
{
    private const string Action = "Input.Action";

    public override Task InitializeAsync() => Portal.SeedFlavorAsync();

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

        // The list's, the form's and the service page's Viewer rules are bUnit tests (ServicesPageTests, ServiceEditorPageTests,
        // ServiceDetailPageTests); the services refuse a Viewer's changes (authorization matrix).

        using var newPage = await viewer.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/services/new") { Headers = { { "Accept", "text/html" } } });
        Assert.Equal(HttpStatusCode.Redirect, newPage.StatusCode);
        Assert.Contains("/account/access-denied", newPage.Headers.Location!.ToString());
    }
}
