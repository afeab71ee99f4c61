using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Account;

public sealed class SignInTests : PortalTest
{

    [Fact]
    public async Task Signing_in_with_the_form_and_its_antiforgery_token_opens_the_dashboard()
    {
        using var client = Portal.CreatePortalClient();

        using var response = await client.SignInAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.AbsolutePath);
        var dashboard = await client.GetPageAsync("/");
        Assert.Equal("Dashboard", dashboard.QuerySelector("h1")?.TextContent.Trim());
        Assert.Equal(PortalFactory.FirstProject, dashboard.QuerySelector("[data-testid=current-project]")?.TextContent.Trim());
    }

    [Fact]
    public async Task A_sign_in_post_without_the_antiforgery_token_is_rejected()
    {
        using var client = Portal.CreatePortalClient();

        using var response = await client.PostAsync("/account/login",
        [
            new("_handler", "login"), new("Input.Email", PortalFactory.AdminEmail), new("Input.Password", PortalFactory.AdminPassword),
        ]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("Poppy.Auth", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_address_get_the_same_message()
    {
        using var client = Portal.CreatePortalClient();

        var wrongPassword = await ErrorAfterSignInAsync(client, PortalFactory.AdminEmail, "Not-The-Password-1!");
        var unknownUser = await ErrorAfterSignInAsync(client, "nobody@test.local", "Not-The-Password-1!");

        Assert.Equal("Invalid email or password.", wrongPassword);
        Assert.Equal(wrongPassword, unknownUser);
    }

    [Fact]
    public async Task Five_failed_attempts_lock_the_account_until_an_admin_unlocks_it()
    {
        var password = await Portal.CreateUserAsync("op@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        using var client = Portal.CreatePortalClient();
        for (var attempt = 0; attempt < 4; attempt++)
        {
            Assert.Equal("Invalid email or password.", await ErrorAfterSignInAsync(client, "op@test.local", "Wrong-Password-1!"));
        }

        var fifth = await ErrorAfterSignInAsync(client, "op@test.local", "Wrong-Password-1!");
        var withRightPassword = await ErrorAfterSignInAsync(client, "op@test.local", password);

        Assert.Contains("locked", fifth);
        Assert.Contains("locked", withRightPassword);

        using var admin = Portal.CreatePortalClient();
        await admin.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        var userId = await UserIdAsync("op@test.local");
        using var unlock = await admin.SubmitFormAsync($"/admin/users/{userId}", new Dictionary<string, string>(), "unlock");
        Assert.Equal(HttpStatusCode.OK, unlock.StatusCode);

        await client.SignInOrFailAsync("op@test.local", password);
    }

    [Fact]
    public async Task A_disabled_account_cannot_sign_in_and_its_open_session_ends()
    {
        var password = await Portal.CreateUserAsync("viewer@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        using var viewer = Portal.CreatePortalClient();
        await viewer.SignInOrFailAsync("viewer@test.local", password);

        using var admin = Portal.CreatePortalClient();
        await admin.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        var userId = await UserIdAsync("viewer@test.local");
        using var disable = await admin.SubmitFormAsync($"/admin/users/{userId}", new Dictionary<string, string>(), "toggle-disabled");
        Assert.Contains("Account disabled.", await disable.Content.ReadAsStringAsync());

        using var fresh = Portal.CreatePortalClient();
        Assert.Equal("Invalid email or password.", await ErrorAfterSignInAsync(fresh, "viewer@test.local", password));
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        using var client = Portal.CreatePortalClient();
        await client.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);

        using var logout = await client.PostWithTokenAsync("/account/logout");
        using var afterwards = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "Accept", "text/html" } } });

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal("/account/login", logout.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, afterwards.StatusCode);
        Assert.StartsWith("http://localhost/account/login", afterwards.Headers.Location?.AbsoluteUri);
    }

    [Fact]
    public async Task A_return_url_to_another_site_is_ignored()
    {
        using var client = Portal.CreatePortalClient();

        using var response = await client.SubmitFormAsync("/account/login?ReturnUrl=%2F%2Fevil.example%2F",
            new Dictionary<string, string> { ["Input.Email"] = PortalFactory.AdminEmail, ["Input.Password"] = PortalFactory.AdminPassword }, "login");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.AbsolutePath);
    }

    private static async Task<string?> ErrorAfterSignInAsync(PortalClient client, string email, string password)
    {
        using var response = await client.SignInAsync(email, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = PortalClient.Parse(await response.Content.ReadAsStringAsync());
        return page.QuerySelector("[data-testid=login-error]")?.TextContent.Trim();
    }

    private async Task<string> UserIdAsync(string email)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var users = await scope.ServiceProvider.GetRequiredService<UserAdministration>().ListAsync(CancellationToken.None);
        return users.Single(u => u.Email == email).Id;
    }
}
