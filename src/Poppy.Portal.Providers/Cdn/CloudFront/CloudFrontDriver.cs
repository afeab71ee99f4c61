using System.Text.RegularExpressions;
using System.Xml.Linq;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Cdn.CloudFront;

/// <summary>
/// Amazon CloudFront over its REST-XML API (2020-05-31, SigV4 for us-east-1/cloudfront). One distribution per service,
/// created with a CallerReference derived from the service id, so a repeated create never makes a second distribution,
/// and found again by its remembered id or, failing that, by a Comment carrying the service id. The optional credential
/// <c>acm_certificate_arn</c> names the ACM certificate that CloudFront requires before it accepts the service's domains
/// as aliases.
/// </summary>
public sealed partial class CloudFrontDriver : ICdnDriver
{
    /// <summary>The optional credential key holding the ACM certificate ARN used for aliases.</summary>
    public const string CertificateArnKey = "acm_certificate_arn";

    private const string NoOrigin = "CloudFront needs at least one origin.";

    private static XNamespace Ns => CloudFrontConfigBuilder.Ns;

    /// <inheritdoc />
    public ProviderKind Kind => ProviderKind.CloudFront;

    /// <summary>Lists at most one distribution (<c>ListDistributions</c>, <c>MaxItems=1</c>), signed with the account's keys.</summary>
    public Task<ConnectionTestResult> TestConnectionAsync(ProviderCall call, CancellationToken cancellationToken) =>
        VendorHttp.TestConnectionAsync("CloudFront", async ct =>
        {
            var list = (await new CloudFrontClient(call).SendAsync(HttpMethod.Get, "distribution?MaxItems=1", null, null, ct).ConfigureAwait(false)).Body
                ?? throw new CdnDriverException("CloudFront answered the distribution list with an empty body.", isTransient: false, 200);
            return list.Name.LocalName == "DistributionList"
                ? "the distribution list is readable"
                : throw new CdnDriverException($"CloudFront answered the distribution list with <{list.Name.LocalName}>.", isTransient: false, 200);
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<ProvisionResult> ApplyAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Origins.Count == 0)
        {
            throw new CdnDriverException(NoOrigin, isTransient: false);
        }

        var client = new CloudFrontClient(call);

        // Without a remembered id, create straight away rather than list every distribution of the account (a page per
        // 100, for each new service): the CallerReference makes the create idempotent. CloudFront answers a repeat with
        // the same config with the original distribution, and one with another config with DistributionAlreadyExists.
        var existing = string.IsNullOrWhiteSpace(call.ProviderServiceId) ? null : await FindAsync(client, call, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            var built = Build(call, spec, CloudFrontConfigBuilder.CallerReference(call.ServiceId), enabled: true);
            var created = await client.SendAsync(HttpMethod.Post, "distribution", built.Config, null, cancellationToken, "DistributionAlreadyExists")
                .ConfigureAwait(false);
            if (created.Succeeded)
            {
                return Result(created.Body!, spec, built.Warnings);
            }

            // Our CallerReference already made a distribution (an earlier attempt, or the spec changed since): adopt it.
            var match = AlreadyExistsId().Match(created.ErrorMessage ?? "");
            existing = match.Success ? await ReadConfigAsync(client, match.Groups[1].Value, cancellationToken).ConfigureAwait(false) : null;
            if (existing is null)
            {
                throw new CdnDriverException($"CloudFront DistributionAlreadyExists: {created.ErrorMessage}", isTransient: false, (int)created.Status);
            }
        }

        var update = Build(call, spec, existing.CallerReference, enabled: true);
        if (SameConfig(existing.Config, update.Config))
        {
            // Nothing changed: a PUT would only restart the deployment.
            var current = await client.SendAsync(HttpMethod.Get, $"distribution/{existing.Id}", null, null, cancellationToken).ConfigureAwait(false);
            return Result(current.Body!, spec, update.Warnings);
        }

        var updated = await client.SendAsync(HttpMethod.Put, $"distribution/{existing.Id}/config", update.Config, existing.ETag, cancellationToken)
            .ConfigureAwait(false);
        return Result(updated.Body!, spec, update.Warnings);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Limitations(ServiceSpec spec, IReadOnlyDictionary<string, string> credentials)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(credentials);
        return spec.Origins.Count == 0
            ? [NoOrigin]
            : CloudFrontConfigBuilder.Build(Guid.Empty, spec, "", enabled: true, CertificateArn(credentials)).Warnings;
    }

    /// <inheritdoc />
    public async Task<ProvisionResult?> GetStateAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(spec);
        var client = new CloudFrontClient(call);
        var existing = await FindAsync(client, call, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return null;
        }

        var distribution = await client.SendAsync(HttpMethod.Get, $"distribution/{existing.Id}", null, null, cancellationToken, "NoSuchDistribution")
            .ConfigureAwait(false);
        var warnings = spec.Origins.Count > 0 ? Build(call, spec, existing.CallerReference, enabled: true).Warnings : [];
        return distribution.Succeeded ? Result(distribution.Body!, spec, warnings) : null;
    }

    /// <inheritdoc />
    public async Task<DeploymentState> DeleteAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var client = new CloudFrontClient(call);
        var existing = await FindAsync(client, call, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return DeploymentState.Deployed;
        }

        // CloudFront deletes only a distribution whose disabling has been deployed everywhere.
        if (existing.Config.Element(Ns + "Enabled")?.Value.Trim() != "false")
        {
            var disabled = new XElement(existing.Config);
            disabled.Element(Ns + "Enabled")!.Value = "false";
            var put = await client.SendAsync(HttpMethod.Put, $"distribution/{existing.Id}/config", disabled, existing.ETag, cancellationToken, "NoSuchDistribution")
                .ConfigureAwait(false);
            return put.Succeeded ? DeploymentState.InProgress : DeploymentState.Deployed;
        }

        var distribution = await client.SendAsync(HttpMethod.Get, $"distribution/{existing.Id}", null, null, cancellationToken, "NoSuchDistribution")
            .ConfigureAwait(false);
        if (!distribution.Succeeded)
        {
            return DeploymentState.Deployed;
        }

        if (Status(distribution.Body!) != "Deployed")
        {
            return DeploymentState.InProgress;
        }

        var deleted = await client.SendAsync(HttpMethod.Delete, $"distribution/{existing.Id}", null, distribution.ETag ?? existing.ETag, cancellationToken,
            "NoSuchDistribution", "DistributionNotDisabled").ConfigureAwait(false);
        return deleted.ErrorCode == "DistributionNotDisabled" ? DeploymentState.InProgress : DeploymentState.Deployed;
    }

    /// <summary>
    /// An invalidation of <paramref name="url"/>, or of <c>/*</c> when null. CloudFront has no soft purge: an invalidation
    /// always removes the objects, so <paramref name="hard"/> makes no difference.
    /// </summary>
    public async Task PurgeAsync(ProviderCall call, ServiceSpec spec, string? url, bool hard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        // CloudFront wants invalidation paths URL-encoded; checked first, as every driver does.
        var path = string.IsNullOrWhiteSpace(url) ? "/*" : PurgePath.ForRequest(url.Trim(), "CloudFront");
        var client = new CloudFrontClient(call);
        var existing = await FindAsync(client, call, cancellationToken).ConfigureAwait(false)
            ?? throw new CdnDriverException($"CloudFront has no distribution for service {call.ServiceId}.", isTransient: false);

        // Every purge is a new batch: a unique CallerReference, so two purges of the same path both happen.
        var batch = new XElement(Ns + "InvalidationBatch",
            new XElement(Ns + "Paths",
                new XElement(Ns + "Quantity", 1),
                new XElement(Ns + "Items", new XElement(Ns + "Path", path))),
            new XElement(Ns + "CallerReference", $"poppy-{call.ServiceId:N}-{call.Clock.GetUtcNow().ToUnixTimeMilliseconds()}-{Guid.NewGuid():N}"));
        await client.SendAsync(HttpMethod.Post, $"distribution/{existing.Id}/invalidation", batch, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The distribution's id, its current config (namespace-qualified), ETag and CallerReference.</summary>
    private sealed record Existing(string Id, XElement Config, string? ETag)
    {
        public string CallerReference => Config.Element(Ns + "CallerReference")?.Value ?? "";
    }

    /// <summary>By the remembered id when it still carries our marker, otherwise by listing and matching the Comment.</summary>
    private static async Task<Existing?> FindAsync(CloudFrontClient client, ProviderCall call, CancellationToken cancellationToken)
    {
        var marker = CloudFrontConfigBuilder.Marker(call.ServiceId);
        if (!string.IsNullOrWhiteSpace(call.ProviderServiceId))
        {
            var hinted = await ReadConfigAsync(client, call.ProviderServiceId, cancellationToken).ConfigureAwait(false);
            if (hinted is not null && IsOurs(hinted.Config.Element(Ns + "Comment")?.Value, marker))
            {
                return hinted;
            }
        }

        string? nextMarker = null;
        do
        {
            var path = nextMarker is null ? "distribution" : $"distribution?Marker={Uri.EscapeDataString(nextMarker)}";
            var list = (await client.SendAsync(HttpMethod.Get, path, null, null, cancellationToken).ConfigureAwait(false)).Body!;
            var ns = list.Name.Namespace;
            var found = list.Element(ns + "Items")?.Elements(ns + "DistributionSummary")
                .FirstOrDefault(s => IsOurs(s.Element(ns + "Comment")?.Value, marker));
            if (found is not null)
            {
                return await ReadConfigAsync(client, found.Element(ns + "Id")!.Value, cancellationToken).ConfigureAwait(false);
            }

            nextMarker = list.Element(ns + "IsTruncated")?.Value == "true" ? list.Element(ns + "NextMarker")?.Value : null;
        }
        while (!string.IsNullOrEmpty(nextMarker));

        return null;
    }

    private static bool IsOurs(string? comment, string marker) =>
        comment is not null && (comment == marker || comment.StartsWith(marker + " ", StringComparison.Ordinal));

    private static async Task<Existing?> ReadConfigAsync(CloudFrontClient client, string id, CancellationToken cancellationToken)
    {
        var config = await client.SendAsync(HttpMethod.Get, $"distribution/{Uri.EscapeDataString(id)}/config", null, null, cancellationToken, "NoSuchDistribution")
            .ConfigureAwait(false);
        return config.Succeeded ? new Existing(id, Qualified(config.Body!), config.ETag) : null;
    }

    private static CloudFrontConfigBuilder.Built Build(ProviderCall call, ServiceSpec spec, string callerReference, bool enabled) =>
        CloudFrontConfigBuilder.Build(call.ServiceId, spec, callerReference, enabled, CertificateArn(call.Credentials));

    private static string? CertificateArn(IReadOnlyDictionary<string, string> credentials) =>
        credentials.TryGetValue(CertificateArnKey, out var arn) && !string.IsNullOrWhiteSpace(arn) ? arn.Trim() : null;

    /// <summary>Compared as CloudFront returns XML, so a config read back equals the one built from an unchanged spec.</summary>
    private static bool SameConfig(XElement current, XElement wanted) =>
        XNode.DeepEquals(Normalize(current), Normalize(wanted));

    private static XElement Normalize(XElement element) =>
        XElement.Parse(Qualified(element).ToString(SaveOptions.DisableFormatting), LoadOptions.None);

    /// <summary>Every element in CloudFront's namespace (a server may answer without one).</summary>
    private static XElement Qualified(XElement element)
    {
        var copy = new XElement(element);
        foreach (var e in copy.DescendantsAndSelf())
        {
            e.Name = Ns + e.Name.LocalName;
            e.Attributes().Where(a => a.IsNamespaceDeclaration).Remove();
        }

        return copy;
    }

    private static string Status(XElement distribution) => distribution.Element(distribution.Name.Namespace + "Status")?.Value ?? "";

    private static ProvisionResult Result(XElement distribution, ServiceSpec spec, IReadOnlyList<string> warnings)
    {
        var ns = distribution.Name.Namespace;
        var id = distribution.Element(ns + "Id")?.Value ?? throw new CdnDriverException("CloudFront answered without a distribution id.", isTransient: true);
        var domainName = distribution.Element(ns + "DomainName")?.Value ?? "";
        var state = Status(distribution) == "Deployed" ? DeploymentState.Deployed : DeploymentState.InProgress;
        var accessUrls = spec.Domains.Select(d => new AccessUrl(d.Domain, domainName, null)).ToList();
        return new ProvisionResult(id, state, accessUrls, warnings);
    }

    [GeneratedRegex(@"Already exists: (\S+)")]
    private static partial Regex AlreadyExistsId();
}
