using System.Security.Cryptography;
using System.Text;

namespace Poppy.Portal.Simulators.MaxCdn;

/// <summary>
/// OAuth 1.0a HMAC-SHA1 as MaxCDN's RWS uses it: two-legged (consumer key and secret, no token). The signature base
/// string is METHOD &amp; encoded base URL &amp; encoded sorted parameters (query, form body, oauth_* minus the signature).
/// </summary>
public static class OAuth1
{
    /// <summary>RFC 3986 percent-encoding (unreserved characters stay).</summary>
    public static string Encode(string value) => Uri.EscapeDataString(value);

    public static string BaseString(string method, string baseUrl, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var normalized = string.Join('&', parameters
            .Select(p => (Name: Encode(p.Key), Value: Encode(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value}"));
        return $"{method.ToUpperInvariant()}&{Encode(baseUrl)}&{Encode(normalized)}";
    }

    public static string Sign(string baseString, string consumerSecret, string tokenSecret = "")
    {
        var key = Encoding.ASCII.GetBytes($"{Encode(consumerSecret)}&{Encode(tokenSecret)}");
        return Convert.ToBase64String(HMACSHA1.HashData(key, Encoding.ASCII.GetBytes(baseString)));
    }

    /// <summary>The <c>oauth_*</c> fields of an <c>Authorization: OAuth …</c> header, decoded; null when it is not one.</summary>
    public static Dictionary<string, string>? ParseHeader(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("OAuth ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in authorization[6..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq > 0)
            {
                fields[Uri.UnescapeDataString(part[..eq].Trim())] = Uri.UnescapeDataString(part[(eq + 1)..].Trim().Trim('"'));
            }
        }

        return fields;
    }
}
