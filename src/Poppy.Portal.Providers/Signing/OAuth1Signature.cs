using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Poppy.Portal.Providers.Signing;

/// <summary>
/// The OAuth 1.0a HMAC-SHA1 signature (RFC 5849 §3.4), as MaxCDN's RWS API takes it. Shared by the driver's signer and
/// the simulator's verifier, and pinned by the RFC's published example in the tests.
/// </summary>
public static class OAuth1Signature
{
    /// <summary>RFC 3986 percent-encoding: everything but unreserved characters.</summary>
    public static string Encode(string value) => Uri.EscapeDataString(value);

    /// <summary>The signature base string: METHOD &amp; encoded base URL &amp; encoded, sorted, encoded parameters.</summary>
    public static string BaseString(string method, string baseUrl, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var normalized = string.Join('&', parameters
            .Select(p => (Name: Encode(p.Key), Value: Encode(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value}"));
        return $"{method.ToUpperInvariant()}&{Encode(baseUrl)}&{Encode(normalized)}";
    }

    /// <summary>HMAC-SHA1 of the base string keyed with "consumer secret &amp; token secret" (empty for two-legged), base64.</summary>
    public static string Sign(string baseString, string consumerSecret, string tokenSecret = "")
    {
        var key = Encoding.ASCII.GetBytes($"{Encode(consumerSecret)}&{Encode(tokenSecret)}");
        return Convert.ToBase64String(HMACSHA1.HashData(key, Encoding.ASCII.GetBytes(baseString)));
    }

    /// <summary>Scheme and host in lower case, the port only when it is not the scheme's default, the path as sent.</summary>
    public static string BaseUrl(Uri uri) =>
        $"{uri.Scheme.ToLowerInvariant()}://{uri.Host.ToLowerInvariant()}{(uri.IsDefaultPort ? "" : ":" + uri.Port.ToString(CultureInfo.InvariantCulture))}{uri.AbsolutePath}";
}
