using Microsoft.AspNetCore.Http;

namespace Poppy.Portal.Simulators.Edge;

/// <summary>What makes one vendor's edge that vendor's: its host names, headers and error pages.</summary>
internal abstract class EdgeBehavior
{
    /// <summary>True for host names in the vendor's namespace (e.g. <c>*.global.prod.fastly.net</c>), known or not.</summary>
    public abstract bool IsVendorHostname(string host);

    /// <summary>A site by one of the access host names the simulator issued.</summary>
    public abstract EdgeSite? FindByAccessHostname(string host);

    /// <summary>A site by one of the customer's own domains (aliases, CNAMEs).</summary>
    public abstract EdgeSite? FindByCustomDomain(string host);

    public abstract void AddHeaders(HttpContext http, EdgeOutcome outcome);

    public abstract EdgeErrorPage ErrorPage(EdgeError error, string host);

    /// <summary>Headers the vendor consumes and does not pass to viewers.</summary>
    public virtual IReadOnlyCollection<string> ConsumedOriginHeaders => [];

    /// <summary>Vendor-only requests on the edge (Fastly's <c>PURGE</c> method); true when answered.</summary>
    public virtual ValueTask<bool> TryHandleSpecialAsync(HttpContext http, string host) => ValueTask.FromResult(false);
}

internal enum EdgeError
{
    UnknownHost,
    Disabled,
    OriginUnreachable,
    Outage,
}

internal sealed record EdgeErrorPage(int Status, string ContentType, string Body);

/// <param name="Hit">Served from cache.</param>
/// <param name="Age">Time since the object was fetched, for hits.</param>
/// <param name="Hits">Hits on this object so far.</param>
/// <param name="Stale">A stale copy served because the origin failed.</param>
/// <param name="Error">The edge answered with its own error page.</param>
internal readonly record struct EdgeOutcome(bool Hit, TimeSpan? Age, int Hits, bool Stale, bool Error = false);
