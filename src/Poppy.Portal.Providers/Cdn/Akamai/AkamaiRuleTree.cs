using System.Globalization;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Providers.Cdn.Akamai;

/// <summary>
/// Maps a <see cref="ServiceSpec"/> to a PAPI rule tree. The default rule holds the default origin, the CP code, the
/// default caching and the cache key; children (later ones win, as on the edge) hold origin rules, caching rules by
/// path depth, viewer-protocol handling and restrictions. What PAPI cannot say is returned as a warning.
/// </summary>
internal static class AkamaiRuleTree
{
    public const string DenyReason = "poppy-restriction";

    public static (JsonObject Rules, IReadOnlyList<string> Warnings) Build(ServiceSpec spec, int cpCode)
    {
        var warnings = new List<string>();
        var children = new JsonArray();
        var delivery = spec.Delivery;

        // The default origin: the first one without path rules (or matching everything), else the first one.
        var defaultOrigin = spec.Origins.FirstOrDefault(o => o.Rules.Count == 0 || o.Rules.Any(r => IsEverything(r.RequestUrl)))
            ?? spec.Origins.FirstOrDefault();
        var behaviors = new JsonArray();
        if (defaultOrigin is not null)
        {
            behaviors.Add(Behavior("origin", OriginOptions(defaultOrigin)));
        }

        behaviors.Add(Behavior("cpCode", new JsonObject { ["value"] = new JsonObject { ["id"] = cpCode } }));

        var defaultCaching = spec.Caching.FirstOrDefault(c => c.Rules.Count == 0 || c.Rules.Any(r => IsEverything(r.RequestUrl)));
        behaviors.Add(Behavior("caching", defaultCaching is not null
            ? CachingOptions(defaultCaching.Ttl)
            // No rule for everything: honour the origin's Cache-Control, else the delivery settings' default TTL.
            : new JsonObject { ["behavior"] = "CACHE_CONTROL", ["mustRevalidate"] = false, ["ttl"] = Duration(delivery.DefaultTtl) }));
        behaviors.Add(Behavior("cacheKeyQueryParams", new JsonObject
        {
            ["behavior"] = delivery.ForwardQueryStrings ? "INCLUDE_ALL_PRESERVE_ORDER" : "IGNORE_ALL",
        }));

        foreach (var origin in spec.Origins)
        {
            var paths = origin.Rules.Select(r => r.RequestUrl).Where(p => !IsEverything(p)).Distinct().ToList();
            if (paths.Count > 0 && (origin != defaultOrigin || origin.Rules.Any(r => !IsEverything(r.RequestUrl))))
            {
                if (origin == defaultOrigin && origin.Rules.Any(r => IsEverything(r.RequestUrl)))
                {
                    continue; // the default origin already serves every path
                }

                children.Add(Rule($"Origin {origin.Origin}", [PathCriterion(paths)], [Behavior("origin", OriginOptions(origin))]));
            }
        }

        // Deeper paths last, so that the more specific caching rule wins (later rules override earlier ones).
        foreach (var caching in spec.Caching.Where(c => c != defaultCaching).OrderBy(c => c.Rules.Select(r => Depth(r.RequestUrl)).DefaultIfEmpty(0).Min()))
        {
            var paths = caching.Rules.Select(r => r.RequestUrl).DefaultIfEmpty("/*").Distinct().ToList();
            children.Add(Rule($"Caching {caching.Name}", [PathCriterion(paths)], [Behavior("caching", CachingOptions(caching.Ttl))]));
        }

        if (delivery.DefaultRootObject is { Length: > 0 } root)
        {
            children.Add(Rule("Default root object", [PathCriterion(["/"])],
                [Behavior("rewriteUrl", new JsonObject { ["behavior"] = "REWRITE", ["targetUrl"] = "/" + root.TrimStart('/') })]));
        }

        switch (delivery.ViewerProtocolPolicy)
        {
            case ViewerProtocolPolicy.RedirectToHttps:
                children.Add(Rule("Redirect to HTTPS", [ProtocolCriterion()], [Behavior("redirect", new JsonObject
                {
                    ["mobileDefaultChoice"] = "DEFAULT",
                    ["destinationProtocol"] = "HTTPS",
                    ["destinationHostname"] = "SAME_AS_REQUEST",
                    ["destinationPath"] = "SAME_AS_REQUEST",
                    ["queryString"] = "APPEND",
                    ["responseCode"] = 301,
                })]));
                break;
            case ViewerProtocolPolicy.HttpsOnly:
                children.Add(Rule("HTTPS only", [ProtocolCriterion()], [Deny()]));
                break;
        }

        foreach (var restriction in spec.Restrictions)
        {
            foreach (var group in restriction.Rules.GroupBy(r => (r.Kind, r.RequestUrl)))
            {
                var criterion = RestrictionCriterion(group.Key.Kind, restriction.Access, [.. group.Select(r => r.Value!)], warnings, restriction.Name);
                if (criterion is null)
                {
                    continue;
                }

                var criteria = IsEverything(group.Key.RequestUrl) ? new List<JsonObject> { criterion } : [PathCriterion([group.Key.RequestUrl]), criterion];
                children.Add(Rule($"Restriction {restriction.Name} ({group.Key.Kind.ToString().ToLowerInvariant()} {restriction.Access.ToString().ToLowerInvariant()})",
                    criteria, [Deny()]));
            }
        }

        if (delivery.OriginProtocolPolicy != OriginProtocolPolicy.MatchViewer)
        {
            warnings.Add($"origin_protocol_policy '{ToWire(delivery.OriginProtocolPolicy)}': an Akamai origin follows the viewer's protocol to its httpPort/httpsPort; use the origin's ssl flag and port instead.");
        }

        if (delivery.MinTtl != 0 || delivery.MaxTtl != ServiceLimits.MaxTtl)
        {
            warnings.Add("min_ttl/max_ttl: Akamai's caching behavior has no lower or upper bound on the origin's max-age; only the caching rules' TTLs and default_ttl apply.");
        }

        if (delivery.ForwardCookies)
        {
            warnings.Add("forward_cookies: Akamai always forwards cookies to the origin but does not vary its cache on them.");
        }

        if (spec.LogDelivery.Enabled)
        {
            warnings.Add("log_delivery: Akamai delivers logs through DataStream or Log Delivery Service, configured outside the property; it was not set up.");
        }

        foreach (var domain in spec.Domains.Where(d => d.Certificate is CertificateType.Custom or CertificateType.Sni))
        {
            warnings.Add($"{domain.Domain}: certificate '{domain.Certificate.ToString()!.ToLowerInvariant()}' is served from a CPS-managed enrollment on the edgekey.net hostname; the enrollment itself is made in CPS, not by the portal.");
        }

        var rules = new JsonObject
        {
            ["name"] = "default",
            ["options"] = new JsonObject { ["is_secure"] = spec.Domains.Any(d => d.Protocol == DomainProtocol.Https) },
            ["criteria"] = new JsonArray(),
            ["behaviors"] = behaviors,
            ["children"] = children,
            ["comments"] = "Managed by Poppy Portal; changes made here are overwritten.",
        };
        return (rules, warnings);
    }

    /// <summary>The CP code a rule tree carries in its default rule, if any.</summary>
    public static int? CpCodeOf(JsonObject? rules) =>
        (rules?["behaviors"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(b => b["name"]?.ToString() == "cpCode")
            .Select(b => b["options"]?["value"]?["id"] is JsonValue id && id.TryGetValue<int>(out var number) ? number : (int?)null)
            .FirstOrDefault(n => n is not null);

    /// <summary>PAPI TTLs: whole days, hours or minutes when exact, else seconds.</summary>
    public static string Duration(long seconds) =>
        seconds % 86_400 == 0 && seconds > 0 ? $"{seconds / 86_400}d"
        : seconds % 3_600 == 0 && seconds > 0 ? $"{seconds / 3_600}h"
        : seconds % 60 == 0 && seconds > 0 ? $"{seconds / 60}m"
        : seconds.ToString(CultureInfo.InvariantCulture) + "s";

    private static JsonObject CachingOptions(int ttl) => ttl == 0
        ? new JsonObject { ["behavior"] = "NO_STORE" }
        : new JsonObject { ["behavior"] = "MAX_AGE", ["mustRevalidate"] = false, ["ttl"] = Duration(ttl) };

    private static JsonObject OriginOptions(OriginSpec origin)
    {
        var options = new JsonObject
        {
            ["originType"] = "CUSTOMER",
            ["hostname"] = origin.Origin,
            ["httpPort"] = origin.Ssl ? 80 : origin.Port,
            ["httpsPort"] = origin.Ssl ? origin.Port : 443,
            ["forwardHostHeader"] = origin.HostHeaderType switch
            {
                HostHeaderType.Origin => "ORIGIN_HOSTNAME",
                HostHeaderType.Custom => "CUSTOM",
                _ => "REQUEST_HOST_HEADER",
            },
            ["cacheKeyHostname"] = "ORIGIN_HOSTNAME",
            ["compress"] = true,
            ["enableTrueClientIp"] = false,
            ["verificationMode"] = "PLATFORM_SETTINGS",
        };
        if (origin.HostHeaderType == HostHeaderType.Custom)
        {
            options["customForwardHostHeader"] = origin.HostHeaderValue ?? origin.Origin;
        }

        return options;
    }

    private static JsonObject? RestrictionCriterion(RestrictionKind kind, RestrictionAccess access, IReadOnlyList<string> values, List<string> warnings, string restriction)
    {
        // A whitelist denies what is NOT one of the values; a blacklist denies what is.
        var matchOperator = access == RestrictionAccess.Whitelist ? "IS_NOT_ONE_OF" : "IS_ONE_OF";
        switch (kind)
        {
            case RestrictionKind.Referrer:
                return Criterion("requestHeader", new JsonObject
                {
                    ["headerName"] = "Referer",
                    ["matchOperator"] = matchOperator,
                    ["values"] = new JsonArray([.. values.SelectMany(v => new[] { $"*://{v}/*", $"*://{v}" }).Select(v => (JsonNode)v)]),
                    ["matchWildcardName"] = false,
                    ["matchWildcardValue"] = true,
                    ["matchCaseSensitiveValue"] = false,
                });
            case RestrictionKind.Geography:
                var codes = values.SelectMany(GeoZones.CountryCodes).Distinct().Order(StringComparer.Ordinal).ToList();
                if (codes.Count == 0)
                {
                    warnings.Add($"restriction '{restriction}': geography {string.Join(", ", values)} names no country Akamai knows; not applied.");
                    return null;
                }

                return Criterion("userLocation", new JsonObject
                {
                    ["field"] = "COUNTRY",
                    ["matchOperator"] = matchOperator,
                    ["countryValues"] = new JsonArray([.. codes.Select(c => (JsonNode)c)]),
                    ["checkIps"] = "BOTH",
                    ["useOnlyFirstXForwardedForIp"] = false,
                });
            default:
                return Criterion("clientIp", new JsonObject
                {
                    ["matchOperator"] = matchOperator,
                    ["values"] = new JsonArray([.. values.Select(v => (JsonNode)v)]),
                    ["useHeaders"] = false,
                });
        }
    }

    private static JsonObject Deny() => Behavior("denyAccess", new JsonObject { ["reason"] = DenyReason, ["enabled"] = true });

    private static JsonObject ProtocolCriterion() => Criterion("requestProtocol", new JsonObject { ["value"] = "HTTP" });

    private static JsonObject PathCriterion(IReadOnlyList<string> paths) => Criterion("path", new JsonObject
    {
        ["matchOperator"] = "MATCHES_ONE_OF",
        ["values"] = new JsonArray([.. paths.Select(p => (JsonNode)p)]),
        ["matchCaseSensitive"] = false,
        ["normalize"] = false,
    });

    private static JsonObject Rule(string name, IReadOnlyList<JsonObject> criteria, IReadOnlyList<JsonObject> behaviors) => new()
    {
        ["name"] = name,
        ["children"] = new JsonArray(),
        ["behaviors"] = new JsonArray([.. behaviors]),
        ["criteria"] = new JsonArray([.. criteria]),
        ["criteriaMustSatisfy"] = "all",
    };

    private static JsonObject Behavior(string name, JsonObject options) => new() { ["name"] = name, ["options"] = options };

    private static JsonObject Criterion(string name, JsonObject options) => new() { ["name"] = name, ["options"] = options };

    private static bool IsEverything(string path) => path is "/*" or "*" or "/**";

    private static int Depth(string path) => path.Count(c => c == '/');

    private static string ToWire(OriginProtocolPolicy policy) => policy switch
    {
        OriginProtocolPolicy.HttpOnly => "http-only",
        OriginProtocolPolicy.HttpsOnly => "https-only",
        _ => "match-viewer",
    };
}
