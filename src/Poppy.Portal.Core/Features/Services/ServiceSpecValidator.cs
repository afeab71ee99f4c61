using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// Every rule of Poppy's service schema and functional validators, on the typed document, so the API (after
/// <see cref="ServiceDocumentReader"/>) and the portal forms get the same answers. Checks needing the database (flavor
/// exists, domain free in every project, project limit) are made by <see cref="ServiceCatalog"/>.
/// Call <see cref="ServiceDefaults.Apply"/> first: Poppy validates uniqueness with its defaults in place.
/// </summary>
public static partial class ServiceSpecValidator
{
    private const int MaxNameLength = 256;
    private const int MaxUrlLength = 1024;

    public static List<ValidationError> Validate(ServiceSpec spec)
    {
        var errors = new List<ValidationError>();
        void Fail(string path, string message) => errors.Add(new ValidationError(path, message));

        Length(spec.Name, "name", 3, MaxNameLength, Fail);
        Length(spec.FlavorId, "flavor_id", 1, 256, Fail);
        ValidateDomains(spec, Fail);
        ValidateOrigins(spec, Fail);
        ValidateCaching(spec, Fail);
        ValidateRestrictions(spec, Fail);
        ValidateDelivery(spec, Fail);
        return errors;
    }

    private static void ValidateDomains(ServiceSpec spec, Action<string, string> fail)
    {
        if (spec.Domains.Count is < 1 or > ServiceLimits.MaxDomains)
        {
            fail("domains", $"A service needs 1 to {ServiceLimits.MaxDomains} domains; {spec.Domains.Count} given.");
        }
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var origins = spec.Origins.Select(o => o.Origin).ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < spec.Domains.Count; i++)
        {
            var domain = spec.Domains[i];
            var path = $"domains[{i}]";
            var name = domain.Domain;
            var shared = domain.Certificate == CertificateType.Shared;
            if (!Clean(name, $"{path}.domain", fail))
            {
                continue;
            }
            if (name.Length == 0)
            {
                // Said as what is missing; an empty name is not "also an origin" (an empty origin) nor "'' too short".
                fail($"{path}.domain", "Required: enter a domain such as www.example.com.");
                continue;
            }
            if (domain.Protocol == DomainProtocol.Https && domain.Certificate is null)
            {
                fail($"{path}.certificate", "An https domain needs a certificate type: shared, san, sni or custom.");
            }
            else if (domain.Protocol == DomainProtocol.Http && domain.Certificate is not null)
            {
                fail($"{path}.certificate", "An http domain takes no certificate; use protocol https for a certificate.");
            }

            if (name.Length is < 3 or > 253 && !shared)
            {
                fail($"{path}.domain", $"'{name}' must be 3 to 253 characters long.");
            }
            else if (shared && !HostNames.IsSharedName(name))
            {
                fail($"{path}.domain", $"'{name}' is not a valid shared-certificate name: use one lowercase label such as 'mysite', without dots.");
            }
            else if (!shared && !HostNames.IsDomain(name))
            {
                fail($"{path}.domain", $"'{name}' is not a valid domain name (lowercase letters, digits and inner hyphens, dot-separated, ending in a TLD).");
            }
            else if (!shared && HostNames.IsRootDomain(name))
            {
                fail($"{path}.domain", $"'{name}' is a root domain, which cannot be a CNAME; use a subdomain such as 'www.{name}'.");
            }

            if (!seen.Add(HostNames.Canonical(name)))
            {
                fail($"{path}.domain", $"'{name}' appears more than once; a domain may be listed once, whatever its protocol.");
            }
            if (origins.Contains(name))
            {
                fail($"{path}.domain", $"'{name}' is also an origin; the domain and the origin must differ.");
            }
        }
    }

    private static void ValidateOrigins(ServiceSpec spec, Action<string, string> fail)
    {
        if (spec.Origins.Count is < 1 or > ServiceLimits.MaxOrigins)
        {
            fail("origins", $"A service needs 1 to {ServiceLimits.MaxOrigins} origins; {spec.Origins.Count} given.");
        }
        var seenOrigins = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var seenUrls = new Dictionary<string, string>();
        for (var i = 0; i < spec.Origins.Count; i++)
        {
            var origin = spec.Origins[i];
            var path = $"origins[{i}]";
            if (origin.Origin is "")
            {
                fail($"{path}.origin", "Required: enter the host name or IPv4 address the providers fetch from.");
            }
            else if (Clean(origin.Origin, $"{path}.origin", fail) && !HostNames.IsOrigin(origin.Origin))
            {
                fail($"{path}.origin", $"'{origin.Origin}' is not a valid origin: give a host name or IPv4 address of 3 to 253 characters, without scheme, port or path.");
            }
            if (origin.Port is not (80 or 443))
            {
                fail($"{path}.port", $"Port {origin.Port} is not allowed; use 80 or 443.");
            }
            var key = (origin.Ssl ? "https://" : "http://") + origin.Origin;
            if (!seenOrigins.Add(key))
            {
                fail($"{path}.origin", $"'{key}' is listed twice.");
            }
            switch (origin.HostHeaderType)
            {
                case HostHeaderType.Custom when !Clean(origin.HostHeaderValue, $"{path}.hostheadervalue", fail):
                    break;
                case HostHeaderType.Custom when string.IsNullOrEmpty(origin.HostHeaderValue):
                    fail($"{path}.hostheadervalue", "A custom host header needs a value.");
                    break;
                case HostHeaderType.Custom when !HostNames.IsDomain(origin.HostHeaderValue!):
                    fail($"{path}.hostheadervalue", $"'{origin.HostHeaderValue}' is not a valid domain name for the host header.");
                    break;
            }
            ValidateRules(origin.Rules, $"{path}.rules", fail, requireRules: false);
            for (var r = 0; r < origin.Rules.Count; r++)
            {
                var url = ServiceDefaults.NormalizeUrl(origin.Rules[r].RequestUrl);
                if (!seenUrls.TryAdd(url, $"{path}.rules[{r}]"))
                {
                    fail($"{path}.rules[{r}].request_url", $"'{url}' is already routed by {seenUrls[url]}; each path may go to one origin only.");
                }
            }
        }
    }

    private static void ValidateCaching(ServiceSpec spec, Action<string, string> fail)
    {
        var seenUrls = new Dictionary<string, string>();
        for (var i = 0; i < spec.Caching.Count; i++)
        {
            var rule = spec.Caching[i];
            var path = $"caching[{i}]";
            Length(rule.Name, $"{path}.name", 1, MaxNameLength, fail);
            if (rule.Ttl is < 0 or > ServiceLimits.MaxTtl)
            {
                fail($"{path}.ttl", $"TTL {rule.Ttl} is out of range; use 0 to {ServiceLimits.MaxTtl} seconds.");
            }
            ValidateRules(rule.Rules, $"{path}.rules", fail, requireRules: i > 0);
            for (var r = 0; r < rule.Rules.Count; r++)
            {
                var url = ServiceDefaults.NormalizeUrl(rule.Rules[r].RequestUrl);
                if (!seenUrls.TryAdd(url, $"{path}.rules[{r}]"))
                {
                    fail($"{path}.rules[{r}].request_url", $"'{url}' already has a caching rule ({seenUrls[url]}).");
                }
            }
        }
    }

    private static void ValidateRules(List<RuleSpec> rules, string path, Action<string, string> fail, bool requireRules)
    {
        if (requireRules && rules.Count == 0)
        {
            fail(path, "Rules are required; only the first caching rule may leave them out (it then covers /*).");
        }
        for (var r = 0; r < rules.Count; r++)
        {
            Length(rules[r].Name, $"{path}[{r}].name", 1, MaxNameLength, fail);
            RequestUrl(rules[r].RequestUrl, $"{path}[{r}].request_url", 1, MaxUrlLength, fail);
        }
    }

    private static void ValidateRestrictions(ServiceSpec spec, Action<string, string> fail)
    {
        // (kind, url) -> access seen first, to refuse whitelisting and blacklisting the same kind on one path.
        var accessByKindAndUrl = new Dictionary<(RestrictionKind, string), RestrictionAccess>();
        for (var i = 0; i < spec.Restrictions.Count; i++)
        {
            var restriction = spec.Restrictions[i];
            var path = $"restrictions[{i}]";
            Length(restriction.Name, $"{path}.name", 1, MaxNameLength, fail);
            if (restriction.Rules.Count == 0)
            {
                fail($"{path}.rules", "A restriction needs at least one rule.");
            }
            for (var r = 0; r < restriction.Rules.Count; r++)
            {
                var rule = restriction.Rules[r];
                var rulePath = $"{path}.rules[{r}]";
                var clean = Clean(rule.Referrer, $"{rulePath}.referrer", fail) & Clean(rule.Geography, $"{rulePath}.geography", fail)
                    & Clean(rule.ClientIp, $"{rulePath}.client_ip", fail);
                var set = new[] { rule.Referrer, rule.Geography, rule.ClientIp }.Count(v => v is not null);
                if (set != 1)
                {
                    fail(rulePath, "A restriction rule needs exactly one of referrer, geography or client_ip.");
                    continue;
                }
                if (rule.Name is not null || rule.Kind == RestrictionKind.Referrer)
                {
                    Length(rule.Name ?? "", $"{rulePath}.name", 1, MaxNameLength, fail);
                }
                if (!clean)
                {
                    RequestUrl(rule.RequestUrl, $"{rulePath}.request_url", 1, MaxUrlLength, fail);
                    continue;
                }
                switch (rule.Kind)
                {
                    case RestrictionKind.Referrer:
                        if (rule.Referrer!.Length is < 3 or > MaxUrlLength || !HostNames.IsDomain(rule.Referrer))
                        {
                            fail($"{rulePath}.referrer", $"'{rule.Referrer}' is not a valid referrer: give a domain name such as 'www.example.com', without scheme.");
                        }
                        RequestUrl(rule.RequestUrl, $"{rulePath}.request_url", 1, MaxUrlLength, fail);
                        break;
                    case RestrictionKind.Geography:
                        if (!GeoZones.IsKnown(rule.Geography!))
                        {
                            fail($"{rulePath}.geography", $"'{rule.Geography}' is not a known country or region (for example 'USA', 'Mexico', 'North America').");
                        }
                        RequestUrl(rule.RequestUrl, $"{rulePath}.request_url", 2, 100, fail);
                        break;
                    case RestrictionKind.ClientIp:
                        if (!HostNames.IsClientIp(rule.ClientIp!))
                        {
                            fail($"{rulePath}.client_ip", $"'{rule.ClientIp}' is not an IPv4 address with optional /1-32 or an IPv6 address with optional /1-128.");
                        }
                        RequestUrl(rule.RequestUrl, $"{rulePath}.request_url", 2, 100, fail);
                        break;
                }

                var key = (rule.Kind, ServiceDefaults.NormalizeUrl(rule.RequestUrl));
                if (accessByKindAndUrl.TryGetValue(key, out var earlier) && earlier != restriction.Access)
                {
                    fail($"{rulePath}", $"Cannot blacklist and whitelist {KindName(rule.Kind)} on the same path '{key.Item2}'.");
                }
                accessByKindAndUrl.TryAdd(key, restriction.Access);
            }
        }
    }

    private static void ValidateDelivery(ServiceSpec spec, Action<string, string> fail)
    {
        var delivery = spec.Delivery;
        foreach (var (value, name) in new[] { (delivery.MinTtl, "min_ttl"), (delivery.DefaultTtl, "default_ttl"), (delivery.MaxTtl, "max_ttl") })
        {
            if (value is < 0 or > ServiceLimits.MaxTtl)
            {
                fail($"delivery.{name}", $"{value} is out of range; use 0 to {ServiceLimits.MaxTtl} seconds.");
            }
        }
        if (delivery.MinTtl > delivery.DefaultTtl || delivery.DefaultTtl > delivery.MaxTtl)
        {
            fail("delivery.default_ttl", "TTLs must satisfy min_ttl <= default_ttl <= max_ttl.");
        }
        if (delivery.DefaultRootObject is { } root && Clean(root, "delivery.default_root_object", fail) &&
            (root.Length is 0 or > 255 || root.StartsWith('/') || root.Any(c => c is '?' or '#' || char.IsWhiteSpace(c))))
        {
            fail("delivery.default_root_object", "Give an object name such as 'index.html': 1 to 255 characters, no leading '/', no '?', '#' or spaces.");
        }
        if (delivery.ViewerProtocolPolicy == ViewerProtocolPolicy.HttpsOnly && spec.Domains.All(d => d.Protocol != DomainProtocol.Https))
        {
            fail("delivery.viewer_protocol_policy", "https-only needs at least one https domain.");
        }
        if (delivery.OriginProtocolPolicy == OriginProtocolPolicy.HttpsOnly)
        {
            for (var i = 0; i < spec.Origins.Count; i++)
            {
                if (!spec.Origins[i].Ssl)
                {
                    fail($"origins[{i}].ssl", "The origin protocol policy is https-only, so every origin must use ssl.");
                }
            }
        }
    }

    /// <summary>A text field's length; a control character anywhere in it is an error of its own (see <see cref="Clean"/>).</summary>
    private static void Length(string value, string path, int min, int max, Action<string, string> fail)
    {
        if (!Clean(value, path, fail))
        {
            return;
        }
        if (value.Length < min || value.Length > max)
        {
            fail(path, value.Length == 0 ? "Required." : $"Must be {min} to {max} characters long; {value.Length} given.");
        }
    }

    /// <summary>
    /// False (with the error) when <paramref name="value"/> holds a control character: every text field of a service
    /// refuses them, with the field's path, before its own syntax rule is applied.
    /// </summary>
    private static bool Clean(string? value, string path, Action<string, string> fail)
    {
        if (TextRules.ControlError(value, path) is not { } error)
        {
            return true;
        }
        fail(error.Path, error.Message);
        return false;
    }

    private static void RequestUrl(string value, string path, int min, int max, Action<string, string> fail)
    {
        if (!Clean(value, path, fail))
        {
            return;
        }
        Length(value, path, min, max, fail);
        if (value.Length > 0 && (!RequestUrlPattern().IsMatch(value) || value.Contains("/../", StringComparison.Ordinal) || value.EndsWith("/..", StringComparison.Ordinal)))
        {
            fail(path, $"'{value}' is not a request path: start with '/' (or '*'), and use letters, digits and - _ . * $ / ~ @ : + & = % , ; ! ( ) only, such as '/images/*'.");
        }
    }

    /// <summary>
    /// The characters CDNs accept in path patterns; anything else (quotes, braces, spaces) is refused, not escaped.
    /// <c>\z</c>, not <c>$</c>: <c>$</c> also matches before a final line feed.
    /// </summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"\A[/*][A-Za-z0-9_\-.*$/~@:+&=%,;!()]*\z")]
    private static partial System.Text.RegularExpressions.Regex RequestUrlPattern();

    private static string KindName(RestrictionKind kind) => kind switch
    {
        RestrictionKind.Referrer => "referrer",
        RestrictionKind.Geography => "geography",
        _ => "client_ip",
    };
}
