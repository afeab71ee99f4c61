using System.Globalization;
using System.Net.Http.Headers;

namespace Poppy.Portal.Simulators.Edge;

/// <summary>One configured site (service, distribution, property, zone) as its edge serves it.</summary>
/// <param name="SiteId">Vendor id of the service; purge-all matches on it.</param>
/// <param name="Route">Per request path: which origin, which Host header, which TTL.</param>
/// <param name="Enabled">False for e.g. a disabled CloudFront distribution: the edge refuses.</param>
internal sealed record EdgeSite(string SiteId, Func<string, EdgeRoute> Route, bool Enabled = true);

/// <param name="Origin">Null when no origin applies (the edge answers as if unreachable).</param>
/// <param name="OriginHostHeader">Host header sent to the origin; null forwards the viewer's Host.</param>
/// <param name="Ttl">How long to keep the origin's answer; null or zero means do not cache.</param>
/// <param name="KeyIncludesQuery">Whether the query string is part of the cache key.</param>
/// <param name="OriginPathPrefix">Prepended to the path sent to the origin (CloudFront's <c>OriginPath</c>).</param>
internal sealed record EdgeRoute(
    OriginTarget? Origin,
    string? OriginHostHeader,
    Func<OriginCacheDirectives, TimeSpan?> Ttl,
    bool KeyIncludesQuery,
    string OriginPathPrefix = "");

internal sealed record OriginTarget(string Host, int Port, bool Tls);

/// <summary>The caching directives of an origin answer that the vendors look at.</summary>
internal sealed record OriginCacheDirectives(
    TimeSpan? MaxAge,
    TimeSpan? SharedMaxAge,
    TimeSpan? SurrogateMaxAge,
    bool NoStore,
    bool Private)
{
    public static readonly OriginCacheDirectives None = new(null, null, null, false, false);

    /// <summary>What a shared cache would take from the headers alone (surrogate, then s-maxage, then max-age).</summary>
    public TimeSpan? Freshness => SurrogateMaxAge ?? SharedMaxAge ?? MaxAge;

    public bool Forbids => NoStore || Private;

    public static OriginCacheDirectives From(HttpResponseMessage response)
    {
        CacheControlHeaderValue? cacheControl = response.Headers.CacheControl;
        TimeSpan? surrogate = null;
        if (response.Headers.TryGetValues("Surrogate-Control", out var values))
        {
            foreach (var part in string.Join(',', values).Split(',', StringSplitOptions.TrimEntries))
            {
                if (part.StartsWith("max-age=", StringComparison.OrdinalIgnoreCase)
                    && int.TryParse(part.AsSpan(8), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
                {
                    surrogate = TimeSpan.FromSeconds(seconds);
                }
            }
        }

        return new(
            cacheControl?.MaxAge,
            cacheControl?.SharedMaxAge,
            surrogate,
            cacheControl?.NoStore == true,
            cacheControl?.Private == true);
    }
}
