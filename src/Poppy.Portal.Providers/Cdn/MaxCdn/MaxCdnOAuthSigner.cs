using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Cdn.MaxCdn;

/// <summary>
/// OAuth 1.0a HMAC-SHA1 request signing (<see cref="OAuth1Signature"/>) as MaxCDN's RWS API takes it: two-legged, so only the consumer
/// key and secret. The signature covers the method, the base URL (scheme, lower-case host, non-default port, path) and
/// every query and form parameter plus the <c>oauth_*</c> fields; it is sent in an <c>Authorization: OAuth …</c> header.
/// </summary>
internal sealed class MaxCdnOAuthSigner(string consumerKey, string consumerSecret, string? token = null, string tokenSecret = "")
{
    /// <summary>
    /// Signs <paramref name="request"/> in place (replacing an earlier signature). A form body is read, and so buffered,
    /// because its fields are part of the signature.
    /// </summary>
    public async Task<string> SignAsync(HttpRequestMessage request, DateTimeOffset timestamp, string nonce, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri is { IsAbsoluteUri: true } absolute
            ? absolute
            : throw new InvalidOperationException("Sign a request whose RequestUri is absolute (the URL is part of the signature).");

        var oauth = new List<KeyValuePair<string, string>>
        {
            new("oauth_consumer_key", consumerKey),
            new("oauth_nonce", nonce),
            new("oauth_signature_method", "HMAC-SHA1"),
            new("oauth_timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (token is not null)
        {
            oauth.Add(new("oauth_token", token));
        }

        oauth.Add(new("oauth_version", "1.0"));

        var parameters = new List<KeyValuePair<string, string>>(oauth);
        parameters.AddRange(ParseUrlEncoded(uri.Query.TrimStart('?')));
        if (request.Content?.Headers.ContentType?.MediaType == "application/x-www-form-urlencoded")
        {
            parameters.AddRange(ParseUrlEncoded(await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)));
        }

        var signature = OAuth1Signature.Sign(OAuth1Signature.BaseString(request.Method.Method, OAuth1Signature.BaseUrl(uri), parameters), consumerSecret, tokenSecret);
        oauth.Add(new("oauth_signature", signature));
        var header = "OAuth " + string.Join(", ", oauth.Select(p => $"{OAuth1Signature.Encode(p.Key)}=\"{OAuth1Signature.Encode(p.Value)}\""));
        request.Headers.Remove("Authorization");
        request.Headers.TryAddWithoutValidation("Authorization", header);
        return header;
    }

    /// <summary>Decodes <c>a=1&amp;b=x+y</c> ('+' is a space in form encoding), keeping repeated names.</summary>
    private static IEnumerable<KeyValuePair<string, string>> ParseUrlEncoded(string text) =>
        text.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
        {
            var eq = pair.IndexOf('=');
            var name = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : pair[(eq + 1)..];
            return KeyValuePair.Create(Decode(name), Decode(value));
        });

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
