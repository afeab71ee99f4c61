using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;

namespace Poppy.Portal.Simulators.CloudFront;

/// <summary>CloudFront's REST-XML (2020-05-31): reading configs and batches, writing distributions and invalidations.</summary>
internal static class CloudFrontXml
{
    public static readonly XNamespace Ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

    private static readonly string[] ViewerPolicies = ["allow-all", "redirect-to-https", "https-only"];
    private static readonly string[] OriginPolicies = ["http-only", "match-viewer", "https-only"];
    private static readonly string[] PriceClasses = ["PriceClass_100", "PriceClass_200", "PriceClass_All"];

    public static IResult Result(XElement root, int status = StatusCodes.Status200OK) =>
        Results.Text(new XDeclaration("1.0", "UTF-8", null) + root.ToString(SaveOptions.DisableFormatting), "text/xml", Encoding.UTF8, status);

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Parses a body whose root must be <paramref name="rootName"/>; every element is put in CloudFront's namespace.</summary>
    public static XElement ParseRoot(string body, string rootName)
    {
        XElement root;
        try
        {
            root = XElement.Parse(body, LoadOptions.None);
        }
        catch (XmlException)
        {
            throw CloudFrontApiError.Malformed("The XML document you provided was not well-formed or did not validate against our published schema.");
        }

        foreach (var element in root.DescendantsAndSelf())
        {
            element.Name = Ns + element.Name.LocalName;
            element.Attributes().Where(a => a.IsNamespaceDeclaration).Remove();
        }

        if (root.Name.LocalName != rootName)
        {
            throw CloudFrontApiError.Malformed($"The root element must be {rootName}, not {root.Name.LocalName}.");
        }

        CheckQuantities(root);
        return root;
    }

    public static CloudFrontConfig ParseConfig(XElement xml)
    {
        var callerReference = Required(xml, "CallerReference", "distributionConfig");
        var comment = Required(xml, "Comment", "distributionConfig");
        if (comment.Length > 128)
        {
            throw CloudFrontApiError.InvalidArgument("The parameter Comment is too long.");
        }

        var enabled = Bool(Required(xml, "Enabled", "distributionConfig"), "Enabled");
        var originsXml = xml.Element(Ns + "Origins") ?? throw NullMember("distributionConfig.origins");
        var origins = originsXml.Element(Ns + "Items")?.Elements(Ns + "Origin").Select(ParseOrigin).ToList() ?? [];
        if (origins.Count == 0)
        {
            throw CloudFrontApiError.InvalidArgument("The parameter Origins must contain at least one origin.");
        }

        if (origins.GroupBy(o => o.Id).Any(g => g.Count() > 1))
        {
            throw CloudFrontApiError.InvalidArgument("The parameter origin ids must be unique.");
        }

        var defaultBehavior = ParseBehavior(xml.Element(Ns + "DefaultCacheBehavior") ?? throw NullMember("distributionConfig.defaultCacheBehavior"), isDefault: true);
        var behaviors = xml.Element(Ns + "CacheBehaviors")?.Element(Ns + "Items")?.Elements(Ns + "CacheBehavior")
            .Select(b => ParseBehavior(b, isDefault: false)).ToList() ?? [];
        foreach (var behavior in behaviors.Prepend(defaultBehavior))
        {
            if (origins.All(o => o.Id != behavior.TargetOriginId))
            {
                throw new CloudFrontApiError(StatusCodes.Status404NotFound, "NoSuchOrigin", "One or more of your origins or origin groups do not exist.");
            }
        }

        var aliases = xml.Element(Ns + "Aliases")?.Element(Ns + "Items")?.Elements(Ns + "CNAME").Select(c => c.Value.Trim().ToLowerInvariant()).ToList() ?? [];
        var certificate = xml.Element(Ns + "ViewerCertificate");
        var trustedCertificate = certificate?.Element(Ns + "ACMCertificateArn") is not null || certificate?.Element(Ns + "IAMCertificateId") is not null;
        if (aliases.Count > 0 && !trustedCertificate)
        {
            throw new CloudFrontApiError(StatusCodes.Status400BadRequest, "InvalidViewerCertificate",
                "To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a trusted certificate that validates your authorization to use the domain name.");
        }

        var priceClass = xml.Element(Ns + "PriceClass")?.Value ?? "PriceClass_All";
        if (!PriceClasses.Contains(priceClass))
        {
            throw CloudFrontApiError.InvalidArgument($"The parameter PriceClass has an invalid value: {priceClass}.");
        }

        return new CloudFrontConfig(xml, callerReference, comment, enabled, origins, defaultBehavior, behaviors, aliases, priceClass);
    }

    public static (string CallerReference, IReadOnlyList<string> Paths) ParseInvalidationBatch(XElement batch)
    {
        var callerReference = Required(batch, "CallerReference", "invalidationBatch");
        var paths = batch.Element(Ns + "Paths")?.Element(Ns + "Items")?.Elements(Ns + "Path").Select(p => p.Value).ToList() ?? [];
        if (paths.Count == 0)
        {
            throw CloudFrontApiError.InvalidArgument("The parameter Paths must contain at least one path.");
        }

        if (paths.FirstOrDefault(p => !p.StartsWith('/')) is { } relative)
        {
            throw CloudFrontApiError.InvalidArgument($"Your request contains one or more invalid invalidation paths: {relative}");
        }

        return (callerReference, paths);
    }

    public static XElement Distribution(CloudFrontDistribution d, DateTimeOffset now, int invalidationsInProgress) =>
        new(Ns + "Distribution",
            new XElement(Ns + "Id", d.Id),
            new XElement(Ns + "ARN", d.Arn),
            new XElement(Ns + "Status", d.StatusAt(now)),
            new XElement(Ns + "LastModifiedTime", Time(d.LastModifiedTime)),
            new XElement(Ns + "InProgressInvalidationBatches", invalidationsInProgress),
            new XElement(Ns + "DomainName", d.DomainName),
            new XElement(Ns + "ActiveTrustedSigners", new XElement(Ns + "Enabled", "false"), new XElement(Ns + "Quantity", 0)),
            new XElement(Ns + "ActiveTrustedKeyGroups", new XElement(Ns + "Enabled", "false"), new XElement(Ns + "Quantity", 0)),
            new XElement(d.Config.Xml));

    public static XElement Summary(CloudFrontDistribution d, DateTimeOffset now)
    {
        var summary = new XElement(Ns + "DistributionSummary",
            new XElement(Ns + "Id", d.Id),
            new XElement(Ns + "ARN", d.Arn),
            new XElement(Ns + "Status", d.StatusAt(now)),
            new XElement(Ns + "LastModifiedTime", Time(d.LastModifiedTime)),
            new XElement(Ns + "DomainName", d.DomainName));
        foreach (var part in new[] { "Aliases", "Origins", "DefaultCacheBehavior", "CacheBehaviors", "Comment", "PriceClass", "Enabled", "ViewerCertificate", "Restrictions" })
        {
            if (d.Config.Xml.Element(Ns + part) is { } element)
            {
                summary.Add(new XElement(element));
            }
        }

        return summary;
    }

    public static XElement Invalidation(CloudFrontInvalidation i, DateTimeOffset now) =>
        new(Ns + "Invalidation",
            new XElement(Ns + "Id", i.Id),
            new XElement(Ns + "Status", i.StatusAt(now)),
            new XElement(Ns + "CreateTime", Time(i.CreateTime)),
            new XElement(Ns + "InvalidationBatch",
                new XElement(Ns + "Paths", new XElement(Ns + "Quantity", i.Paths.Count),
                    new XElement(Ns + "Items", i.Paths.Select(p => new XElement(Ns + "Path", p)))),
                new XElement(Ns + "CallerReference", i.CallerReference)));

    public static XElement List(string name, string itemName, IReadOnlyList<XElement> items) =>
        new(Ns + name,
            new XElement(Ns + "Marker", ""),
            new XElement(Ns + "MaxItems", 100),
            new XElement(Ns + "IsTruncated", "false"),
            new XElement(Ns + "Quantity", items.Count),
            items.Count > 0 ? new XElement(Ns + "Items", items.Select(i => { i.Name = Ns + itemName; return i; })) : null);

    /// <summary>Every list is a Quantity + Items pair; AWS refuses a count that does not match.</summary>
    private static void CheckQuantities(XElement root)
    {
        foreach (var list in root.DescendantsAndSelf().Where(e => e.Element(Ns + "Quantity") is not null))
        {
            if (!int.TryParse(list.Element(Ns + "Quantity")!.Value, out var quantity))
            {
                throw CloudFrontApiError.Malformed($"Quantity of {list.Name.LocalName} is not a number.");
            }

            var items = list.Element(Ns + "Items")?.Elements().Count() ?? 0;
            if (quantity != items)
            {
                throw new CloudFrontApiError(StatusCodes.Status400BadRequest, "InconsistentQuantities",
                    "The value of Quantity and the size of Items don't match.");
            }
        }
    }

    private static CloudFrontOrigin ParseOrigin(XElement origin)
    {
        var id = Required(origin, "Id", "origin");
        var domain = Required(origin, "DomainName", "origin");
        var path = origin.Element(Ns + "OriginPath")?.Value ?? "";
        if (origin.Element(Ns + "CustomOriginConfig") is { } custom)
        {
            var policy = Required(custom, "OriginProtocolPolicy", "customOriginConfig");
            if (!OriginPolicies.Contains(policy))
            {
                throw CloudFrontApiError.InvalidArgument($"The parameter OriginProtocolPolicy has an invalid value: {policy}.");
            }

            return new CloudFrontOrigin(id, domain, path, Int(Required(custom, "HTTPPort", "customOriginConfig"), "HTTPPort"),
                Int(Required(custom, "HTTPSPort", "customOriginConfig"), "HTTPSPort"), policy);
        }

        return origin.Element(Ns + "S3OriginConfig") is not null
            ? new CloudFrontOrigin(id, domain, path, 80, 443, "s3")
            : throw CloudFrontApiError.InvalidArgument($"Origin {id} needs a CustomOriginConfig or an S3OriginConfig.");
    }

    private static CloudFrontCacheBehavior ParseBehavior(XElement behavior, bool isDefault)
    {
        var pattern = isDefault ? null : Required(behavior, "PathPattern", "cacheBehavior");
        var target = Required(behavior, "TargetOriginId", "cacheBehavior");
        var viewer = Required(behavior, "ViewerProtocolPolicy", "cacheBehavior");
        if (!ViewerPolicies.Contains(viewer))
        {
            throw CloudFrontApiError.InvalidArgument($"The parameter ViewerProtocolPolicy has an invalid value: {viewer}.");
        }

        var policyId = behavior.Element(Ns + "CachePolicyId")?.Value;
        var forwarded = behavior.Element(Ns + "ForwardedValues");
        if (policyId is null && forwarded is null)
        {
            throw CloudFrontApiError.InvalidArgument("The parameter ForwardedValues is required when a CachePolicyId is not specified.");
        }

        if (policyId is not null)
        {
            return new CloudFrontCacheBehavior(pattern, target, viewer, policyId, false, 0, 0, 0);
        }

        var forwardQuery = Bool(Required(forwarded!, "QueryString", "forwardedValues"), "QueryString");
        long Ttl(string name, long fallback) =>
            behavior.Element(Ns + name) is { } e ? long.TryParse(e.Value, out var v) && v >= 0 ? v
                : throw CloudFrontApiError.InvalidArgument($"The parameter {name} has an invalid value: {e.Value}.") : fallback;
        var min = Ttl("MinTTL", 0);
        var def = Ttl("DefaultTTL", 86400);
        var max = Ttl("MaxTTL", 31536000);
        if (!(min <= def && def <= max))
        {
            throw CloudFrontApiError.InvalidArgument("The minimum TTL must not exceed the default TTL, nor the default the maximum.");
        }

        return new CloudFrontCacheBehavior(pattern, target, viewer, null, forwardQuery, min, def, max);
    }

    private static string Required(XElement parent, string name, string path) =>
        parent.Element(Ns + name)?.Value ?? throw NullMember($"{path}.{char.ToLowerInvariant(name[0])}{name[1..]}");

    private static CloudFrontApiError NullMember(string member) =>
        CloudFrontApiError.Malformed($"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null");

    private static bool Bool(string value, string name) => value.Trim() switch
    {
        "true" => true,
        "false" => false,
        _ => throw CloudFrontApiError.Malformed($"The parameter {name} must be true or false."),
    };

    private static int Int(string value, string name) =>
        int.TryParse(value, out var number) && number is > 0 and < 65536 ? number
            : throw CloudFrontApiError.InvalidArgument($"The parameter {name} has an invalid value: {value}.");
}
