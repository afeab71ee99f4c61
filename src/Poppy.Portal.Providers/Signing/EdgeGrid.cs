using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Poppy.Portal.Providers.Signing;

/// <summary>
/// The EG1-HMAC-SHA256 algorithm, shared by the signer and the verifier (see vendor-apis.md §3, checked against
/// Akamai's published test data).
/// </summary>
internal static class EdgeGrid
{
    public const string Scheme = "EG1-HMAC-SHA256";
    public const string TimestampFormat = "yyyyMMdd'T'HH:mm:ss'+0000'";

    public static string FormatTimestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    public static bool TryParseTimestamp(string value, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(value, TimestampFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>The header up to and including the "nonce=…;" field: the signature is computed over this very text.</summary>
    public static string UnsignedAuthorization(string clientToken, string accessToken, string timestamp, string nonce) =>
        $"{Scheme} client_token={clientToken};access_token={accessToken};timestamp={timestamp};nonce={nonce};";

    /// <summary>key = base64(HMAC-SHA256(key: client secret, data: timestamp)).</summary>
    public static string SigningKey(string clientSecret, string timestamp) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(clientSecret), Encoding.UTF8.GetBytes(timestamp)));

    /// <summary>base64(SHA-256(body[..maxBody])) for a POST with a body; "" otherwise (PUT bodies are not covered).</summary>
    public static string ContentHash(string method, ReadOnlySpan<byte> body, int maxBody) =>
        method == "POST" && body.Length > 0
            ? Convert.ToBase64String(SHA256.HashData(body[..Math.Min(body.Length, maxBody)]))
            : "";

    /// <summary>
    /// The headers of <paramref name="headersToSign"/> that the request has, in that order, as "name:value" with the
    /// name lower-cased and the value trimmed with inner whitespace runs collapsed to one space; TAB-joined.
    /// </summary>
    public static string CanonicalHeaders(IReadOnlyList<string> headersToSign, Func<string, string?> headerValue)
    {
        var lines = new List<string>();
        foreach (var name in headersToSign)
        {
            if (headerValue(name) is not { } value) continue;
            lines.Add(name.ToLowerInvariant() + ":" + CollapseWhitespace(value));
        }
        return string.Join('\t', lines);
    }

    /// <summary>The TAB-joined data: method, scheme, host, path+query, canonical headers, content hash, unsigned header.</summary>
    public static string DataToSign(string method, string scheme, string host, string pathAndQuery,
        string canonicalHeaders, string contentHash, string unsignedAuthorization) =>
        string.Join('\t', method, scheme, host, pathAndQuery, canonicalHeaders, contentHash, unsignedAuthorization);

    /// <summary>signature = base64(HMAC-SHA256(key: UTF-8 of the base64 signing key, data)).</summary>
    public static string Signature(string signingKey, string dataToSign) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), Encoding.UTF8.GetBytes(dataToSign)));

    private static string CollapseWhitespace(string value)
    {
        var trimmed = value.Trim();
        var result = new StringBuilder(trimmed.Length);
        var previousWasSpace = false;
        foreach (var c in trimmed)
        {
            var isSpace = char.IsWhiteSpace(c);
            if (isSpace && previousWasSpace) continue;
            result.Append(isSpace ? ' ' : c);
            previousWasSpace = isSpace;
        }
        return result.ToString();
    }
}
