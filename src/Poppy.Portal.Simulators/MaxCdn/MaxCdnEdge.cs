using System.Globalization;
using Microsoft.AspNetCore.Http;
using Poppy.Portal.Simulators.Edge;

namespace Poppy.Portal.Simulators.MaxCdn;

/// <summary>
/// MaxCDN's edge (NetDNA): origin from the zone's <c>url</c>; TTL from origin Cache-Control unless
/// <c>ignore_cache_control</c>, else <c>cache_valid</c>; query strings split the cache when <c>queries</c> is 1.
/// </summary>
internal sealed class MaxCdnEdge(MaxCdnSimulator maxCdn) : EdgeBehavior
{
    public override bool IsVendorHostname(string host) => host.EndsWith(MaxCdnSimulator.AccessHostSuffix, StringComparison.Ordinal);

    public override EdgeSite? FindByAccessHostname(string host) =>
        maxCdn.PullZones.Where(z => z["cdn_url"] == host).Select(Site).FirstOrDefault();

    public override EdgeSite? FindByCustomDomain(string host) =>
        maxCdn.PullZones.Where(z => z.CustomDomains.Any(d => d.Domain == host)).Select(Site).FirstOrDefault();

    public override void AddHeaders(HttpContext http, EdgeOutcome outcome)
    {
        http.Response.Headers.Server = "NetDNA-cache/2.2";
        if (!outcome.Error)
        {
            http.Response.Headers["X-Cache"] = outcome.Hit ? "HIT" : "MISS";
        }
    }

    public override EdgeErrorPage ErrorPage(EdgeError error, string host) => error switch
    {
        EdgeError.UnknownHost or EdgeError.Disabled => Page(StatusCodes.Status404NotFound, "404 Not Found"),
        EdgeError.OriginUnreachable => Page(StatusCodes.Status502BadGateway, "502 Bad Gateway"),
        _ => Page(StatusCodes.Status503ServiceUnavailable, "503 Service Temporarily Unavailable"),
    };

    private static EdgeErrorPage Page(int status, string title) => new(status, "text/html",
        $"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>NetDNA-cache/2.2</center>\r\n</body>\r\n</html>\r\n");

    private static EdgeSite Site(MaxCdnPullZone zone)
    {
        var origin = Uri.TryCreate(zone.Url, UriKind.Absolute, out var url)
            ? new OriginTarget(url.Host, url.IsDefaultPort && int.TryParse(zone["port"], out var port) && port != 80 ? port : url.Port, url.Scheme == "https")
            : null;
        var hostHeader = string.IsNullOrEmpty(zone["set_host_header"]) ? url?.Host : zone["set_host_header"];
        var cacheValid = ParseDuration(zone["cache_valid"]) ?? TimeSpan.FromDays(1);
        var ignoreCacheControl = zone["ignore_cache_control"] == "1";
        return new EdgeSite(zone.Id.ToString(CultureInfo.InvariantCulture), _ => new EdgeRoute(origin, hostHeader, directives =>
                ignoreCacheControl ? cacheValid
                : directives.Forbids ? null
                : directives.SharedMaxAge ?? directives.MaxAge ?? cacheValid,
            KeyIncludesQuery: zone["queries"] == "1"),
            Enabled: zone["suspend"] != "1");
    }

    /// <summary>nginx-style durations as in <c>cache_valid</c>: <c>30s</c>, <c>10m</c>, <c>12h</c>, <c>1d</c>.</summary>
    private static TimeSpan? ParseDuration(string text) =>
        text.Length > 1 && int.TryParse(text[..^1], out var n)
            ? text[^1] switch { 's' => TimeSpan.FromSeconds(n), 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => null }
            : null;
}
