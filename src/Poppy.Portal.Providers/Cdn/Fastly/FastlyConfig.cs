using System.Globalization;
using System.Text;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Providers.Cdn.Fastly;

/// <summary>One versioned Fastly object as the driver wants it: kind (URL segment), name, and the fields it sets.</summary>
internal sealed record FastlyObjectSpec(string Kind, string Name, IReadOnlyDictionary<string, string> Fields);

/// <summary>One ACL entry: an address and its prefix length (null for a single address).</summary>
internal sealed record FastlyAclEntrySpec(string Ip, int? Subnet);

/// <summary>
/// The Fastly configuration a <see cref="ServiceSpec"/> maps to: versioned objects, version settings, ACL entries, and a
/// warning for every setting Fastly's config API cannot express (nothing is dropped silently).
/// </summary>
internal sealed class FastlyConfig
{
    public const string Domain = "domain";
    public const string Backend = "backend";
    public const string Condition = "condition";
    public const string CacheSettings = "cache_settings";
    public const string Header = "header";
    public const string ResponseObject = "response_object";
    public const string Acl = "acl";
    public const string RequestSettings = "request_settings";

    /// <summary>Kinds in the order they are created: conditions and ACLs before the objects that refer to them.</summary>
    public static readonly string[] CreateOrder = [Condition, Acl, Domain, Backend, CacheSettings, RequestSettings, Header, ResponseObject];

    /// <summary>JSON array names of <c>/details</c>, by kind.</summary>
    public static readonly IReadOnlyDictionary<string, string> Plurals = new Dictionary<string, string>
    {
        [Domain] = "domains", [Backend] = "backends", [Condition] = "conditions", [CacheSettings] = "cache_settings",
        [Header] = "headers", [ResponseObject] = "response_objects", [Acl] = "acls", [RequestSettings] = "request_settings",
    };

    public const string DefaultTtlSetting = "general.default_ttl";

    public List<FastlyObjectSpec> Objects { get; } = [];

    public Dictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<FastlyAclEntrySpec>> AclEntries { get; } = new(StringComparer.Ordinal);

    public List<string> Warnings { get; } = [];

    public static FastlyConfig From(ServiceSpec spec)
    {
        var config = new FastlyConfig();
        config.MapDomains(spec);
        config.MapOrigins(spec);
        config.MapCaching(spec);
        config.MapRestrictions(spec);
        config.MapDelivery(spec);
        if (spec.LogDelivery.Enabled)
        {
            config.Warnings.Add("log_delivery is enabled, but the service names no log destination, so no Fastly logging endpoint was configured.");
        }

        return config;
    }

    private void Add(string kind, string name, params (string Key, string Value)[] fields) =>
        Objects.Add(new FastlyObjectSpec(kind, name, fields.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal)));

    private void MapDomains(ServiceSpec spec)
    {
        for (var i = 0; i < spec.Domains.Count; i++)
        {
            var domain = spec.Domains[i];
            Add(Domain, domain.Domain.ToLowerInvariant(), ("comment", ""));
            if (domain.Protocol == DomainProtocol.Https)
            {
                Warnings.Add($"domains[{i}] '{domain.Domain}' is https ({(domain.Certificate ?? CertificateType.Shared).ToString().ToLowerInvariant()} certificate): "
                    + "the domain is added, but this driver does not order a Fastly TLS certificate; HTTPS needs one from Fastly's TLS subscriptions.");
            }
        }
    }

    private void MapOrigins(ServiceSpec spec)
    {
        var policy = spec.Delivery.OriginProtocolPolicy;
        for (var i = 0; i < spec.Origins.Count; i++)
        {
            var origin = spec.Origins[i];
            var name = $"origin_{i}";
            var condition = "";
            if (!origin.Rules.Any(r => IsEverything(r.RequestUrl)) && origin.Rules.Count > 0)
            {
                condition = $"{name}_paths";
                Add(Condition, condition, ("type", "REQUEST"), ("priority", (10 + i).ToString(CultureInfo.InvariantCulture)),
                    ("statement", string.Join(" || ", origin.Rules.Select(r => PathClause(r.RequestUrl)))));
            }

            var overrideHost = origin.HostHeaderType switch
            {
                HostHeaderType.Origin => origin.Origin,
                HostHeaderType.Custom => origin.HostHeaderValue ?? "",
                _ => "",
            };
            Add(Backend, name,
                ("address", origin.Origin),
                ("port", origin.Port.ToString(CultureInfo.InvariantCulture)),
                ("use_ssl", origin.Ssl ? "true" : "false"),
                ("ssl_cert_hostname", origin.Ssl ? origin.Origin : ""),
                ("ssl_sni_hostname", origin.Ssl ? origin.Origin : ""),
                ("override_host", overrideHost),
                ("request_condition", condition));

            // A backend has one protocol (its ssl flag); say so where the delivery policy asks for something else.
            var mismatch = policy switch
            {
                OriginProtocolPolicy.HttpsOnly when !origin.Ssl => "https-only",
                OriginProtocolPolicy.HttpOnly when origin.Ssl => "http-only",
                OriginProtocolPolicy.MatchViewer when spec.Domains.Any(d => (d.Protocol == DomainProtocol.Https) != origin.Ssl) => "match-viewer",
                _ => null,
            };
            if (mismatch is not null)
            {
                Warnings.Add($"delivery.origin_protocol_policy is {mismatch}, but a Fastly backend has one protocol: origins[{i}] '{origin.Origin}' "
                    + $"is always reached over {(origin.Ssl ? "HTTPS" : "HTTP")} (its ssl setting).");
            }
        }
    }

    private void MapCaching(ServiceSpec spec)
    {
        var defaultRule = spec.Caching.FindIndex(c => c.Rules.Any(r => IsEverything(r.RequestUrl)));
        var delivery = spec.Delivery;
        if (defaultRule >= 0)
        {
            var rule = spec.Caching[defaultRule];
            Settings[DefaultTtlSetting] = rule.Ttl.ToString(CultureInfo.InvariantCulture);
            if (rule.Ttl == 0)
            {
                // TTL 0 means "do not cache": an unconditional pass.
                Add(CacheSettings, $"cache_{defaultRule}", ("action", "pass"), ("ttl", "0"), ("cache_condition", ""));
            }

            if (delivery.DefaultTtl != ServiceLimits.DefaultCacheTtl && delivery.DefaultTtl != rule.Ttl)
            {
                Warnings.Add($"delivery.default_ttl {delivery.DefaultTtl} s is not used: caching rule '{rule.Name}' (/*) sets Fastly's default TTL to {rule.Ttl} s.");
            }
        }
        else
        {
            Settings[DefaultTtlSetting] = delivery.DefaultTtl.ToString(CultureInfo.InvariantCulture);
        }

        for (var i = 0; i < spec.Caching.Count; i++)
        {
            if (i == defaultRule || spec.Caching[i].Rules.Count == 0)
            {
                continue;
            }

            var rule = spec.Caching[i];
            var name = $"cache_{i}";
            Add(Condition, name, ("type", "CACHE"), ("priority", (10 + i).ToString(CultureInfo.InvariantCulture)),
                ("statement", string.Join(" || ", rule.Rules.Select(r => PathClause(r.RequestUrl)))));
            Add(CacheSettings, name, ("action", rule.Ttl == 0 ? "pass" : "cache"),
                ("ttl", rule.Ttl.ToString(CultureInfo.InvariantCulture)), ("cache_condition", name));
        }

        if (delivery.MinTtl != 0 || delivery.MaxTtl != ServiceLimits.MaxTtl)
        {
            Warnings.Add($"delivery.min_ttl ({delivery.MinTtl} s) and max_ttl ({delivery.MaxTtl} s) bound the origin's own cache headers, "
                + "which Fastly's config API cannot express without custom VCL; they are not applied.");
        }
    }

    private void MapRestrictions(ServiceSpec spec)
    {
        for (var i = 0; i < spec.Restrictions.Count; i++)
        {
            var restriction = spec.Restrictions[i];
            var name = $"restriction_{i}";
            var matches = new List<(string? Url, string Value)>();
            for (var k = 0; k < restriction.Rules.Count; k++)
            {
                var rule = restriction.Rules[k];
                var url = IsEverything(rule.RequestUrl) ? null : PathClause(rule.RequestUrl);
                string? value = null;
                switch (rule.Kind)
                {
                    case RestrictionKind.Referrer:
                        value = $"req.http.Referer ~ \"^https?://{RegexLiteral(rule.Referrer!.ToLowerInvariant())}([:/]|$)\"";
                        break;
                    case RestrictionKind.Geography:
                        var codes = GeoZones.CountryCodes(rule.Geography!);
                        if (codes.Count == 0)
                        {
                            Warnings.Add($"restrictions[{i}].rules[{k}]: '{rule.Geography}' names no country code, so Fastly cannot match it; the rule is not applied.");
                        }
                        else
                        {
                            value = $"client.geo.country_code ~ \"^({string.Join('|', codes)})$\"";
                        }

                        break;
                    default:
                        var acl = $"{name}_ip_{k}";
                        AclEntries[acl] = [ParseAddress(rule.ClientIp!)];
                        Add(Acl, acl);
                        value = $"client.ip ~ {acl}";
                        break;
                }

                if (value is not null)
                {
                    matches.Add((url, value));
                }
            }

            if (matches.Count == 0)
            {
                continue;
            }

            string statement;
            if (restriction.Access == RestrictionAccess.Blacklist)
            {
                // Refused when any rule matches the request.
                statement = string.Join(" || ", matches.Select(m => m.Url is null ? $"({m.Value})" : $"({m.Url} && {m.Value})"));
            }
            else
            {
                // Refused when the request is in a rule's scope but matches none of them.
                var scope = matches.Any(m => m.Url is null) ? null : "(" + string.Join(" || ", matches.Select(m => m.Url)) + ")";
                var allowed = matches.Select(m => m.Url is null ? $"!({m.Value})" : $"!({m.Url} && {m.Value})");
                statement = string.Join(" && ", scope is null ? allowed : allowed.Prepend(scope));
            }

            Add(Condition, name, ("type", "REQUEST"), ("priority", "1"), ("statement", statement));
            Add(ResponseObject, name, ("status", "403"), ("response", "Forbidden"), ("content_type", "text/plain"),
                ("content", $"Forbidden by restriction '{restriction.Name}'."), ("request_condition", name));
        }
    }

    private void MapDelivery(ServiceSpec spec)
    {
        var delivery = spec.Delivery;
        switch (delivery.ViewerProtocolPolicy)
        {
            case ViewerProtocolPolicy.RedirectToHttps:
                Add(RequestSettings, "force_ssl", ("force_ssl", "true"), ("request_condition", ""));
                break;
            case ViewerProtocolPolicy.HttpsOnly:
                Add(Condition, "https_only", ("type", "REQUEST"), ("priority", "1"), ("statement", "!req.is_ssl"));
                Add(ResponseObject, "https_only", ("status", "403"), ("response", "Forbidden"), ("content_type", "text/plain"),
                    ("content", "HTTPS is required."), ("request_condition", "https_only"));
                break;
        }

        if (!string.IsNullOrWhiteSpace(delivery.DefaultRootObject))
        {
            var root = delivery.DefaultRootObject.StartsWith('/') ? delivery.DefaultRootObject : "/" + delivery.DefaultRootObject;
            Add(Condition, "default_root_object", ("type", "REQUEST"), ("priority", "5"), ("statement", "req.url.path == \"/\""));
            Add(Header, "default_root_object", ("type", "request"), ("action", "set"), ("dst", "url"),
                ("src", "\"" + VclString(root) + "\""), ("priority", "20"), ("request_condition", "default_root_object"));
        }

        if (!delivery.ForwardQueryStrings)
        {
            Add(Header, "strip_query_string", ("type", "request"), ("action", "set"), ("dst", "url"), ("src", "req.url.path"),
                ("priority", "10"), ("request_condition", ""));
        }

        if (!delivery.ForwardCookies)
        {
            Add(Header, "strip_cookies", ("type", "request"), ("action", "delete"), ("dst", "http.Cookie"), ("src", ""),
                ("priority", "10"), ("request_condition", ""));
        }
    }

    internal static bool IsEverything(string url) => ServiceDefaults.NormalizeUrl(url) == ServiceDefaults.EverythingUrl;

    /// <summary>A Poppy path pattern (<c>/images/*</c>) as a VCL clause on the path: <c>req.url.path ~ "^/images/.*"</c>.</summary>
    internal static string PathClause(string url)
    {
        var path = ServiceDefaults.NormalizeUrl(url);
        var regex = new StringBuilder("^");
        foreach (var c in path)
        {
            regex.Append(c == '*' ? ".*" : RegexLiteral(c.ToString()));
        }

        if (!path.EndsWith('*'))
        {
            regex.Append('$');
        }

        return $"req.url.path ~ \"{regex}\"";
    }

    /// <summary>
    /// Literal text inside a regex inside a VCL string: special characters go into a class (<c>[.]</c>) rather than
    /// behind a backslash, and <c>%</c> is written as VCL's <c>%25</c> escape.
    /// </summary>
    private static string RegexLiteral(string text)
    {
        var result = new StringBuilder();
        foreach (var c in text)
        {
            result.Append(c switch
            {
                '.' or '$' or '+' or '(' or ')' or '?' or '|' or '{' or '}' or '*' => $"[{c}]",
                '[' or ']' or '^' or '\\' => "\\" + c,
                '%' => "%25",
                _ => c.ToString(),
            });
        }

        return result.ToString();
    }

    private static string VclString(string text) => text.Replace("%", "%25", StringComparison.Ordinal).Replace("\"", "%22", StringComparison.Ordinal);

    private static FastlyAclEntrySpec ParseAddress(string value)
    {
        var slash = value.IndexOf('/');
        return slash < 0
            ? new FastlyAclEntrySpec(value, null)
            : new FastlyAclEntrySpec(value[..slash], int.Parse(value[(slash + 1)..], CultureInfo.InvariantCulture));
    }
}
