using System.Xml.Linq;

namespace Poppy.Portal.Simulators.CloudFront;

public sealed record CloudFrontDistribution(
    string Id,
    string Arn,
    string DomainName,
    string ETag,
    CloudFrontConfig Config,
    DateTimeOffset LastModifiedTime,
    DateTimeOffset DeployedAt)
{
    /// <summary><c>InProgress</c> until the configured deploy delay has passed since the last change, then <c>Deployed</c>.</summary>
    public string StatusAt(DateTimeOffset now) => now >= DeployedAt ? "Deployed" : "InProgress";
}

/// <summary>A <c>DistributionConfig</c> as sent (<see cref="Xml"/>), with the parts the simulator acts on.</summary>
public sealed record CloudFrontConfig(
    XElement Xml,
    string CallerReference,
    string Comment,
    bool Enabled,
    IReadOnlyList<CloudFrontOrigin> Origins,
    CloudFrontCacheBehavior DefaultCacheBehavior,
    IReadOnlyList<CloudFrontCacheBehavior> CacheBehaviors,
    IReadOnlyList<string> Aliases,
    string PriceClass)
{
    /// <summary>The config with insignificant whitespace dropped: what CallerReference idempotency compares.</summary>
    public string Canonical => Xml.ToString(SaveOptions.DisableFormatting);
}

/// <param name="ProtocolPolicy"><c>http-only</c>, <c>match-viewer</c> or <c>https-only</c>; <c>s3</c> for an S3 origin.</param>
public sealed record CloudFrontOrigin(string Id, string DomainName, string OriginPath, int HttpPort, int HttpsPort, string ProtocolPolicy);

/// <param name="PathPattern">Null for the default behavior.</param>
/// <param name="CachePolicyId">Set when the behavior uses a cache policy instead of legacy ForwardedValues + TTLs.</param>
public sealed record CloudFrontCacheBehavior(
    string? PathPattern,
    string TargetOriginId,
    string ViewerProtocolPolicy,
    string? CachePolicyId,
    bool ForwardQueryString,
    long MinTtl,
    long DefaultTtl,
    long MaxTtl);

public sealed record CloudFrontInvalidation(
    string Id,
    string DistributionId,
    string CallerReference,
    IReadOnlyList<string> Paths,
    DateTimeOffset CreateTime,
    DateTimeOffset CompletesAt)
{
    public string StatusAt(DateTimeOffset now) => now >= CompletesAt ? "Completed" : "InProgress";
}
