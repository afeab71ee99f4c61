using System.Text.Json;
using System.Text.Json.Serialization;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// The desired configuration of a CDN service: Poppy's service document plus the delivery settings a CloudFront user
/// expects. This is what the API reads and returns, what the forms edit, and what is stored (as JSON) and provisioned.
/// </summary>
public sealed class ServiceSpec
{
    public string Name { get; set; } = "";
    public string FlavorId { get; set; } = "";
    public List<DomainSpec> Domains { get; set; } = [];
    public List<OriginSpec> Origins { get; set; } = [];
    public List<CachingRuleSpec> Caching { get; set; } = [];
    public List<RestrictionSpec> Restrictions { get; set; } = [];
    public LogDeliverySpec LogDelivery { get; set; } = new();
    public DeliverySettings Delivery { get; set; } = new();

    /// <summary>The stored and wire JSON shape: snake_case names, enums as Poppy's strings, nulls omitted.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ServiceSpec FromJson(string json) =>
        JsonSerializer.Deserialize<ServiceSpec>(json, Json) ?? throw new JsonException("Empty service document.");

    /// <summary>A deep copy (through JSON, so it can never share a list with the original).</summary>
    public ServiceSpec Clone() => FromJson(ToJson());
}

public enum DomainProtocol { Http, Https }

public enum CertificateType { Shared, San, Sni, Custom }

public sealed class DomainSpec
{
    public string Domain { get; set; } = "";
    public DomainProtocol Protocol { get; set; } = DomainProtocol.Http;

    /// <summary>Required for https, absent for http.</summary>
    public CertificateType? Certificate { get; set; }
}

public enum HostHeaderType { Domain, Origin, Custom }

public sealed class OriginSpec
{
    public string Origin { get; set; } = "";
    public int Port { get; set; } = 80;
    public bool Ssl { get; set; }
    public List<RuleSpec> Rules { get; set; } = [];

    [JsonPropertyName("hostheadertype")]
    public HostHeaderType HostHeaderType { get; set; } = HostHeaderType.Domain;

    [JsonPropertyName("hostheadervalue")]
    public string? HostHeaderValue { get; set; }
}

/// <summary>A request-URL match such as <c>/images/*</c>.</summary>
public sealed class RuleSpec
{
    public string Name { get; set; } = "";
    public string RequestUrl { get; set; } = "";
}

public sealed class CachingRuleSpec
{
    public string Name { get; set; } = "";

    /// <summary>Seconds, 0–31,536,000 (one year); 0 means do not cache.</summary>
    public int Ttl { get; set; }

    public List<RuleSpec> Rules { get; set; } = [];
}

public enum RestrictionAccess { Whitelist, Blacklist }

public sealed class RestrictionSpec
{
    public string Name { get; set; } = "";
    public RestrictionAccess Access { get; set; } = RestrictionAccess.Whitelist;
    public List<RestrictionRuleSpec> Rules { get; set; } = [];
}

/// <summary>Exactly one of <see cref="Referrer"/>, <see cref="Geography"/> and <see cref="ClientIp"/> is set.</summary>
public sealed class RestrictionRuleSpec
{
    public string? Name { get; set; }
    public string? Referrer { get; set; }
    public string? Geography { get; set; }
    public string? ClientIp { get; set; }
    public string RequestUrl { get; set; } = "/*";

    [JsonIgnore]
    public RestrictionKind Kind => Referrer is not null ? RestrictionKind.Referrer
        : Geography is not null ? RestrictionKind.Geography
        : RestrictionKind.ClientIp;

    [JsonIgnore]
    public string? Value => Referrer ?? Geography ?? ClientIp;
}

public enum RestrictionKind { Referrer, Geography, ClientIp }

public sealed class LogDeliverySpec
{
    public bool Enabled { get; set; }
}

public enum ViewerProtocolPolicy
{
    [JsonStringEnumMemberName("allow-all")] AllowAll,
    [JsonStringEnumMemberName("redirect-to-https")] RedirectToHttps,
    [JsonStringEnumMemberName("https-only")] HttpsOnly,
}

public enum OriginProtocolPolicy
{
    [JsonStringEnumMemberName("http-only")] HttpOnly,
    [JsonStringEnumMemberName("match-viewer")] MatchViewer,
    [JsonStringEnumMemberName("https-only")] HttpsOnly,
}

/// <summary>
/// Edge behaviour beyond Poppy's document, as CloudFront names it. Poppy clients never send it and get these defaults:
/// the TTL bounds leave Poppy's caching rules in charge.
/// </summary>
public sealed class DeliverySettings
{
    public ViewerProtocolPolicy ViewerProtocolPolicy { get; set; } = ViewerProtocolPolicy.AllowAll;
    public OriginProtocolPolicy OriginProtocolPolicy { get; set; } = OriginProtocolPolicy.MatchViewer;
    public string? DefaultRootObject { get; set; }
    public bool ForwardQueryStrings { get; set; } = true;
    public bool ForwardCookies { get; set; }
    public long MinTtl { get; set; }
    public long DefaultTtl { get; set; } = ServiceLimits.DefaultCacheTtl;
    public long MaxTtl { get; set; } = ServiceLimits.MaxTtl;
}

/// <summary>Poppy's numeric limits, in one place for the validator, the forms and the docs.</summary>
public static class ServiceLimits
{
    public const int MaxDomains = 10;
    public const int MaxOrigins = 10;
    public const int MaxTtl = 31_536_000;
    public const int DefaultCacheTtl = 86_400;
    public const int DefaultServicesPerProject = 20;
    public const int MaxServicesPerPage = 20;
    public const int DefaultServicesPerPage = 10;

    /// <summary>
    /// The largest service document, in bytes of JSON: the API's limit on a request body, and the bound a JSON Patch's
    /// result is held to while it is applied (a patch of a few bytes can copy a document onto itself again and again).
    /// </summary>
    public const int MaxDocumentBytes = 256 * 1024;

    /// <summary>How deep a service document (or a request body) may nest; Poppy's deepest field is at depth 5.</summary>
    public const int MaxDocumentDepth = 16;
}
