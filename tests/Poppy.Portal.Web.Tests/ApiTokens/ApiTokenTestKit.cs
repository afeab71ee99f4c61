using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.ApiTokens;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.ApiTokens;

public enum TokenHeader
{
    XAuthToken,
    Bearer,
}

/// <summary>Creating tokens as users do, and calling the portal with one (no cookies, as a script would).</summary>
internal static class ApiTokenTestKit
{
    public const string TokensPage = "/account/tokens";
    /// <summary>A GET any signed-in caller may make (the dashboard's old chart data endpoint went with the htmx pages).</summary>
    public const string DataEndpoint = "/v1.0/flavors/";

    /// <summary>Creates a token through the application service, as the page and the command line do.</summary>
    public static async Task<string> CreateTokenAsync(this PortalFactory portal, string email, string? project = null, DateTimeOffset? expiresAt = null)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync(email);
        var (created, result) = await scope.ServiceProvider.GetRequiredService<ApiTokenService>()
            .CreateAsync(user!.Id, "test", project, expiresAt, CancellationToken.None);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors));
        return created!.PlainText;
    }

    public static async Task<string> UserIdAsync(this PortalFactory portal, string email)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return (await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync(email))!.Id;
    }

    /// <summary>A client that keeps no cookies: everything it is allowed, it is allowed by its token.</summary>
    public static HttpClient TokenClient(this PortalFactory portal) =>
        portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

    public static async Task<HttpResponseMessage> SendWithTokenAsync(
        this HttpClient client, HttpMethod method, string path, string token, TokenHeader header = TokenHeader.XAuthToken, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (header == TokenHeader.XAuthToken)
        {
            request.Headers.Add("X-Auth-Token", token);
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await client.SendAsync(request);
    }

    /// <summary>The <c>message</c> of a JSON refusal.</summary>
    public static async Task<string> MessageAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("message").GetString()!;
    }
}
