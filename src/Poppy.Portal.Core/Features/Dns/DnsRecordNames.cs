using System.Security.Cryptography;
using System.Text;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Dns;

/// <summary>
/// The name a service domain gets in the operator's zone, as Poppy's DNS drivers made it: the domain's dots become
/// hyphens and the zone follows (<c>www.example.com</c> in <c>cdn.operator.test</c> →
/// <c>www-example-com.cdn.operator.test</c>). Customers CNAME their own domain to that name.
/// </summary>
public static class DnsRecordNames
{
    /// <summary>The TTL of a steering CNAME unless the account says otherwise: short, so a switch is seen soon.</summary>
    public const int DefaultTtlSeconds = 30;

    /// <summary>Longest DNS label (RFC 1035 §2.3.4).</summary>
    public const int MaxLabelLength = 63;

    /// <summary>
    /// The record name for <paramref name="domain"/> in <paramref name="zone"/>, lower case, no trailing dot. A label
    /// longer than 63 characters keeps its first 54 and ends with 8 hex digits of the domain's SHA-256, so two long
    /// domains never share a name by truncation. Throws when the domain is not one the portal accepts or the result
    /// does not fit in 253 characters.
    /// </summary>
    public static string For(string domain, string zone)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(zone);
        // No trimming: a domain with a stray space or line break is not a domain (the input rules refuse it too).
        var host = domain.TrimEnd('.').ToLowerInvariant();
        var parent = NormalizeZone(zone);
        if (!HostNames.IsDomain(host))
        {
            throw new ArgumentException($"'{domain}' is not a domain name.", nameof(domain));
        }

        var label = host.Replace('.', '-');
        if (label.Length > MaxLabelLength)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(host)))[..8];
            label = label[..(MaxLabelLength - 9)].TrimEnd('-') + "-" + hash;
        }

        var name = label + "." + parent;
        if (name.Length > 253)
        {
            throw new ArgumentException($"The name for '{domain}' in zone '{zone}' is longer than 253 characters.", nameof(domain));
        }

        return name;
    }

    /// <summary>A zone as the portal keeps it: lower case, no trailing dot; throws when it is not a domain name.</summary>
    public static string NormalizeZone(string zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var normalized = zone.TrimEnd('.').ToLowerInvariant();
        return HostNames.IsDomain(normalized)
            ? normalized
            : throw new ArgumentException($"'{zone}' is not a zone name.", nameof(zone));
    }

    /// <summary>Whether <paramref name="name"/> lies inside <paramref name="zone"/> (both without trailing dots).</summary>
    public static bool IsInZone(string name, string zone) =>
        name.EndsWith("." + zone, StringComparison.OrdinalIgnoreCase) && name.Length > zone.Length + 1;

    /// <summary>The fully qualified form vendors want (<c>name.</c>).</summary>
    public static string Absolute(string name) => name.TrimEnd('.') + ".";

    /// <summary>The portal's form of a vendor's name: no trailing dot, lower case.</summary>
    public static string Relative(string name) => name.TrimEnd('.').ToLowerInvariant();
}
