using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Features.ApiTokens;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Features.ApiTokens;

/// <summary>
/// Authenticates a request by its API token. The principal is built by the same claims factory as the sign-in cookie,
/// so roles and claims are identical, plus <see cref="ApiTokenClaims"/>. A refusal says why, as JSON, with 401.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiTokenService tokens,
    IUserClaimsPrincipalFactory<PortalUser> claimsFactory,
    IMemoryCache claimsCache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private const string NoTokenMessage = "Send an API token in the X-Auth-Token header or as Authorization: Bearer <token>.";
    private static readonly TimeSpan ClaimsCacheLifetime = TimeSpan.FromMinutes(5);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = ApiTokenAuthentication.ReadToken(Request);
        if (string.IsNullOrEmpty(presented))
        {
            return AuthenticateResult.Fail(NoTokenMessage);
        }

        var result = await tokens.AuthenticateAsync(presented, Context.RequestAborted);
        if (result.Rejection is { } rejection)
        {
            // The framework logs the failure message; the token id tells operators which token it was.
            Logger.LogDebug("API token {TokenId} refused: {Rejection}", result.Token?.Id, rejection);
            return AuthenticateResult.Fail(Describe(rejection));
        }

        var owner = await OwnerIdentityAsync(result.User!);
        var identity = new ClaimsIdentity(owner, ApiTokenClaims.Of(result.Token!), Scheme.Name, owner.NameClaimType, owner.RoleClaimType);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <summary>
    /// The owner's identity from the claims factory, which costs several queries (user claims, roles, role claims).
    /// Those change only together with the security stamp (a role change or a disabled account renews it), so a cache
    /// keyed by the stamp answers exactly what the factory would, and an API request costs one token lookup.
    /// </summary>
    private async Task<ClaimsIdentity> OwnerIdentityAsync(PortalUser user) =>
        (await claimsCache.GetOrCreateAsync((nameof(ApiTokenAuthenticationHandler), user.Id, user.SecurityStamp), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = ClaimsCacheLifetime;
            var principal = await claimsFactory.CreateAsync(user);
            return (ClaimsIdentity)principal.Identity!;
        }))!;

    // Specific enough to act on, and only ever sent to someone who holds a real token: unknown tokens get one answer.
    private static string Describe(ApiTokenRejection rejection) => rejection switch
    {
        ApiTokenRejection.Revoked => "The API token has been revoked.",
        ApiTokenRejection.Expired => "The API token has expired.",
        ApiTokenRejection.UserDisabled => "The account this API token belongs to is disabled.",
        _ => "The API token is not valid.",
    };

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = "Bearer";
        await ApiTokenAuthentication.WriteMessageAsync(Response, StatusCodes.Status401Unauthorized, result.Failure?.Message ?? NoTokenMessage);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiTokenAuthentication.WriteMessageAsync(Response, StatusCodes.Status403Forbidden, "Your role does not allow this action.");
}
