using System.Security.Claims;
using Poppy.Portal.Core.Features.ApiTokens;

namespace Poppy.Portal.Web.Features.ApiTokens;

/// <summary>The project an API token is restricted to; <c>Name</c> is what API callers send as X-Project-ID.</summary>
public sealed record ApiTokenProject(Guid Id, string Name);

/// <summary>
/// The claims an API-token request carries on top of the owner's usual ones (same claims factory as the sign-in
/// cookie): which token it was, and the project it is restricted to, if any.
/// </summary>
public static class ApiTokenClaims
{
    public const string TokenIdType = "poppy:api_token_id";
    public const string ProjectIdType = "poppy:api_token_project_id";
    public const string ProjectNameType = "poppy:api_token_project";

    internal static IEnumerable<Claim> Of(ApiToken token)
    {
        yield return new Claim(TokenIdType, token.Id.ToString());
        if (token.Project is { } project)
        {
            yield return new Claim(ProjectIdType, project.Id.ToString());
            yield return new Claim(ProjectNameType, project.Name);
        }
    }

    /// <summary>The token that authenticated this request; null for a cookie session.</summary>
    public static Guid? TokenId(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(TokenIdType), out var id) ? id : null;

    public static bool IsApiToken(ClaimsPrincipal user) => TokenId(user) is not null;

    /// <summary>
    /// The one project this request may act in, or null when it is not restricted (a cookie session, or a token for all
    /// of its owner's projects). A restriction narrows membership, it does not replace it: <c>AccessPolicy</c> applies both.
    /// </summary>
    public static ApiTokenProject? RestrictedProject(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ProjectIdType), out var id) ? new ApiTokenProject(id, user.FindFirstValue(ProjectNameType) ?? "") : null;
}
