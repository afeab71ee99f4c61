using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Providers.Cdn.CacheTier;

/// <summary>
/// The service document of the cache-tier agent's <c>PUT /api/services/{id}</c> (README, "The agent's HTTP contract"),
/// written from the portal's <see cref="ServiceSpec"/>. The agent refuses unknown fields, so this carries exactly the
/// fields it knows; what the agent cannot express comes back as its warnings, and what no node can (viewer protocol
/// policy, TTL bounds, log delivery) as the driver's own.
/// </summary>
internal sealed record CacheTierDocument(
    [property: JsonPropertyName("service_id")] string ServiceId,
    [property: JsonPropertyName("domains")] IReadOnlyList<CacheTierDomain> Domains,
    [property: JsonPropertyName("origins")] IReadOnlyList<CacheTierOrigin> Origins,
    [property: JsonPropertyName("caching")] IReadOnlyList<CacheTierCachingRule> Caching,
    [property: JsonPropertyName("restrictions")] IReadOnlyList<CacheTierRestriction> Restrictions,
    [property: JsonPropertyName("default_ttl")] long DefaultTtl,
    [property: JsonPropertyName("default_root_object")] string? DefaultRootObject,
    [property: JsonPropertyName("forward_cookies")] bool ForwardCookies,
    [property: JsonPropertyName("forward_query_strings")] bool ForwardQueryStrings)
{
    /// <summary>The wire shape: nulls left out (the agent's own defaults apply), everything else written.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public JsonNode ToJsonNode() => JsonSerializer.SerializeToNode(this, Json)!;

    /// <summary>The document for <paramref name="spec"/>, and what the node cannot do of it.</summary>
    public static (CacheTierDocument Document, IReadOnlyList<string> Warnings) From(string serviceId, ServiceSpec spec)
    {
        var warnings = new List<string>();
        var delivery = spec.Delivery;
        var document = new CacheTierDocument(
            serviceId,
            spec.Domains.Select(d => new CacheTierDomain(d.Domain.ToLowerInvariant(), d.Protocol == DomainProtocol.Https ? "https" : "http")).ToList(),
            spec.Origins.Select(o => new CacheTierOrigin(
                o.Origin.ToLowerInvariant(),
                o.Port,
                o.Ssl || delivery.OriginProtocolPolicy == OriginProtocolPolicy.HttpsOnly,
                o.Rules.Select(Rule).ToList(),
                o.HostHeaderType switch { HostHeaderType.Origin => "origin", HostHeaderType.Custom => "custom", _ => "domain" },
                // The portal fills the origin's name in for an "origin" host header; the agent takes a value only for "custom".
                o.HostHeaderType == HostHeaderType.Custom ? o.HostHeaderValue : null)).ToList(),
            spec.Caching.Select(c => new CacheTierCachingRule(c.Name, c.Ttl, c.Rules.Select(Rule).ToList())).ToList(),
            spec.Restrictions.Select(r => new CacheTierRestriction(
                r.Name,
                r.Access == RestrictionAccess.Blacklist ? "blacklist" : "whitelist",
                r.Rules.Select(rule => RestrictionRule(r, rule, warnings)).OfType<CacheTierRestrictionRule>().ToList()))
                .Where(r => r.Rules.Count > 0).ToList(),
            Math.Clamp(delivery.DefaultTtl, 0, ServiceLimits.MaxTtl),
            string.IsNullOrEmpty(delivery.DefaultRootObject) ? null : delivery.DefaultRootObject.TrimStart('/'),
            delivery.ForwardCookies,
            delivery.ForwardQueryStrings);

        if (delivery.ViewerProtocolPolicy != ViewerProtocolPolicy.AllowAll)
        {
            warnings.Add($"Viewer protocol policy {Wire(delivery.ViewerProtocolPolicy)} is not applied: a cache node serves plain HTTP, so redirects to https belong to the TLS terminator in front of it.");
        }
        if (delivery.MinTtl != 0 || delivery.MaxTtl != ServiceLimits.MaxTtl)
        {
            warnings.Add($"TTL bounds (min {delivery.MinTtl.ToString(CultureInfo.InvariantCulture)} s, max {delivery.MaxTtl.ToString(CultureInfo.InvariantCulture)} s) are not applied: a cache node caches for the caching rules' TTLs as they are.");
        }
        if (spec.LogDelivery.Enabled)
        {
            warnings.Add("Log delivery is not configured: a cache node's access log is a setting of the node (Agent:Nginx:AccessLog), not of a service.");
        }
        return (document, warnings);
    }

    private static CacheTierPathRule Rule(RuleSpec rule) =>
        new(string.IsNullOrEmpty(rule.Name) ? null : rule.Name, ServiceDefaults.NormalizeUrl(rule.RequestUrl));

    private static CacheTierRestrictionRule? RestrictionRule(RestrictionSpec restriction, RestrictionRuleSpec rule, List<string> warnings)
    {
        var name = string.IsNullOrEmpty(rule.Name) ? null : rule.Name;
        var url = string.IsNullOrEmpty(rule.RequestUrl) ? ServiceDefaults.EverythingUrl : ServiceDefaults.NormalizeUrl(rule.RequestUrl);
        switch (rule.Kind)
        {
            case RestrictionKind.Referrer:
                return new(name, rule.Referrer!.ToLowerInvariant(), null, null, url);
            case RestrictionKind.ClientIp:
                return new(name, null, rule.ClientIp, null, url);
            default:
                // Poppy's region and country names, as ISO 3166 codes (the agent enforces them where it has a country database).
                var countries = GeoZones.CountryCodes(rule.Geography!);
                if (countries.Count == 0)
                {
                    warnings.Add($"Restriction '{restriction.Name}' names the unknown geography '{rule.Geography}'; that rule is left out.");
                    return null;
                }
                return new(name, null, null, countries, url);
        }
    }

    private static string Wire(ViewerProtocolPolicy policy) => policy switch
    {
        ViewerProtocolPolicy.RedirectToHttps => "redirect-to-https",
        ViewerProtocolPolicy.HttpsOnly => "https-only",
        _ => "allow-all",
    };
}

internal sealed record CacheTierDomain(
    [property: JsonPropertyName("domain")] string Domain,
    [property: JsonPropertyName("protocol")] string Protocol);

internal sealed record CacheTierOrigin(
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("ssl")] bool Ssl,
    [property: JsonPropertyName("rules")] IReadOnlyList<CacheTierPathRule> Rules,
    [property: JsonPropertyName("host_header_type")] string HostHeaderType,
    [property: JsonPropertyName("host_header_value")] string? HostHeaderValue);

internal sealed record CacheTierPathRule(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("request_url")] string RequestUrl);

internal sealed record CacheTierCachingRule(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("ttl")] long Ttl,
    [property: JsonPropertyName("rules")] IReadOnlyList<CacheTierPathRule> Rules);

internal sealed record CacheTierRestriction(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("access")] string Access,
    [property: JsonPropertyName("rules")] IReadOnlyList<CacheTierRestrictionRule> Rules);

internal sealed record CacheTierRestrictionRule(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("referrer")] string? Referrer,
    [property: JsonPropertyName("client_ip")] string? ClientIp,
    [property: JsonPropertyName("countries")] IReadOnlyList<string>? Countries,
    [property: JsonPropertyName("request_url")] string RequestUrl);
