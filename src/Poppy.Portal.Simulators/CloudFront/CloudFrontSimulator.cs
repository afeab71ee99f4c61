using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Providers.Signing;
using Poppy.Portal.Simulators.Edge;
using Poppy.Portal.Simulators.Hosting;
using Poppy.Portal.Simulators.Inventory;

namespace Poppy.Portal.Simulators.CloudFront;

/// <summary>
/// Amazon CloudFront's REST-XML API (paths of <c>cloudfront.amazonaws.com</c> under <c>{base}/cloudfront/</c>,
/// SigV4 for <c>us-east-1</c>/<c>cloudfront</c>) and its edge (<c>dXXXXXXXXXXXXX.cloudfront.net</c> and the aliases).
/// </summary>
public sealed class CloudFrontSimulator : VendorSimulator
{
    public const string AccessHostSuffix = ".cloudfront.net";

    private readonly AwsSigV4Verifier verifier;

    internal CloudFrontSimulator(SimulatorContext context)
        : base(CdnVendor.CloudFront, context)
    {
        Store = new CloudFrontStore(context);
        Edge = new CloudFrontEdge(this);
        verifier = new AwsSigV4Verifier("us-east-1", "cloudfront", accessKeyId =>
            context.Options.CloudFront is { } c && c.AccessKeyId == accessKeyId ? new AwsCredentials(c.AccessKeyId, c.SecretAccessKey) : null);
    }

    public IReadOnlyList<CloudFrontDistribution> Distributions => Store.Distributions;

    public IReadOnlyList<CloudFrontInvalidation> Invalidations => Store.Invalidations;

    public CloudFrontDistribution? FindDistribution(string id) => Store.Find(id);

    /// <summary>Owned by the service in the CallerReference (fixed at creation), else by the Comment marker.</summary>
    public override IReadOnlyList<SimulatedResource> Inventory() =>
        [.. Distributions.Select(d => new SimulatedResource(Vendor, d.Id, d.Config.CallerReference,
            SimulatorInventory.PortalServiceIdIn(d.Config.CallerReference) ?? SimulatorInventory.PortalServiceIdIn(d.Config.Comment)))];

    /// <summary>InProgress or Deployed, by the simulator's clock.</summary>
    public string StatusOf(CloudFrontDistribution distribution) => distribution.StatusAt(Context.Now);

    internal CloudFrontStore Store { get; }

    internal override EdgeBehavior Edge { get; }

    internal override void MapApi(RouteGroupBuilder api) => CloudFrontApi.Map(api, this);

    internal override async ValueTask<IResult?> AuthenticateAsync(HttpContext http)
    {
        var request = await http.Request.ReadSignedRequestAsync(http.RequestAborted);
        var verification = verifier.Verify(request, Context.Now);
        return verification.Succeeded
            ? null
            : CloudFrontApiError.Body(verification.HttpStatus, verification.ErrorCode, verification.Message);
    }

    internal override IResult Unavailable() =>
        CloudFrontApiError.Body(StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable",
            "CloudFront is temporarily unable to process the request. Try again later.", "Receiver");

    /// <summary>CloudFront throttles with 400 <c>Throttling</c> (not 429), as AWS query/REST-XML services do.</summary>
    internal override IResult Throttled(int retryAfterSeconds) =>
        CloudFrontApiError.Body(StatusCodes.Status400BadRequest, "Throttling", "Rate exceeded")
            .WithHeaders(("Retry-After", retryAfterSeconds.ToString(CultureInfo.InvariantCulture)));

    internal override IResult Failure(int status, string message) =>
        status >= 500
            ? CloudFrontApiError.Body(status, "InternalError", message, "Receiver")
            : CloudFrontApiError.Body(status, "InvalidArgument", message);

    internal override IResult UnknownPath(HttpContext http) =>
        CloudFrontApiError.Body(StatusCodes.Status404NotFound, "InvalidURI", $"Could not parse the specified URI: {http.Request.Path}");

    /// <summary>An invalidation's paths, removed from the distribution's edge cache (<c>*</c> matches any run of characters).</summary>
    internal void PurgeEdge(string distributionId, IReadOnlyList<string> paths)
    {
        var patterns = paths.Select(p => new Regex(@"\A" + Regex.Escape(p).Replace(@"\*", ".*") + @"\z", RegexOptions.None, TimeSpan.FromMilliseconds(100))).ToList();
        EdgeCache.Purge(e => e.SiteId == distributionId && patterns.Any(p => p.IsMatch(e.Path) || p.IsMatch(e.Path + e.Query)), soft: false);
    }
}
