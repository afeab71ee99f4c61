using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.ApiTokens;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.ApiTokens;

namespace Poppy.Portal.Web.Tests.ApiTokens;

/// <summary>Requests authenticated by an API token, over real HTTP: what is accepted, what is refused and why.</summary>
public sealed class ApiTokenAuthenticationTests : PortalTest
{
    // The /v1.0 API is built elsewhere; this JSON endpoint stands in for it, behind the portal's whole pipeline.
    private const string EchoPath = "/test/echo";

    public sealed record EchoRequest(string Text);

    public sealed record EchoResponse(string Text, string? User, Guid? TokenId, string? RestrictedProject);

    public override Task InitializeAsync()
    {
        Portal.MapExtraEndpoints(endpoints => endpoints.MapPost(EchoPath, (EchoRequest body, HttpContext context) =>
            new EchoResponse(body.Text, context.User.Identity?.Name, ApiTokenClaims.TokenId(context.User), ApiTokenClaims.RestrictedProject(context.User)?.Name)));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_token_works_in_either_header_and_nothing_works_without_one()
    {
        var token = await Portal.CreateTokenAsync(PortalFactory.AdminEmail);
        using var api = Portal.TokenClient();

        using var byXAuthToken = await api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token, TokenHeader.XAuthToken);
        using var byBearer = await api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token, TokenHeader.Bearer);
        using var without = await api.GetAsync(ApiTokenTestKit.DataEndpoint);

        Assert.Equal(HttpStatusCode.OK, byXAuthToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byBearer.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
    }

    [Theory]
    [InlineData("X-Auth-Token", "ppy_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "The API token is not valid.")]
    [InlineData("X-Auth-Token", "not-a-token", "The API token is not valid.")]
    [InlineData("Authorization", "Bearer ppy_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "The API token is not valid.")]
    [InlineData("Authorization", "Bearer", "Send an API token in the X-Auth-Token header")]
    public async Task A_bad_token_gets_401_with_a_bearer_challenge_and_a_json_reason(string header, string value, string message)
    {
        using var api = Portal.TokenClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiTokenTestKit.DataEndpoint);
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await api.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.StartsWith(message, await response.MessageAsync());
    }

    [Fact]
    public async Task A_revoked_token_is_refused()
    {
        var token = await Portal.CreateTokenAsync(PortalFactory.AdminEmail);
        using var api = Portal.TokenClient();

        using var beforeRevoking = await api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token);
        await using (var admin = await Audit.AuditPages.AdminScopeAsync(Portal))
        {
            var tokens = admin.ServiceProvider.GetRequiredService<ApiTokenService>();
            var id = Assert.Single(await ListTokensAsync(PortalFactory.AdminEmail)).Id;
            Assert.True((await tokens.RevokeAsync(id, default)).Succeeded);
        }
        using var afterRevoking = await api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token);

        Assert.Equal(HttpStatusCode.OK, beforeRevoking.StatusCode);
        Assert.Equal(ApiTokenStatus.Revoked, Assert.Single(await ListTokensAsync(PortalFactory.AdminEmail)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoking.StatusCode);
        Assert.Equal("The API token has been revoked.", await afterRevoking.MessageAsync());
    }

    [Fact]
    public async Task A_token_stops_working_when_it_expires()
    {
        var token = await Portal.CreateTokenAsync(PortalFactory.AdminEmail,
            expiresAt: Portal.Services.GetRequiredService<TimeProvider>().GetUtcNow().AddDays(30));
        using var api = Portal.TokenClient();

        using var onDay29 = await At(TimeSpan.FromDays(29), () => api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token));
        using var onDay30 = await At(TimeSpan.FromDays(1), () => api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token));

        Assert.Equal(HttpStatusCode.OK, onDay29.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, onDay30.StatusCode);
        Assert.Equal("The API token has expired.", await onDay30.MessageAsync());
    }

    [Fact]
    public async Task The_tokens_of_a_disabled_account_are_refused_while_a_sign_in_lockout_does_not_stop_them()
    {
        await Portal.CreateUserAsync("op@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        var token = await Portal.CreateTokenAsync("op@test.local");
        var userId = await Portal.UserIdAsync("op@test.local");
        using var api = Portal.TokenClient();
        Task<HttpResponseMessage> CallAsync() => api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token);

        await SetDisabledAsync(userId, true);
        using var whileDisabled = await CallAsync();
        await SetDisabledAsync(userId, false);
        using var enabledAgain = await CallAsync();
        await LockOutAsync(userId, TimeSpan.FromMinutes(15));
        using var whileLockedOut = await CallAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, whileDisabled.StatusCode);
        Assert.Equal("The account this API token belongs to is disabled.", await whileDisabled.MessageAsync());
        Assert.Equal(HttpStatusCode.OK, enabledAgain.StatusCode);
        // Failed sign-ins with the address (anyone's to try) must not halt the account's automation.
        Assert.Equal(HttpStatusCode.OK, whileLockedOut.StatusCode);
    }

    [Fact]
    public async Task A_viewer_token_reads_but_is_refused_on_a_post_where_an_operator_token_gets_through_without_antiforgery()
    {
        await Portal.CreateUserAsync("viewer@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        await Portal.CreateUserAsync("op@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        var viewerToken = await Portal.CreateTokenAsync("viewer@test.local");
        var operatorToken = await Portal.CreateTokenAsync("op@test.local");
        using var api = Portal.TokenClient();

        using var viewerRead = await api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, viewerToken);
        using var viewerPost = await api.SendWithTokenAsync(HttpMethod.Post, EchoPath, viewerToken, content: JsonContent.Create(new EchoRequest("hi")));
        using var operatorPost = await api.SendWithTokenAsync(HttpMethod.Post, EchoPath, operatorToken, TokenHeader.Bearer, JsonContent.Create(new EchoRequest("hi")));

        Assert.Equal(HttpStatusCode.OK, viewerRead.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, viewerPost.StatusCode);
        Assert.Equal(HttpStatusCode.OK, operatorPost.StatusCode);
        var echo = await operatorPost.Content.ReadFromJsonAsync<EchoResponse>();
        Assert.Equal(new EchoResponse("hi", "op@test.local", echo!.TokenId, null), echo);
        Assert.NotNull(echo.TokenId);
    }

    [Fact]
    public async Task Roles_are_the_portals_and_a_role_change_applies_to_the_next_request()
    {
        await Portal.CreateUserAsync("op@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        var adminToken = await Portal.CreateTokenAsync(PortalFactory.AdminEmail);
        var operatorToken = await Portal.CreateTokenAsync("op@test.local");
        using var api = Portal.TokenClient();
        Task<HttpResponseMessage> AdminPageAsync(string token) => api.SendWithTokenAsync(HttpMethod.Get, "/admin/users", token);

        using var asAdmin = await AdminPageAsync(adminToken);
        using var asOperator = await AdminPageAsync(operatorToken);
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var result = await scope.ServiceProvider.GetRequiredService<UserAdministration>()
                .SetRoleAsync(await Portal.UserIdAsync("op@test.local"), PortalRoles.Admin, CancellationToken.None);
            Assert.True(result.Succeeded);
        }
        using var asPromotedOperator = await AdminPageAsync(operatorToken);

        Assert.Equal(HttpStatusCode.OK, asAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asOperator.StatusCode);
        Assert.Equal("Your role does not allow this action.", await asOperator.MessageAsync());
        Assert.Equal(HttpStatusCode.OK, asPromotedOperator.StatusCode);
    }

    [Fact]
    public async Task A_token_for_one_project_carries_it_and_sees_only_that_project_in_the_portal()
    {
        await Portal.CreateProjectAsync("beta");
        await Portal.CreateUserAsync("op@test.local", PortalRoles.Operator, PortalFactory.FirstProject, "beta");
        var restricted = await Portal.CreateTokenAsync("op@test.local", project: "beta");
        var unrestricted = await Portal.CreateTokenAsync("op@test.local");
        using var api = Portal.TokenClient();

        using var restrictedEcho = await api.SendWithTokenAsync(HttpMethod.Post, EchoPath, restricted, content: JsonContent.Create(new EchoRequest("x")));
        using var unrestrictedEcho = await api.SendWithTokenAsync(HttpMethod.Post, EchoPath, unrestricted, content: JsonContent.Create(new EchoRequest("x")));
        using var dashboard = await api.SendWithTokenAsync(HttpMethod.Get, "/", restricted);

        Assert.Equal("beta", (await restrictedEcho.Content.ReadFromJsonAsync<EchoResponse>())!.RestrictedProject);
        Assert.Null((await unrestrictedEcho.Content.ReadFromJsonAsync<EchoResponse>())!.RestrictedProject);
        var page = PortalClient.Parse(await dashboard.Content.ReadAsStringAsync());
        // Without the restriction the first project (alpha) would be current.
        Assert.Equal("beta", page.QuerySelector("[data-testid=current-project]")?.TextContent.Trim());
    }

    [Fact]
    public async Task A_token_cannot_submit_a_portal_form_even_with_an_antiforgery_token_it_fetched()
    {
        // A token for one project must not mint itself an unrestricted one through the page.
        var token = await Portal.CreateTokenAsync(PortalFactory.AdminEmail, project: PortalFactory.FirstProject);
        var http = Portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        http.DefaultRequestHeaders.Add("X-Auth-Token", token);
        using var withToken = new PortalClient(http);

        using var change = await withToken.SubmitFormAsync("/account/password", new Dictionary<string, string>
        {
            ["Input.CurrentPassword"] = PortalFactory.AdminPassword, ["Input.NewPassword"] = "Taken-Over-Password-1!", ["Input.ConfirmPassword"] = "Taken-Over-Password-1!",
        }, "change-password");

        Assert.Equal(HttpStatusCode.Forbidden, change.StatusCode);
        Assert.StartsWith("API tokens cannot submit the portal's forms.", await change.MessageAsync());
        using var cookie = Portal.CreatePortalClient();
        await cookie.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
    }

    [Fact]
    public async Task A_cookie_session_still_needs_the_antiforgery_token_to_post_a_form()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        using var response = await admin.PostAsync("/account/password",
        [
            new("_handler", "change-password"), new("Input.CurrentPassword", PortalFactory.AdminPassword),
            new("Input.NewPassword", "Forged-Password-1!"), new("Input.ConfirmPassword", "Forged-Password-1!"),
        ]);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var again = Portal.CreatePortalClient();
        await again.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
    }

    [Fact]
    public async Task Last_used_is_written_at_most_once_a_minute()
    {
        var token = await Portal.CreateTokenAsync(PortalFactory.AdminEmail);
        using var api = Portal.TokenClient();
        async Task<DateTimeOffset?> UseAsync()
        {
            using var response = await api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return Assert.Single(await ListTokensAsync(PortalFactory.AdminEmail)).LastUsedAt;
        }

        var neverUsed = Assert.Single(await ListTokensAsync(PortalFactory.AdminEmail)).LastUsedAt;
        var first = await UseAsync();
        var halfAMinuteLater = await At(TimeSpan.FromSeconds(30), UseAsync);
        var aMinuteAfterTheFirst = await At(TimeSpan.FromSeconds(31), UseAsync);

        Assert.Null(neverUsed);
        Assert.NotNull(first);
        Assert.Equal(first, halfAMinuteLater);
        Assert.True(aMinuteAfterTheFirst >= first + ApiTokenService.LastUsedResolution, $"{first:O} then {aMinuteAfterTheFirst:O}");
    }

    private async Task<T> At<T>(TimeSpan later, Func<Task<T>> action)
    {
        Portal.Clock.Advance(later);
        return await action();
    }

    private async Task<IReadOnlyList<ApiTokenSummary>> ListTokensAsync(string email)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<ApiTokenService>().ListForUserAsync(await Portal.UserIdAsync(email), CancellationToken.None);
    }

    private async Task SetDisabledAsync(string userId, bool disabled)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var result = await scope.ServiceProvider.GetRequiredService<UserAdministration>().SetDisabledAsync(userId, disabled, CancellationToken.None);
        Assert.True(result.Succeeded);
    }

    private async Task LockOutAsync(string userId, TimeSpan duration)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByIdAsync(userId);
        Assert.True((await users.SetLockoutEndDateAsync(user!, Portal.Clock.GetUtcNow() + duration)).Succeeded);
    }
}
