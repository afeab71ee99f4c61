using System.Globalization;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Providers.Cdn.MaxCdn;

/// <summary>The pull-zone fields a service maps to, and a warning for every setting a pull zone cannot express.</summary>
internal sealed record MaxCdnZoneSettings(IReadOnlyList<KeyValuePair<string, string>> Fields, IReadOnlyList<string> Domains, IReadOnlyList<string> Warnings);

/// <summary>
/// A MaxCDN pull zone has one origin URL, one host header, one cache time for the whole zone and a list of custom
/// domains. Everything else in a service is reported as a warning, never dropped silently.
/// </summary>
internal static class MaxCdnZoneMapping
{
    /// <summary>The zone's name: the portal's service id (32 hex digits fits RWS's 3–32 letters, digits and dashes).</summary>
    public static string ZoneName(Guid serviceId) => serviceId.ToString("N");

    public static MaxCdnZoneSettings Map(Guid serviceId, ServiceSpec spec)
    {
        var warnings = new List<string>();
        var fields = new List<KeyValuePair<string, string>>
        {
            new("name", ZoneName(serviceId)),
            new("label", spec.Name),
        };

        MapOrigin(spec, fields, warnings);
        MapCaching(spec, fields, warnings);

        foreach (var restriction in spec.Restrictions)
        {
            foreach (var rule in restriction.Rules)
            {
                warnings.Add($"Restriction '{restriction.Name}' ({restriction.Access.ToString().ToLowerInvariant()} {rule.Kind switch
                {
                    RestrictionKind.Referrer => "referrer",
                    RestrictionKind.Geography => "geography",
                    _ => "client IP",
                }} {rule.Value} on {rule.RequestUrl}) is not applied: MaxCDN pull zones cannot express access restrictions.");
            }
        }

        var domains = new List<string>();
        foreach (var domain in spec.Domains)
        {
            domains.Add(domain.Domain.Trim().ToLowerInvariant());
            if (domain.Protocol == DomainProtocol.Https)
            {
                warnings.Add($"Domain {domain.Domain} is https ({(domain.Certificate?.ToString() ?? "no").ToLowerInvariant()} certificate): MaxCDN serves it over https only with a certificate installed on the zone, which this driver does not do.");
            }
        }

        var delivery = spec.Delivery;
        fields.Add(new("queries", delivery.ForwardQueryStrings ? "1" : "0"));
        if (delivery.ViewerProtocolPolicy != ViewerProtocolPolicy.AllowAll)
        {
            warnings.Add($"Viewer protocol policy {Wire(delivery.ViewerProtocolPolicy)} is not applied: MaxCDN pull zones serve both http and https as they are asked.");
        }

        if (!string.IsNullOrEmpty(delivery.DefaultRootObject))
        {
            warnings.Add($"Default root object {delivery.DefaultRootObject} is not applied: MaxCDN pull zones have no default root object.");
        }

        if (delivery.ForwardCookies)
        {
            warnings.Add("Forwarding cookies is not configurable on MaxCDN pull zones; the zone's own cookie handling applies.");
        }

        if (spec.LogDelivery.Enabled)
        {
            warnings.Add("Log delivery is not configured: MaxCDN raw logs are an account setting outside the pull zone.");
        }

        return new MaxCdnZoneSettings(fields, domains.Distinct().ToList(), warnings);
    }

    private static void MapOrigin(ServiceSpec spec, List<KeyValuePair<string, string>> fields, List<string> warnings)
    {
        if (spec.Origins.Count == 0)
        {
            return; // the vendor refuses a zone without a URL, with its own message
        }

        var origin = spec.Origins[0];
        var https = spec.Delivery.OriginProtocolPolicy switch
        {
            OriginProtocolPolicy.HttpsOnly => true,
            OriginProtocolPolicy.HttpOnly => false,
            _ => origin.Ssl,
        };
        if (spec.Delivery.OriginProtocolPolicy == OriginProtocolPolicy.MatchViewer
            && spec.Domains.Any(d => (d.Protocol == DomainProtocol.Https) != https))
        {
            warnings.Add($"Origin protocol policy match-viewer is not applied: MaxCDN fetches from the origin over {(https ? "https" : "http")} for every viewer.");
        }

        var scheme = https ? "https" : "http";
        var defaultPort = https ? 443 : 80;
        var host = origin.Origin.Contains(':') && !origin.Origin.StartsWith('[') ? $"[{origin.Origin}]" : origin.Origin;
        fields.Add(new("url", origin.Port == defaultPort ? $"{scheme}://{host}" : $"{scheme}://{host}:{origin.Port.ToString(CultureInfo.InvariantCulture)}"));
        fields.Add(new("port", origin.Port.ToString(CultureInfo.InvariantCulture)));

        var hostHeader = origin.HostHeaderType switch
        {
            HostHeaderType.Custom => origin.HostHeaderValue ?? "",
            HostHeaderType.Origin => "", // RWS default: the origin URL's host
            _ => spec.Domains.Count > 0 ? spec.Domains[0].Domain : "",
        };
        if (origin.HostHeaderType == HostHeaderType.Domain && spec.Domains.Count > 1)
        {
            warnings.Add($"Host header 'domain' is sent as {spec.Domains[0].Domain} for every domain: a MaxCDN pull zone sends one fixed host header to the origin.");
        }

        fields.Add(new("set_host_header", hostHeader));

        foreach (var rule in origin.Rules.Where(r => !IsCatchAll(r.RequestUrl)))
        {
            warnings.Add($"Origin {origin.Origin} rule '{rule.Name}' ({rule.RequestUrl}) is not applied: a MaxCDN pull zone sends every path to its one origin.");
        }

        foreach (var other in spec.Origins.Skip(1))
        {
            warnings.Add($"Origin {other.Origin}:{other.Port.ToString(CultureInfo.InvariantCulture)}{RulesText(other.Rules)} is not used: a MaxCDN pull zone has one origin ({origin.Origin}).");
        }
    }

    private static void MapCaching(ServiceSpec spec, List<KeyValuePair<string, string>> fields, List<string> warnings)
    {
        var delivery = spec.Delivery;
        if (spec.Caching.Count == 0)
        {
            // No rule: the origin's Cache-Control decides, the default TTL fills in where it says nothing.
            fields.Add(new("cache_valid", Duration(delivery.DefaultTtl)));
            fields.Add(new("ignore_cache_control", "0"));
        }
        else
        {
            // A caching rule fixes the TTL (as Poppy's Akamai driver did), so the origin's Cache-Control is ignored.
            var first = spec.Caching[0];
            fields.Add(new("cache_valid", Duration(first.Ttl)));
            fields.Add(new("ignore_cache_control", "1"));
            foreach (var rule in first.Rules.Where(r => !IsCatchAll(r.RequestUrl)))
            {
                warnings.Add($"Caching rule '{first.Name}' applies its TTL of {first.Ttl.ToString(CultureInfo.InvariantCulture)} s to every path, not only {rule.RequestUrl}: MaxCDN pull zones have one cache time.");
            }

            foreach (var other in spec.Caching.Skip(1))
            {
                warnings.Add($"Caching rule '{other.Name}' (TTL {other.Ttl.ToString(CultureInfo.InvariantCulture)} s{RulesText(other.Rules)}) is not applied: MaxCDN pull zones have one cache time, taken from '{first.Name}'.");
            }

            if (delivery.DefaultTtl != ServiceLimits.DefaultCacheTtl)
            {
                warnings.Add($"Default TTL {delivery.DefaultTtl.ToString(CultureInfo.InvariantCulture)} s is not applied: the caching rule '{first.Name}' sets the zone's one cache time.");
            }
        }

        if (delivery.MinTtl != 0 || delivery.MaxTtl != ServiceLimits.MaxTtl)
        {
            warnings.Add($"TTL bounds (min {delivery.MinTtl.ToString(CultureInfo.InvariantCulture)} s, max {delivery.MaxTtl.ToString(CultureInfo.InvariantCulture)} s) are not applied: MaxCDN pull zones cannot bound the origin's TTLs.");
        }
    }

    /// <summary>RWS's nginx-style duration: the largest whole unit, e.g. <c>2h</c>, <c>90s</c>, <c>1d</c>.</summary>
    public static string Duration(long seconds) =>
        seconds > 0 && seconds % 86_400 == 0 ? $"{(seconds / 86_400).ToString(CultureInfo.InvariantCulture)}d"
        : seconds > 0 && seconds % 3_600 == 0 ? $"{(seconds / 3_600).ToString(CultureInfo.InvariantCulture)}h"
        : seconds > 0 && seconds % 60 == 0 ? $"{(seconds / 60).ToString(CultureInfo.InvariantCulture)}m"
        : $"{seconds.ToString(CultureInfo.InvariantCulture)}s";

    private static bool IsCatchAll(string requestUrl) => requestUrl is "" or "/" or "/*" or "*";

    private static string RulesText(List<RuleSpec> rules) =>
        rules.Count == 0 ? "" : " for " + string.Join(", ", rules.Select(r => r.RequestUrl));

    private static string Wire(ViewerProtocolPolicy policy) => policy switch
    {
        ViewerProtocolPolicy.RedirectToHttps => "redirect-to-https",
        ViewerProtocolPolicy.HttpsOnly => "https-only",
        _ => "allow-all",
    };
}
