using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>The syntax rules for domains, origins and client IPs, shared by the validator and the drivers.</summary>
public static partial class HostNames
{
    /// <summary>
    /// Poppy's domain rule: lowercase labels of letters, digits and inner hyphens, and a 2–63 letter TLD; plus IDNs in
    /// their ASCII form (RFC 5890 A-labels, <c>xn--</c> and punycode, also as the TLD such as <c>xn--p1ai</c>), whose
    /// punycode is then checked by <see cref="IdnMapping"/>. Anchored with <c>\A</c> and <c>\z</c>: <c>$</c> also matches
    /// before a final line feed, which let <c>"www.example.com\n"</c> through every check.
    /// </summary>
    [GeneratedRegex(@"\A(?:(?=[a-z0-9-]{1,63}\.)(?:xn--[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|[a-z0-9]+(?:-[a-z0-9]+)*)\.)+(?:[a-z]{2,63}|(?=[a-z0-9-]{5,63}\z)xn--[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\z",
        RegexOptions.CultureInvariant)]
    private static partial Regex DomainPattern();

    /// <summary>A shared-certificate name is one label; the portal appends the shared-SSL shard.</summary>
    [GeneratedRegex(@"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex SharedNamePattern();

    /// <summary>
    /// Second-level registry suffixes under a country code (co.uk, com.au, co.ie, co.vn, ...): a name directly below one is
    /// still a root domain. Poppy's version broke its pattern over several lines and so missed co.ie and co.vn.
    /// </summary>
    [GeneratedRegex(@"\A[a-z0-9-]+\.(co|com|net|org|gov|edu|ac|ltd|plc|or|ne|go|gob|nic|mil|sch|nom|gen|biz|info|me|web)\.[a-z]{2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex CountryRootPattern();

    [GeneratedRegex(@"\A[0-9]{1,3}(\.[0-9]{1,3}){3}\z", RegexOptions.CultureInvariant)]
    private static partial Regex DottedQuadPattern();

    public static bool IsDomain(string value) => value.Length is >= 3 and <= 253 && DomainPattern().IsMatch(value) && HasValidALabels(value);

    /// <summary>Every <c>xn--</c> label decodes as punycode to a valid IDN label (so <c>xn--zz</c> is refused).</summary>
    private static bool HasValidALabels(string domain)
    {
        foreach (var label in domain.Split('.'))
        {
            if (!label.StartsWith("xn--", StringComparison.Ordinal))
            {
                continue;
            }
            try
            {
                // The round trip must give the label back: GetUnicode accepts some encodings that do not.
                var idn = new IdnMapping { UseStd3AsciiRules = true };
                if (idn.GetAscii(idn.GetUnicode(label)) != label)
                {
                    return false;
                }
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The form domains are compared and stored in: lower case, without the trailing dot of a fully qualified name.
    /// The validator refuses anything else, so stored domains already have it and the unique index (case-sensitive
    /// on both databases) compares what this gives.
    /// </summary>
    public static string Canonical(string domain) => domain.TrimEnd('.').ToLowerInvariant();

    public static bool IsSharedName(string value) => SharedNamePattern().IsMatch(value);

    /// <summary>A domain with nothing in front of its registrable part, e.g. example.com or example.co.uk.</summary>
    public static bool IsRootDomain(string domain)
    {
        var labels = domain.Count(c => c == '.') + 1;
        return labels <= 2 || (labels == 3 && CountryRootPattern().IsMatch(domain));
    }

    public static bool IsIPv4(string value) =>
        DottedQuadPattern().IsMatch(value) && value.Split('.').All(octet => int.Parse(octet, CultureInfo.InvariantCulture) <= 255);

    /// <summary>
    /// An origin is a host name (any case) or an IPv4 address; no scheme, port, path, spaces or IPv6. ASCII only, checked
    /// before lowering: the Kelvin sign U+212A lowers to 'k'.
    /// </summary>
    public static bool IsOrigin(string value) =>
        value.Length is >= 3 and <= 253 && value.All(char.IsAscii)
        && (IsIPv4(value) || (!IsIPv4Like(value) && IsDomain(value.ToLowerInvariant())));

    private static bool IsIPv4Like(string value) => value.All(c => char.IsAsciiDigit(c) || c == '.');

    /// <summary>IPv4 with an optional /1–32 prefix, or IPv6 with an optional /1–128 prefix.</summary>
    public static bool IsClientIp(string value)
    {
        // IPAddress.TryParse is lenient about what surrounds an address; only these characters can be part of one.
        if (!value.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':' or '/'))
        {
            return false;
        }
        var slash = value.IndexOf('/');
        var address = slash < 0 ? value : value[..slash];
        var isV6 = address.Contains(':');
        if (slash >= 0)
        {
            var prefix = value[(slash + 1)..];
            if (prefix.Length is 0 or > 3 || !prefix.All(char.IsAsciiDigit))
            {
                return false;
            }
            var bits = int.Parse(prefix, CultureInfo.InvariantCulture);
            if (bits < 1 || bits > (isV6 ? 128 : 32))
            {
                return false;
            }
        }
        return isV6
            ? IPAddress.TryParse(address, out var parsed) && parsed.AddressFamily == AddressFamily.InterNetworkV6 && !address.Contains('%')
            : IsIPv4(address);
    }
}
