namespace Poppy.Portal.Simulators.MaxCdn;

/// <summary>
/// Reads the OAuth 1.0a header MaxCDN's RWS takes (two-legged: consumer key and secret, no token); the signature itself
/// is the Providers' <c>OAuth1Signature</c>.
/// </summary>
public static class OAuth1
{
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
