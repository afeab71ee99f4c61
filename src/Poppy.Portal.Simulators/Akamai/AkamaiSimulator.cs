using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Providers.Signing;
using Poppy.Portal.Simulators.Edge;
using Poppy.Portal.Simulators.Hosting;
using Poppy.Portal.Simulators.Inventory;

namespace Poppy.Portal.Simulators.Akamai;

/// <summary>
/// Akamai's Property Manager API (<c>{base}/akamai/papi/v1/…</c>), Fast Purge (<c>{base}/akamai/ccu/v3/…</c>), both
/// EdgeGrid-signed, and its edge (<c>*.edgesuite.net</c>, <c>*.edgekey.net</c>, <c>-staging</c> variants, and the
/// properties' hostnames), serving the version active on each network.
/// </summary>
public sealed class AkamaiSimulator : VendorSimulator
{
    private readonly EdgeGridVerifier verifier;

    internal AkamaiSimulator(SimulatorContext context)
        : base(CdnVendor.Akamai, context)
    {
        Store = new AkamaiStore(context);
        Edge = new AkamaiEdge(this);
        var akamai = context.Options.Akamai;
        verifier = new EdgeGridVerifier(
            clientToken => clientToken == akamai.ClientToken ? new EdgeGridCredentials(akamai.ClientToken, akamai.ClientSecret, akamai.AccessToken) : null,
            new EdgeGridOptions { MaxBody = akamai.MaxBody });
    }

    public IReadOnlyList<AkamaiProperty> Properties => Store.Properties;

    public IReadOnlyList<AkamaiEdgeHostname> EdgeHostnames => Store.EdgeHostnames;

    public IReadOnlyList<AkamaiActivation> Activations => Store.Activations;

    public IReadOnlyList<AkamaiPurge> Purges => Store.Purges;

    public AkamaiProperty? FindProperty(string propertyId) => Store.Properties.FirstOrDefault(p => p.PropertyId == propertyId);

    public override IReadOnlyList<SimulatedResource> Inventory() =>
        [.. Properties.Select(p => new SimulatedResource(Vendor, p.PropertyId, p.PropertyName, SimulatorInventory.PortalServiceIdIn(p.PropertyName)))];

    /// <summary>The version serving on <paramref name="network"/> by the simulator's clock, or null.</summary>
    public int? ActiveVersion(string propertyId, string network) => Store.ActiveVersion(propertyId, network, Context.Now);

    /// <summary>The activation's status by the simulator's clock (PENDING … ACTIVE).</summary>
    public string StatusOf(AkamaiActivation activation) => activation.StatusAt(Context.Now);

    internal AkamaiStore Store { get; }

    internal override EdgeBehavior Edge { get; }

    internal override void MapApi(RouteGroupBuilder api) => AkamaiApi.Map(api, this);

    internal override async ValueTask<IResult?> AuthenticateAsync(HttpContext http)
    {
        var request = await http.Request.ReadSignedRequestAsync(http.RequestAborted);
        var verification = verifier.Verify(request, Context.Now);
        return verification.Succeeded
            ? null
            : AkamaiProblem.Body(verification.HttpStatus, $"https://{http.Request.Host}{verification.ProblemTypePath}", verification.Title, verification.Detail);
    }

    internal override IResult Unavailable() =>
        AkamaiProblem.Body(StatusCodes.Status503ServiceUnavailable, "/-/service-unavailable", "Service Unavailable",
            "The service is temporarily unavailable. Please retry.");

    /// <summary>Akamai's 429: problem JSON with limitKey/limit/remaining and the X-RateLimit headers.</summary>
    internal override IResult Throttled(int retryAfterSeconds)
    {
        var next = Context.Now.AddSeconds(retryAfterSeconds);
        return AkamaiProblem.Body(StatusCodes.Status429TooManyRequests, "/-/rate-limit-exceeded", "Too Many Requests",
                "You have exceeded the request rate limit for this client token.",
                new JsonObject { ["limitKey"] = "DEFAULT_CLIENT_TOKEN", ["limit"] = 20, ["remaining"] = 0 })
            .WithHeaders(
                ("Retry-After", retryAfterSeconds.ToString(CultureInfo.InvariantCulture)),
                ("X-RateLimit-Limit", "20"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Next", next.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)));
    }

    internal override IResult Failure(int status, string message) =>
        status >= 500
            ? AkamaiProblem.Body(status, "/-/internal-server-error", "Internal Server Error", message)
            : AkamaiProblem.Body(status, "/papi/v0/bad-request", "Bad Request", message);

    internal override IResult UnknownPath(HttpContext http) =>
        AkamaiProblem.Body(StatusCodes.Status404NotFound, "/-/resource-not-found", "Not Found", $"The requested resource {http.Request.Path} was not found.");

    /// <summary>
    /// A CCU purge: <c>invalidate</c> marks objects stale, <c>delete</c> evicts them. URLs match host + path (+ query);
    /// cpcodes match the sites whose default rule carries that CP code; tags match <c>Edge-Cache-Tag</c>.
    /// </summary>
    internal AkamaiPurge Purge(string action, string type, string network, string? hostname, IReadOnlyList<string> objects)
    {
        var soft = action == "invalidate";
        var staging = network == "staging";
        Func<CachedObject, bool> match = type switch
        {
            "url" => PurgeUrls(hostname, objects),
            "cpcode" => entry => CpCodeOf(entry.SiteId) is { } cpCode && objects.Contains(cpCode),
            _ => entry => entry.Tags.Any(objects.Contains),
        };
        var count = EdgeCache.Purge(entry => AkamaiEdge.IsStagingHost(entry.Host) == staging && match(entry), soft);
        return Store.RecordPurge(action, type, network, objects, count);
    }

    private static Func<CachedObject, bool> PurgeUrls(string? hostname, IReadOnlyList<string> objects)
    {
        var targets = objects.Select(o => Uri.TryCreate(o, UriKind.Absolute, out var url) && url.Scheme.StartsWith("http", StringComparison.Ordinal)
                ? (Host: url.Host, PathAndQuery: url.PathAndQuery)
                : (Host: hostname?.ToLowerInvariant() ?? "", PathAndQuery: o.StartsWith('/') ? o : "/" + o))
            .ToHashSet();
        return entry => targets.Contains((entry.Host, entry.Path + entry.Query));
    }

    /// <summary>The CP code of the version serving production (cached objects came from it), else of the latest version.</summary>
    private string? CpCodeOf(string propertyId) =>
        FindProperty(propertyId) is { } property
            ? AkamaiRules.CpCode((ActiveVersion(propertyId, AkamaiNetworks.Production) is { } active ? property.Version(active)! : property.LatestVersion).Rules)
            : null;
}
