using System.Text.Json;
using System.Text.Json.Serialization;

namespace Poppy.CacheTier.Agent.Services;

/// <summary>
/// One service as the portal sends it to <c>PUT /api/services/{id}</c>: the agent's own contract, shaped after the
/// portal's service document (domains, origins with path rules and host header, caching rules, restrictions) but
/// independent of it. Geography rules carry ISO 3166 country codes, already resolved from region names by the caller.
/// </summary>
public sealed class ServiceConfig
{
    /// <summary>Optional in the body; when given it must equal the id in the URL.</summary>
    public string? ServiceId { get; set; }

    public List<DomainConfig> Domains { get; set; } = [];

    public List<OriginConfig> Origins { get; set; } = [];

    /// <summary>
    /// Caching rules, first match wins in this order. A rule without request URLs (or with <c>/*</c>) covers every path
    /// no other rule covers; without one, <see cref="DefaultTtl"/> does.
    /// </summary>
    public List<CachingRuleConfig> Caching { get; set; } = [];

    public List<RestrictionConfig> Restrictions { get; set; } = [];

    /// <summary>TTL in seconds for paths no caching rule covers.</summary>
    public long DefaultTtl { get; set; } = 86_400;

    /// <summary>Served for <c>/</c> (for example <c>index.html</c>).</summary>
    public string? DefaultRootObject { get; set; }

    /// <summary>Whether viewers' cookies reach the origin.</summary>
    public bool ForwardCookies { get; set; }

    /// <summary>Query strings always reach the origin and are part of the cache key here; false is refused with a warning.</summary>
    public bool ForwardQueryStrings { get; set; } = true;

    /// <summary>Where cache-tier's <c>/download/{file}</c> redirects.</summary>
    public FilesConfig? Files { get; set; }

    /// <summary>The wire shape: snake_case, enums as lowercase strings, unknown fields refused (a setting the agent does
    /// not know must not be dropped silently).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };
}

public enum DomainProtocol { Http, Https }

public sealed class DomainConfig
{
    public string Domain { get; set; } = "";

    /// <summary>The node serves plain HTTP; an https domain is served as http with a warning (TLS ends in front of it).</summary>
    public DomainProtocol Protocol { get; set; } = DomainProtocol.Http;
}

public enum HostHeaderType { Domain, Origin, Custom }

public sealed class OriginConfig
{
    /// <summary>Host name or IP address.</summary>
    public string Origin { get; set; } = "";

    public int Port { get; set; } = 80;

    public bool Ssl { get; set; }

    /// <summary>The paths this origin serves; an origin without rules serves every path no other origin claims.</summary>
    public List<PathRule> Rules { get; set; } = [];

    /// <summary>Host header sent to the origin: the viewer's domain, the origin's name, or <see cref="HostHeaderValue"/>.</summary>
    public HostHeaderType HostHeaderType { get; set; } = HostHeaderType.Domain;

    public string? HostHeaderValue { get; set; }
}

/// <summary>A request path pattern such as <c>/images/*</c> (<c>*</c> matches anything, <c>%XX</c> one byte).</summary>
public sealed class PathRule
{
    public string? Name { get; set; }

    public string RequestUrl { get; set; } = "";
}

public sealed class CachingRuleConfig
{
    public string Name { get; set; } = "";

    /// <summary>Seconds, 0 to 31,536,000; 0: never cached. Overrides the origin's Cache-Control and Expires, but a
    /// response the origin marks private or no-store is never cached.</summary>
    public long Ttl { get; set; }

    public List<PathRule> Rules { get; set; } = [];
}

public enum RestrictionAccess { Whitelist, Blacklist }

public sealed class RestrictionConfig
{
    public string Name { get; set; } = "";

    public RestrictionAccess Access { get; set; } = RestrictionAccess.Whitelist;

    public List<RestrictionRuleConfig> Rules { get; set; } = [];
}

/// <summary>Exactly one of <see cref="Referrer"/>, <see cref="ClientIp"/> and <see cref="Countries"/>.</summary>
public sealed class RestrictionRuleConfig
{
    public string? Name { get; set; }

    /// <summary>A host name; a Referer whose host is exactly this matches. Requests without a Referer pass a whitelist.</summary>
    public string? Referrer { get; set; }

    /// <summary>An IPv4 or IPv6 address, optionally with a /prefix.</summary>
    public string? ClientIp { get; set; }

    /// <summary>ISO 3166 alpha-2 codes (US, CA, ...); enforced only where the node has a country database.</summary>
    public List<string>? Countries { get; set; }

    public string RequestUrl { get; set; } = "/*";
}

public sealed class FilesConfig
{
    /// <summary>Base URL users download cached files from; default <c>http://{first domain}/</c>.</summary>
    public string? EdgeBaseUrl { get; set; }

    /// <summary>Base URL of the source, where download falls back to; default the origin that serves the path.</summary>
    public string? SourceBaseUrl { get; set; }
}
