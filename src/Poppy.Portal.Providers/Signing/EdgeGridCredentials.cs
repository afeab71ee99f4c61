namespace Poppy.Portal.Providers.Signing;

/// <summary>An Akamai API client's credentials, as in the <c>.edgerc</c> file (the host is the base URL, not signed here).</summary>
/// <param name="ClientToken">The client token, <c>akab-…</c>: names the API client.</param>
/// <param name="ClientSecret">The client secret: never logged or rendered (see <see cref="ToString"/>).</param>
/// <param name="AccessToken">The access token, <c>akab-…</c>: sent in every request, treated as a secret too.</param>
public sealed record EdgeGridCredentials(string ClientToken, string ClientSecret, string AccessToken)
{
    /// <summary>Names the client only: records print every property by default, and two of these are secrets.</summary>
    public override string ToString() => $"EdgeGridCredentials {{ ClientToken = {ClientToken} }}";
}

/// <summary>
/// The per-API settings of EdgeGrid signing, which the client and the server must agree on.
/// </summary>
public sealed record EdgeGridOptions
{
    /// <summary>The body bytes hashed for a POST, counting from the start; current Akamai libraries use 131072.</summary>
    public int MaxBody { get; init; } = 131072;

    /// <summary>
    /// The headers that are signed, in this order (names compare case-insensitively). An API names them; most name none.
    /// </summary>
    public IReadOnlyList<string> HeadersToSign { get; init; } = [];

    /// <summary>The settings of every current Akamai API: no signed headers, 131072 body bytes.</summary>
    public static EdgeGridOptions Default { get; } = new();
}
