using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Edge;
using Poppy.Portal.Simulators.Hosting;
using Poppy.Portal.Simulators.Inventory;

namespace Poppy.Portal.Simulators.Fastly;

/// <summary>
/// Fastly's config API (<c>api.fastly.com</c> paths under <c>{base}/fastly/</c>: versioned services, purges, the
/// hourly write limit) and its edge (<c>&lt;domain or service id&gt;.global.prod.fastly.net</c>).
/// </summary>
public sealed class FastlySimulator : VendorSimulator
{
    public const string AccessHostSuffix = ".global.prod.fastly.net";

    private readonly FastlyRateLimit rateLimit;

    internal FastlySimulator(SimulatorContext context)
        : base(CdnVendor.Fastly, context)
    {
        Store = new FastlyStore(context);
        rateLimit = new FastlyRateLimit(context);
        Edge = new FastlyEdge(this);
    }

    /// <summary>Services that exist now (deleted ones are gone), oldest first.</summary>
    public IReadOnlyList<FastlyService> Services => Store.Services;

    /// <summary>Every purge accepted, oldest first.</summary>
    public IReadOnlyList<FastlyPurge> Purges => Store.Purges;

    public FastlyService? FindService(string serviceId) => Store.Find(serviceId);

    public override IReadOnlyList<SimulatedResource> Inventory() =>
        [.. Services.Select(s => new SimulatedResource(Vendor, s.Id, s.Name, SimulatorInventory.PortalServiceIdIn(s.Name)))];

    internal FastlyStore Store { get; }

    /// <summary>One URL (host + path + query) purged from the edge, by the API or the edge's PURGE method.</summary>
    internal FastlyPurge PurgeUrl(string host, string pathAndQuery, bool soft)
    {
        var count = EdgeCache.Purge(e => e.Host == host && e.Path + e.Query == pathAndQuery, soft);
        var site = Edge.FindByCustomDomain(host) ?? Edge.FindByAccessHostname(host);
        return Store.RecordPurge(FastlyPurgeKind.Url, site?.SiteId, host + pathAndQuery, soft, count);
    }

    internal override EdgeBehavior Edge { get; }

    internal override void MapApi(RouteGroupBuilder api)
    {
        api.AddEndpointFilter(async (invocation, next) =>
            rateLimit.Check(invocation.HttpContext) ?? await next(invocation));
        FastlyApi.Map(api, this);
    }

    internal override ValueTask<IResult?> AuthenticateAsync(HttpContext http)
    {
        var key = http.Request.Headers["Fastly-Key"].ToString();
        IResult? refusal = key.Length > 0 && Context.Options.Fastly.ApiKeys.Contains(key)
            ? null
            : FastlyApiError.Body(StatusCodes.Status401Unauthorized, "Provided credentials are missing or invalid", null);
        return ValueTask.FromResult(refusal);
    }

    internal override IResult Unavailable() =>
        FastlyApiError.Body(StatusCodes.Status503ServiceUnavailable, "Service Unavailable", "The API is temporarily unavailable; please retry");

    internal override IResult Throttled(int retryAfterSeconds) =>
        FastlyApiError.Body(StatusCodes.Status429TooManyRequests, "Too many requests", "Rate limit exceeded; retry after the time in Retry-After")
            .WithHeaders(
                ("Retry-After", retryAfterSeconds.ToString(CultureInfo.InvariantCulture)),
                ("Fastly-RateLimit-Remaining", "0"),
                ("Fastly-RateLimit-Reset", (Context.Now.ToUnixTimeSeconds() + retryAfterSeconds).ToString(CultureInfo.InvariantCulture)));

    internal override IResult Failure(int status, string message) =>
        FastlyApiError.Body(status, status >= 500 ? "Internal Server Error" : "Bad request", message);

    internal override IResult UnknownPath(HttpContext http) =>
        FastlyApiError.Body(StatusCodes.Status404NotFound, "Record not found", $"No such resource: {http.Request.Method} {http.Request.Path}");

    /// <summary>Fastly's hourly budget of non-read requests per token; reads, URL and key purges are free.</summary>
    private sealed class FastlyRateLimit(SimulatorContext context)
    {
        private readonly Lock gate = new();
        private readonly Dictionary<string, (long Window, int Used)> usage = new(StringComparer.Ordinal);

        public IResult? Check(HttpContext http)
        {
            if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)
                || http.GetEndpoint()?.Metadata.GetMetadata<FastlyApi.Unmetered>() is not null)
            {
                return null;
            }

            var limit = context.Options.Fastly.HourlyRateLimit;
            var now = context.Now.ToUnixTimeSeconds();
            var window = now / 3600;
            var reset = ((window + 1) * 3600).ToString(CultureInfo.InvariantCulture);
            int remaining;
            lock (gate)
            {
                var key = http.Request.Headers["Fastly-Key"].ToString();
                var (usedWindow, used) = usage.GetValueOrDefault(key);
                used = usedWindow == window ? used : 0;
                if (used >= limit)
                {
                    return FastlyApiError.Body(StatusCodes.Status429TooManyRequests, "Too many requests",
                            $"You have exceeded the limit of {limit} requests per hour")
                        .WithHeaders(("Fastly-RateLimit-Remaining", "0"), ("Fastly-RateLimit-Reset", reset),
                            ("Retry-After", ((window + 1) * 3600 - now).ToString(CultureInfo.InvariantCulture)));
                }

                usage[key] = (window, used + 1);
                remaining = limit - used - 1;
            }

            http.Response.Headers["Fastly-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
            http.Response.Headers["Fastly-RateLimit-Reset"] = reset;
            return null;
        }
    }
}
