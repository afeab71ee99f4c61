using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;

namespace Poppy.Portal.Web.Features.ApiTokens;

/// <summary>The body of every API-token refusal, as OpenStack Poppy answers errors: <c>{"message": "..."}</c>.</summary>
public sealed record ApiMessage(string Message);

/// <summary>
/// How requests authenticate: a request that carries an API token (<c>X-Auth-Token</c>, as OpenStack Poppy clients send
/// it, or <c>Authorization: Bearer</c>) is checked by the ApiToken scheme; every other request by the sign-in cookie,
/// so pages keep their redirects to the login page.
/// </summary>
public static class ApiTokenAuthentication
{
    public const string Scheme = "ApiToken";
    public const string CookieOrTokenScheme = "CookieOrApiToken";
    public const string HeaderName = "X-Auth-Token";

    public static AuthenticationBuilder AddApiTokenOrCookie(this AuthenticationBuilder builder)
    {
        builder.Services.AddMemoryCache();
        return builder
            .AddPolicyScheme(CookieOrTokenScheme, "API token or sign-in cookie", options =>
                options.ForwardDefaultSelector = context => ReadToken(context.Request) is null ? IdentityConstants.ApplicationScheme : Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(Scheme, "API token", configureOptions: null);
    }

    /// <summary>The presented token; empty when a token header is there but blank; null when the request has none.</summary>
    public static string? ReadToken(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var token))
        {
            return token.ToString().Trim();
        }
        const string bearer = "Bearer";
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) && (authorization.Length == bearer.Length || authorization[bearer.Length] == ' ')
            ? authorization[bearer.Length..].Trim()
            : null;
    }

    public static Task WriteMessageAsync(HttpResponse response, int statusCode, string message)
    {
        response.StatusCode = statusCode;
        return response.WriteAsJsonAsync(new ApiMessage(message), response.HttpContext.RequestAborted);
    }
}
