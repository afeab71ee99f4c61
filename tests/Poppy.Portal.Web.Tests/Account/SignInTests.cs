using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Components.Account.Pages;

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

        Assert.Equal(Login.FailureMessage, wrongPassword);
        Assert.Equal(wrongPassword, unknownUser);
    }

    [Fact]
    public async Task Five_failed_attempts_lock_the_account_for_unknown_clients_until_an_admin_unlocks_it()
    {
        var password = await Portal.CreateUserAsync("op@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        using var client = Portal.CreatePortalClient();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            Assert.Equal(Login.FailureMessage, await ErrorAfterSignInAsync(client, "op@test.local", "Wrong-Password-1!"));
        }

        // Locked, but the page says what it says to everyone (no "locked" for an anonymous client to learn from).
        var withRightPassword = await ErrorAfterSignInAsync(client, "op@test.local", password);
        Assert.Equal(Login.FailureMessage, withRightPassword);
        Assert.True(await IsLockedOutAsync("op@test.local"));

        // An administrator unlocks the account (as the user page does, through the service).
        var userId = await UserIdAsync("op@test.local");
        await using (var admin = await Audit.AuditPages.AdminScopeAsync(Portal))
        {
            Assert.True((await admin.ServiceProvider.GetRequiredService<UserAdministration>().UnlockAsync(userId, default)).Succeeded);
        }

        await client.SignInOrFailAsync("op@test.local", password);
    }

    [Fact]
    public async Task A_disabled_account_cannot_sign_in_and_its_open_session_ends()
    {
        var password = await Portal.CreateUserAsync("viewer@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        using var viewer = Portal.CreatePortalClient();
        await viewer.SignInOrFailAsync("viewer@test.local", password);

        var userId = await UserIdAsync("viewer@test.local");
        await using (var admin = await Audit.AuditPages.AdminScopeAsync(Portal))
        {
            Assert.True((await admin.ServiceProvider.GetRequiredService<UserAdministration>().SetDisabledAsync(userId, true, default)).Succeeded);
        }

        using var fresh = Portal.CreatePortalClient();
        Assert.Equal(Login.FailureMessage, await ErrorAfterSignInAsync(fresh, "viewer@test.local", password));
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
    public async Task A_cookie_copied_before_sign_out_is_refused_after_it()
    {
        using var client = Portal.CreatePortalClient();
        await client.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        var copied = await AuthCookieHeaderAsync(client);
        using (var beforeSignOut = await GetWithCookieAsync(copied))
        {
            Assert.Equal(HttpStatusCode.OK, beforeSignOut.StatusCode);
        }

        using var logout = await client.PostWithTokenAsync("/account/logout");
        using var replayed = await GetWithCookieAsync(copied);

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, replayed.StatusCode);
        Assert.StartsWith("http://localhost/account/login", replayed.Headers.Location?.AbsoluteUri);
        // Signing in again works, with a cookie of the new stamp.
        await client.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        using var fresh = await GetWithCookieAsync(await AuthCookieHeaderAsync(client));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
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

    /// <summary>The client's sign-in cookie as a Cookie header, as an attacker would copy it.</summary>
    private async Task<string> AuthCookieHeaderAsync(PortalClient client)
    {
        // The client's cookie container is private to its handler; read the cookie back from a page that renews nothing.
        using var response = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/account/password") { Headers = { { "Accept", "text/html" } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookies = response.RequestMessage!.Headers.TryGetValues("Cookie", out var sent) ? string.Join("; ", sent) : "";
        var auth = cookies.Split("; ").Where(c => c.StartsWith("Poppy.Auth", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(auth);
        return string.Join("; ", auth);
    }

    private async Task<HttpResponseMessage> GetWithCookieAsync(string cookie)
    {
        using var http = Portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "Accept", "text/html" }, { "Cookie", cookie } } };
        return await http.SendAsync(request);
    }

    private async Task<bool> IsLockedOutAsync(string email)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<PortalUser>>();
        return await users.IsLockedOutAsync((await users.FindByEmailAsync(email))!);
    }

    internal static async Task<string?> ErrorAfterSignInAsync(PortalClient client, string email, string password)
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
