using System.Globalization;
using System.Xml.Linq;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Providers.Cdn.CloudFront;

/// <summary>
/// Maps a <see cref="ServiceSpec"/> to a CloudFront 2020-05-31 <c>DistributionConfig</c> (legacy ForwardedValues + TTLs,
/// elements in the schema's order) and lists, as warnings, every setting CloudFront cannot express.
/// </summary>
internal static class CloudFrontConfigBuilder
{
    public static readonly XNamespace Ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

    /// <summary>The Comment marker the driver finds its distribution by (the list API does not return CallerReference).</summary>
    public static string Marker(Guid serviceId) => $"poppy:{serviceId:D}";

    public static string CallerReference(Guid serviceId) => $"poppy-{serviceId:D}";

    public static string Comment(Guid serviceId, string name)
    {
        var comment = $"{Marker(serviceId)} {name}".Trim();
        return comment.Length <= 128 ? comment : comment[..128];
    }

    public static string OriginId(int index) => $"poppy-origin-{index}";

    public sealed record Built(XElement Config, IReadOnlyList<string> Warnings);

    /// <summary>The config for <paramref name="spec"/>; <paramref name="certificateArn"/> is the ACM certificate for the aliases (CloudFront refuses aliases without a trusted one).</summary>
    public static Built Build(Guid serviceId, ServiceSpec spec, string callerReference, bool enabled, string? certificateArn)
    {
        var warnings = new List<string>();
        var delivery = spec.Delivery;
        if (spec.Origins.Count == 0)
        {
            throw new InvalidOperationException("A CloudFront distribution needs at least one origin.");
        }

        // Aliases need a trusted certificate; without one the domains stay out and the user is told why.
        var domains = spec.Domains.Select(d => d.Domain.Trim().ToLowerInvariant()).Where(d => d.Length > 0).Distinct().ToList();
        var aliases = certificateArn is null ? [] : domains;
        if (domains.Count > 0 && certificateArn is null)
        {
            warnings.Add($"Domains {string.Join(", ", domains)} are not added as CloudFront aliases: CloudFront accepts aliases only "
                + "with a trusted (ACM) certificate, and this provider account has no acm_certificate_arn. Serve them through the distribution's own domain name until one is set.");
        }

        foreach (var domain in spec.Domains.Where(d => d.Protocol == DomainProtocol.Https && d.Certificate == CertificateType.Shared))
        {
            warnings.Add($"Domain {domain.Domain}: CloudFront has no shared certificate for custom domains; it is served with the account's ACM certificate (SNI).");
        }

        // Origins: the first one claiming "/*" (or having no rules) is the default target; other rules become behaviours.
        var defaultOrigin = spec.Origins.FindIndex(o => o.Rules.Count == 0 || o.Rules.Any(r => IsCatchAll(r.RequestUrl)));
        if (defaultOrigin < 0)
        {
            defaultOrigin = 0;
        }

        var originByPattern = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Origins.Count; i++)
        {
            foreach (var rule in spec.Origins[i].Rules)
            {
                var pattern = rule.RequestUrl.Trim();
                if (IsCatchAll(pattern))
                {
                    if (i != defaultOrigin)
                    {
                        warnings.Add($"Origin {spec.Origins[i].Origin}: rule {pattern} is already served by origin {spec.Origins[defaultOrigin].Origin}; CloudFront has one default origin.");
                    }
                }
                else if (!originByPattern.TryAdd(pattern, i) && originByPattern[pattern] != i)
                {
                    warnings.Add($"Origin {spec.Origins[i].Origin}: path {pattern} is already routed to origin {spec.Origins[originByPattern[pattern]].Origin}.");
                }
            }
        }

        var ttlByPattern = new Dictionary<string, int>(StringComparer.Ordinal);
        int? defaultTtl = null;
        foreach (var caching in spec.Caching)
        {
            foreach (var rule in caching.Rules.DefaultIfEmpty(new RuleSpec { RequestUrl = "/*" }))
            {
                var pattern = rule.RequestUrl.Trim();
                if (IsCatchAll(pattern))
                {
                    defaultTtl ??= caching.Ttl;
                }
                else
                {
                    ttlByPattern.TryAdd(pattern, caching.Ttl);
                }
            }
        }

        var originElements = spec.Origins.Select((origin, i) => Origin(origin, i, delivery, warnings)).ToList();

        // One behaviour per distinct path; each inherits the origin and TTL of the most specific rule that covers it.
        var behaviours = originByPattern.Keys.Concat(ttlByPattern.Keys).Distinct(StringComparer.Ordinal)
            .OrderByDescending(p => p.Length).ThenBy(p => p, StringComparer.Ordinal)
            .Select(pattern =>
            {
                var origin = originByPattern.TryGetValue(pattern, out var o) ? o : MostSpecific(originByPattern, pattern) ?? defaultOrigin;
                var ttl = ttlByPattern.TryGetValue(pattern, out var t) ? t : MostSpecific(ttlByPattern, pattern) ?? defaultTtl;
                return Behaviour("CacheBehavior", pattern, origin, spec, ttl);
            })
            .ToList();

        if (spec.Origins.Any(o => o.HostHeaderType == HostHeaderType.Custom))
        {
            foreach (var origin in spec.Origins.Where(o => o.HostHeaderType == HostHeaderType.Custom))
            {
                warnings.Add($"Origin {origin.Origin}: CloudFront cannot send a custom Host header ({origin.HostHeaderValue}) to an origin; the origin receives its own host name.");
            }
        }

        if (spec.LogDelivery.Enabled)
        {
            warnings.Add("Log delivery: CloudFront standard logs go to an S3 bucket, which the portal does not configure; logging is not enabled at CloudFront.");
        }

        var config = new XElement(Ns + "DistributionConfig",
            new XElement(Ns + "CallerReference", callerReference),
            List("Aliases", aliases.Select(a => new XElement(Ns + "CNAME", a))),
            new XElement(Ns + "DefaultRootObject", delivery.DefaultRootObject ?? ""),
            List("Origins", originElements),
            Behaviour("DefaultCacheBehavior", null, defaultOrigin, spec, defaultTtl),
            List("CacheBehaviors", behaviours),
            new XElement(Ns + "Comment", Comment(serviceId, spec.Name)),
            new XElement(Ns + "PriceClass", "PriceClass_All"),
            new XElement(Ns + "Enabled", enabled ? "true" : "false"),
            ViewerCertificate(certificateArn, aliases.Count > 0),
            Restrictions(spec.Restrictions, warnings));
        return new Built(config, warnings);
    }

    /// <summary>"/*" and "*" (and an empty rule) match every path: that is the default behaviour, not a PathPattern.</summary>
    private static bool IsCatchAll(string pattern) => pattern.Trim() is "" or "*" or "/*" or "/";

    /// <summary>The value of the longest pattern ending in '*' whose prefix covers <paramref name="pattern"/>.</summary>
    private static int? MostSpecific(Dictionary<string, int> byPattern, string pattern) =>
        byPattern.Where(p => p.Key.EndsWith('*') && pattern.StartsWith(p.Key[..^1], StringComparison.Ordinal) && p.Key != pattern)
            .OrderByDescending(p => p.Key.Length)
            .Select(p => (int?)p.Value)
            .FirstOrDefault();

    private static XElement Origin(OriginSpec origin, int index, DeliverySettings delivery, List<string> warnings)
    {
        // An origin marked ssl is only reached over HTTPS on its port; otherwise the account-wide policy applies.
        var policy = origin.Ssl ? "https-only" : Wire(delivery.OriginProtocolPolicy);
        if (!origin.Ssl && delivery.OriginProtocolPolicy == OriginProtocolPolicy.HttpsOnly)
        {
            warnings.Add($"Origin {origin.Origin}: the origin protocol policy is https-only but the origin is not marked ssl; CloudFront connects to it on HTTPS port 443, not port {origin.Port}.");
        }

        var httpPort = origin.Ssl ? 80 : origin.Port;
        var httpsPort = origin.Ssl ? origin.Port : 443;
        return new XElement(Ns + "Origin",
            new XElement(Ns + "Id", OriginId(index)),
            new XElement(Ns + "DomainName", origin.Origin.Trim()),
            new XElement(Ns + "OriginPath", ""),
            new XElement(Ns + "CustomOriginConfig",
                new XElement(Ns + "HTTPPort", httpPort),
                new XElement(Ns + "HTTPSPort", httpsPort),
                new XElement(Ns + "OriginProtocolPolicy", policy)));
    }

    private static XElement Behaviour(string elementName, string? pathPattern, int originIndex, ServiceSpec spec, int? ttl)
    {
        var delivery = spec.Delivery;
        var (min, def, max) = Ttls(delivery, ttl);

        // Host "domain" means the origin sees the viewer's Host: CloudFront does that when Host is a forwarded header.
        var forwardHost = spec.Origins[originIndex].HostHeaderType == HostHeaderType.Domain;
        return new XElement(Ns + elementName,
            pathPattern is null ? null : new XElement(Ns + "PathPattern", pathPattern),
            new XElement(Ns + "TargetOriginId", OriginId(originIndex)),
            new XElement(Ns + "ViewerProtocolPolicy", Wire(delivery.ViewerProtocolPolicy)),
            new XElement(Ns + "ForwardedValues",
                new XElement(Ns + "QueryString", delivery.ForwardQueryStrings ? "true" : "false"),
                new XElement(Ns + "Cookies", new XElement(Ns + "Forward", delivery.ForwardCookies ? "all" : "none")),
                List("Headers", forwardHost ? [new XElement(Ns + "Name", "Host")] : [])),
            new XElement(Ns + "MinTTL", min),
            new XElement(Ns + "DefaultTTL", def),
            new XElement(Ns + "MaxTTL", max));
    }

    /// <summary>
    /// A caching rule's TTL is CloudFront's DefaultTTL (used when the origin sends no max-age); the delivery settings'
    /// bounds stay MinTTL/MaxTTL but widen to include the rule, so the rule stays in charge. TTL 0 caches nothing.
    /// </summary>
    internal static (long Min, long Default, long Max) Ttls(DeliverySettings delivery, int? ttl)
    {
        if (ttl is null)
        {
            return (delivery.MinTtl, Math.Clamp(delivery.DefaultTtl, delivery.MinTtl, Math.Max(delivery.MinTtl, delivery.MaxTtl)), Math.Max(delivery.MinTtl, delivery.MaxTtl));
        }

        return ttl == 0 ? (0, 0, 0) : (Math.Min(delivery.MinTtl, ttl.Value), ttl.Value, Math.Max(delivery.MaxTtl, ttl.Value));
    }

    private static XElement ViewerCertificate(string? certificateArn, bool hasAliases) =>
        hasAliases && certificateArn is not null
            ? new XElement(Ns + "ViewerCertificate",
                new XElement(Ns + "ACMCertificateArn", certificateArn),
                new XElement(Ns + "SSLSupportMethod", "sni-only"),
                new XElement(Ns + "MinimumProtocolVersion", "TLSv1.2_2021"))
            : new XElement(Ns + "ViewerCertificate", new XElement(Ns + "CloudFrontDefaultCertificate", "true"));

    /// <summary>
    /// CloudFront has one geo restriction for the whole distribution. Whitelisted countries minus blacklisted ones is
    /// exact when both kinds exist (a whitelist already refuses everything else). Referrer and client-IP rules need WAF.
    /// </summary>
    private static XElement Restrictions(IReadOnlyList<RestrictionSpec> restrictions, List<string> warnings)
    {
        var allow = new SortedSet<string>(StringComparer.Ordinal);
        var deny = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var restriction in restrictions)
        {
            foreach (var rule in restriction.Rules)
            {
                switch (rule.Kind)
                {
                    case RestrictionKind.Referrer:
                        warnings.Add($"Restriction {restriction.Name}: referrer rule {rule.Referrer} needs AWS WAF, which this driver does not manage; it is not applied at CloudFront.");
                        continue;
                    case RestrictionKind.ClientIp:
                        warnings.Add($"Restriction {restriction.Name}: client IP rule {rule.ClientIp} needs AWS WAF, which this driver does not manage; it is not applied at CloudFront.");
                        continue;
                }

                var codes = GeoZones.CountryCodes(rule.Geography!);
                if (codes.Count == 0)
                {
                    warnings.Add($"Restriction {restriction.Name}: geography {rule.Geography} has no country codes; it is not applied.");
                    continue;
                }

                if (!IsCatchAll(rule.RequestUrl))
                {
                    warnings.Add($"Restriction {restriction.Name}: CloudFront restricts geography for the whole distribution, not only {rule.RequestUrl}.");
                }

                (restriction.Access == RestrictionAccess.Whitelist ? allow : deny).UnionWith(codes);
            }
        }

        var (type, locations) = allow.Count > 0 ? ("whitelist", allow.Except(deny).ToList())
            : deny.Count > 0 ? ("blacklist", deny.ToList())
            : ("none", new List<string>());
        return new XElement(Ns + "Restrictions",
            new XElement(Ns + "GeoRestriction",
                new XElement(Ns + "RestrictionType", type),
                new XElement(Ns + "Quantity", locations.Count),
                locations.Count > 0 ? new XElement(Ns + "Items", locations.Select(l => new XElement(Ns + "Location", l))) : null));
    }

    /// <summary>CloudFront's Quantity + Items pair; Items is left out when empty, as the AWS SDKs send it.</summary>
    private static XElement List(string name, IEnumerable<XElement> items)
    {
        var list = items.ToList();
        return new XElement(Ns + name,
            new XElement(Ns + "Quantity", list.Count.ToString(CultureInfo.InvariantCulture)),
            list.Count > 0 ? new XElement(Ns + "Items", list) : null);
    }

    private static string Wire(ViewerProtocolPolicy policy) => policy switch
    {
        ViewerProtocolPolicy.RedirectToHttps => "redirect-to-https",
        ViewerProtocolPolicy.HttpsOnly => "https-only",
        _ => "allow-all",
    };

    private static string Wire(OriginProtocolPolicy policy) => policy switch
    {
        OriginProtocolPolicy.HttpOnly => "http-only",
        OriginProtocolPolicy.HttpsOnly => "https-only",
        _ => "match-viewer",
    };
}
