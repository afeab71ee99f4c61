using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Components.Account.Pages;
using static Poppy.Portal.Web.Tests.Account.SignInTests;

namespace Poppy.Portal.Web.Tests.Account;

/// <summary>
/// Issue 10, item 9: refusals that do not tell accounts apart, a lockout an attacker cannot turn against the account's
/// owner, and per-client rate limits on the account endpoints.
/// </summary>
public sealed class SignInAbuseTests : PortalTest
{
    private const string WrongPassword = "Wrong-Password-1!";

    [Fact]
    public async Task Unknown_wrong_locked_and_disabled_sign_ins_each_get_the_same_answer_after_one_password_hash_check()
    {
        var hasher = new CountingPasswordHasher();
        Portal.TestServices.Add(services => services.Replace(ServiceDescriptor.Singleton<IPasswordHasher<PortalUser>>(hasher)));
        var lockedPassword = await Portal.CreateUserAsync("locked@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        var disabledPassword = await Portal.CreateUserAsync("disabled@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        await Portal.CreateUserAsync("real@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var locked = (await users.FindByEmailAsync("locked@test.local"))!;
            Assert.True((await users.SetLockoutEndDateAsync(locked, Portal.Clock.GetUtcNow().AddMinutes(15))).Succeeded);
            var disabled = (await users.FindByEmailAsync("disabled@test.local"))!;
            disabled.IsDisabled = true;
            Assert.True((await users.UpdateAsync(disabled)).Succeeded);
        }
        using var client = Portal.CreatePortalClient();

        var answers = new Dictionary<string, (string? Message, int HashChecks)>();
        foreach (var (name, email, password) in new[]
                 {
                     ("unknown", "nobody@test.local", WrongPassword),
                     ("wrong password", "real@test.local", WrongPassword),
                     ("locked, right password", "locked@test.local", lockedPassword),
                     ("disabled, right password", "disabled@test.local", disabledPassword),
                 })
        {
            var before = hasher.Verifications;
            var message = await ErrorAfterSignInAsync(client, email, password);
            answers[name] = (message, hasher.Verifications - before);
        }

        Assert.All(answers, a => Assert.Equal((Login.FailureMessage, 1), a.Value));
    }

    [Fact]
    public async Task An_attacker_who_locks_an_account_does_not_lock_out_a_browser_the_account_signed_in_from()
    {
        const string email = "owner@test.local";
        var password = await Portal.CreateUserAsync(email, PortalRoles.Admin, PortalFactory.FirstProject);
        using var owner = Portal.CreatePortalClient();
        await owner.SignInOrFailAsync(email, password);
        (await owner.PostWithTokenAsync("/account/logout")).Dispose();

        using var attacker = Portal.CreatePortalClient();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            Assert.Equal(Login.FailureMessage, await ErrorAfterSignInAsync(attacker, email, WrongPassword));
        }
        using var newBrowser = Portal.CreatePortalClient();

        Assert.Equal(Login.FailureMessage, await ErrorAfterSignInAsync(attacker, email, password));
        Assert.Equal(Login.FailureMessage, await ErrorAfterSignInAsync(newBrowser, email, password));
        await owner.SignInOrFailAsync(email, password);
        // The lockout of unknown clients ends by itself.
        Portal.Clock.Advance(TimeSpan.FromMinutes(16));
        await newBrowser.SignInOrFailAsync(email, password);
    }

    [Fact]
    public async Task A_known_browser_that_keeps_failing_is_counted_as_itself_first_then_as_an_unknown_client()
    {
        const string email = "typo@test.local";
        var password = await Portal.CreateUserAsync(email, PortalRoles.Operator, PortalFactory.FirstProject);
        using var owner = Portal.CreatePortalClient();
        await owner.SignInOrFailAsync(email, password);
        (await owner.PostWithTokenAsync("/account/logout")).Dispose();

        for (var attempt = 0; attempt < 5; attempt++)
        {
            Assert.Equal(Login.FailureMessage, await ErrorAfterSignInAsync(owner, email, WrongPassword));
        }
        // The owner's own typos locked nobody else out ...
        Assert.False(await IsLockedOutAsync(email));
        using (var elsewhere = Portal.CreatePortalClient())
        {
            await elsewhere.SignInOrFailAsync(email, password);
        }
        // ... but that browser is now an unknown client for the lockout period, so more guesses from it lock the account.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            Assert.Equal(Login.FailureMessage, await ErrorAfterSignInAsync(owner, email, WrongPassword));
        }
        Assert.True(await IsLockedOutAsync(email));
    }

    [Fact]
    public async Task Sign_in_posts_beyond_the_limit_get_429_with_retry_after_for_that_client_only()
    {
        Portal.Settings["Portal:RateLimits:SignIn:PermitLimit"] = "3";
        Portal.Settings["Portal:RateLimits:SignIn:Window"] = "01:00:00";
        using var attacker = ClientFrom("203.0.113.7");
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.Equal(Login.FailureMessage, await ErrorAfterSignInAsync(attacker, "nobody@test.local", WrongPassword));
        }

        using var refused = await attacker.SignInAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        using var page = await attacker.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/account/login") { Headers = { { "Accept", "text/html" } } });
        using var sameNetwork = ClientFrom("2001:db8:1:2::1");
        using var sameNetworkToo = ClientFrom("2001:db8:1:2:ffff::9");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Assert.Contains("Too many attempts", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using (var otherClient = ClientFrom("203.0.113.8"))
        {
            await otherClient.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        }
        // An IPv6 client is its /64: addresses in one network share a budget.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            (await (attempt % 2 == 0 ? sameNetwork : sameNetworkToo).SignInAsync("nobody@test.local", WrongPassword)).Dispose();
        }
        using var fourthFromNetwork = await sameNetworkToo.SignInAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, fourthFromNetwork.StatusCode);
    }

    [Fact]
    public async Task Forgot_and_reset_password_posts_share_a_limit_per_client()
    {
        Portal.Settings["Portal:RateLimits:PasswordReset:PermitLimit"] = "2";
        using var client = ClientFrom("198.51.100.20");

        using var first = await client.SubmitFormAsync("/account/forgot-password", new Dictionary<string, string> { ["Input.Email"] = "a@test.local" }, "forgot-password");
        using var second = await client.SubmitFormAsync("/account/reset-password?code=Zm9v&email=a%40test.local", new Dictionary<string, string>
        {
            ["Input.Email"] = "a@test.local", ["Input.Password"] = "Brand-New-Password-2!", ["Input.ConfirmPassword"] = "Brand-New-Password-2!",
        }, "reset-password");
        using var third = await client.SubmitFormAsync("/account/forgot-password", new Dictionary<string, string> { ["Input.Email"] = "a@test.local" }, "forgot-password");

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter?.Delta);
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    public void A_client_is_its_ipv4_address_or_its_ipv6_network(string address, string key) =>
        Assert.Equal(key, Poppy.Portal.Web.Hosting.AccountRateLimits.ClientKey(IPAddress.Parse(address)));

    private PortalClient ClientFrom(string address)
    {
        var client = Portal.CreatePortalClient();
        client.Http.DefaultRequestHeaders.Add(PortalFactory.ClientAddressHeader, address);
        return client;
    }

    private async Task<bool> IsLockedOutAsync(string email)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        return await users.IsLockedOutAsync((await users.FindByEmailAsync(email))!);
    }

    /// <summary>Identity's real hasher, counting its verifications.</summary>
    private sealed class CountingPasswordHasher : IPasswordHasher<PortalUser>
    {
        private readonly PasswordHasher<PortalUser> real = new(Options.Create(new PasswordHasherOptions()));
        private int verifications;

        public int Verifications => Volatile.Read(ref verifications);

        public string HashPassword(PortalUser user, string password) => real.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(PortalUser user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref verifications);
            return real.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }
}
