using System.Net;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Authorization;

/// <summary>Who may post what. The rules are enforced by the server, whatever the pages show.</summary>
public sealed class RoleTests : PortalTest
{
    [Fact]
    public async Task A_refused_page_leads_to_a_403_inside_the_app_shell()
    {
        using var viewer = await Portal.CreateSignedInClientAsync(PortalRoles.Viewer);
        using var refused = await viewer.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/admin/users") { Headers = { { "Accept", "text/html" } } });
        var location = refused.Headers.Location!.OriginalString;

        using var page = await viewer.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, location) { Headers = { { "Accept", "text/html" } } });

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        var html = PortalClient.Parse(await page.Content.ReadAsStringAsync());
        Assert.NotNull(html.QuerySelector("[data-testid=access-denied]"));
        // The shell: the navigation drawer and the user menu, as on every other page.
        Assert.NotNull(html.QuerySelector("[data-testid=drawer]"));
        Assert.NotNull(html.QuerySelector("[data-testid=user-menu]"));
    }

    [Fact]
    public async Task An_admin_gets_the_users_list_prerendered()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        var users = await admin.GetPageAsync("/admin/users");

        Assert.Contains(PortalFactory.AdminEmail, users.QuerySelector("[data-testid=users-table]")?.TextContent ?? users.Body!.OuterHtml[..Math.Min(4000, users.Body.OuterHtml.Length)]);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/admin/projects")]
    [InlineData("/admin/users")]
    [InlineData("/services")]
    public async Task A_viewer_post_with_a_valid_token_is_refused(string path)
    {
        using var viewer = await Portal.CreateSignedInClientAsync(PortalRoles.Viewer);

        using var response = await viewer.PostWithTokenAsync(path, new Dictionary<string, string> { ["_handler"] = "create-project", ["Input.Name"] = "sneaky" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var admin = await Portal.CreateAdminClientAsync();
        Assert.DoesNotContain("sneaky", (await admin.GetPageAsync("/admin/projects")).Body!.TextContent);
    }

    [Fact]
    public async Task A_viewer_may_still_act_on_their_own_session_and_account()
    {
        using var viewer = await Portal.CreateSignedInClientAsync(PortalRoles.Viewer);

        using var changePassword = await viewer.SubmitFormAsync("/account/password",
            new Dictionary<string, string> { ["Input.CurrentPassword"] = "x", ["Input.NewPassword"] = "y", ["Input.ConfirmPassword"] = "y" }, "change-password");
        using var logout = await viewer.PostWithTokenAsync("/account/logout");

        Assert.Equal(HttpStatusCode.OK, changePassword.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
    }

    [Fact]
    public async Task A_viewer_may_open_a_circuit_whose_changes_the_services_check()
    {
        using var viewer = await Portal.CreateSignedInClientAsync(PortalRoles.Viewer);

        // blazor.web.js starts every interactive page with this POST; the write fence refused it, so no page of a Viewer's worked.
        using var negotiate = await viewer.Http.PostAsync("/_blazor/negotiate?negotiateVersion=1", content: null);

        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        Assert.Contains("connectionToken", await negotiate.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_write_guard_lets_an_operator_through_where_it_stops_a_viewer()
    {
        using var viewer = await Portal.CreateSignedInClientAsync(PortalRoles.Viewer);
        using var op = await Portal.CreateSignedInClientAsync(PortalRoles.Operator);

        using var asViewer = await viewer.PostWithTokenAsync("/services");
        using var asOperator = await op.PostWithTokenAsync("/services");

        Assert.Equal(HttpStatusCode.Forbidden, asViewer.StatusCode);
        // The page has no form yet: the operator's post reaches it and is answered as a bad form post, not refused.
        Assert.Equal(HttpStatusCode.BadRequest, asOperator.StatusCode);
    }

    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    public async Task Only_admins_open_or_post_to_the_admin_pages(string role)
    {
        using var client = await Portal.CreateSignedInClientAsync(role);
        using var admin = await Portal.CreateAdminClientAsync();
        var token = await client.AntiforgeryTokenAsync();

        using var page = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/admin/users") { Headers = { { "Accept", "text/html" } } });
        using var post = await client.PostAsync("/admin/projects",
            [new("__RequestVerificationToken", token), new("_handler", "create-project"), new("Input.Name", "by-" + role)]);

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("/account/access-denied", page.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.DoesNotContain("by-" + role, (await admin.GetPageAsync("/admin/projects")).Body!.TextContent);
    }

    [Fact]
    public async Task Anonymous_requests_are_sent_to_sign_in_or_refused()
    {
        using var anonymous = Portal.CreatePortalClient();

        using var page = await anonymous.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/admin/users") { Headers = { { "Accept", "text/html" } } });
        using var data = await anonymous.Http.GetAsync("/v1.0/flavors/");

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/account/login", page.Headers.Location?.AbsolutePath);
        Assert.Equal(HttpStatusCode.Unauthorized, data.StatusCode);
    }
}
