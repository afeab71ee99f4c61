using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Poppy.Portal.Simulators.Edge;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Akamai;

/// <summary>
/// Akamai's edge: the property version active on the network (staging for <c>*-staging.net</c> host names, else
/// production), its <c>origin</c> and <c>caching</c> behaviors for the request path. Like the real edge it only says
/// <c>X-Cache</c> when asked with <c>Pragma: akamai-x-cache-on</c>.
/// </summary>
internal sealed class AkamaiEdge(AkamaiSimulator akamai) : EdgeBehavior
{
    private static readonly string[] Suffixes = [".edgesuite.net", ".edgekey.net", ".akamaized.net"];

    public override IReadOnlyCollection<string> ConsumedOriginHeaders { get; } = ["Edge-Cache-Tag"];

    public static bool IsStagingHost(string host) => host.EndsWith("-staging.net", StringComparison.Ordinal);

    public override bool IsVendorHostname(string host) =>
        Suffixes.Any(s => host.EndsWith(s, StringComparison.Ordinal) || host.EndsWith(s.Replace(".net", "-staging.net"), StringComparison.Ordinal));

    /// <summary>The edge hostname itself: served when exactly one active property uses it (the real edge wants the property's Host).</summary>
    public override EdgeSite? FindByAccessHostname(string host)
    {
        var network = IsStagingHost(host) ? AkamaiNetworks.Staging : AkamaiNetworks.Production;
        var edgeHostname = IsStagingHost(host) ? host.Replace("-staging.net", ".net", StringComparison.Ordinal) : host;
        var sites = Active(network).Where(a => a.Version.Hostnames.Any(h => h.CnameTo == edgeHostname)).ToList();
        return sites.Count == 1 ? Site(sites[0].Property, sites[0].Version) : null;
    }

    public override EdgeSite? FindByCustomDomain(string host) =>
        Active(AkamaiNetworks.Production).Where(a => a.Version.Hostnames.Any(h => h.CnameFrom == host))
            .Select(a => Site(a.Property, a.Version)).FirstOrDefault();

    public override void AddHeaders(HttpContext http, EdgeOutcome outcome)
    {
        var pragma = http.Request.Headers.Pragma.ToString();
        if (pragma.Contains("akamai-x-cache-on", StringComparison.OrdinalIgnoreCase) && !outcome.Error)
        {
            http.Response.Headers["X-Cache"] = $"{(outcome.Hit ? "TCP_HIT" : "TCP_MISS")} from a127-0-0-1.deploy.akamaitechnologies.com (AkamaiGHost/22.0.0-sim) (-)";
        }

        if (outcome.Error)
        {
            http.Response.Headers.Server = "AkamaiGHost";
        }
    }

    public override EdgeErrorPage ErrorPage(EdgeError error, string host)
    {
        var reference = $"#9.{akamai.Context.Ids.Next(IdGenerator.Hex, 8)}.{akamai.Context.Now.ToUnixTimeSeconds()}.{akamai.Context.Ids.Next(IdGenerator.Hex, 8)}";
        return error switch
        {
            EdgeError.UnknownHost or EdgeError.Disabled => new(StatusCodes.Status400BadRequest, "text/html",
                $"<HTML><HEAD>\n<TITLE>Invalid URL</TITLE>\n</HEAD><BODY>\n<H1>Invalid URL</H1>\nThe requested URL \"&#91;no&#32;URL&#93;\", is invalid.<p>\nReference&#32;{reference}\n</BODY></HTML>\n"),
            _ => new(StatusCodes.Status503ServiceUnavailable, "text/html",
                $"<HTML><HEAD><TITLE>Service Unavailable</TITLE></HEAD><BODY><H1>Service Unavailable - Zero size object</H1>\nThe server is temporarily unable to service your request.  Please try again later.<P>\nReference&#32;{reference}\n</BODY></HTML>\n"),
        };
    }

    private IEnumerable<(AkamaiProperty Property, AkamaiPropertyVersion Version)> Active(string network) =>
        akamai.Properties
            .Select(p => (Property: p, Number: akamai.ActiveVersion(p.PropertyId, network)))
            .Where(p => p.Number is not null)
            .Select(p => (p.Property, p.Property.Version(p.Number!.Value)!));

    private static EdgeSite Site(AkamaiProperty property, AkamaiPropertyVersion version)
    {
        var rules = version.Rules;
        return new EdgeSite(property.PropertyId, path =>
        {
            var behaviors = AkamaiRules.Evaluate(rules, path);
            OriginTarget? origin = null;
            string? hostHeader = null;
            if (behaviors.GetValueOrDefault("origin") is { } o && o["hostname"]?.ToString() is { Length: > 0 } originHost)
            {
                origin = new OriginTarget(originHost, int.TryParse(o["httpPort"]?.ToString(), out var port) ? port : 80, Tls: false);
                hostHeader = o["forwardHostHeader"]?.ToString() switch
                {
                    "ORIGIN_HOSTNAME" => originHost,
                    "CUSTOM" => o["customForwardHostHeader"]?.ToString(),
                    _ => null, // REQUEST_HOST_HEADER: the viewer's Host
                };
            }

            var caching = behaviors.GetValueOrDefault("caching");
            var ignoresQuery = behaviors.GetValueOrDefault("cacheKeyQueryParams")?["behavior"]?.ToString() == "IGNORE_ALL";
            return new EdgeRoute(origin, hostHeader, directives => Ttl(caching, directives), KeyIncludesQuery: !ignoresQuery);
        });
    }

    /// <summary>MAX_AGE: the rule's ttl; CACHE_CONTROL(_AND_EXPIRES): the origin's max-age, else the rule's ttl; NO_STORE/BYPASS_CACHE: none.</summary>
    private static TimeSpan? Ttl(JsonObject? caching, OriginCacheDirectives directives)
    {
        var ruleTtl = AkamaiRules.Duration(caching?["ttl"]?.ToString());
        return caching?["behavior"]?.ToString() switch
        {
            "MAX_AGE" => ruleTtl,
            "CACHE_CONTROL" or "CACHE_CONTROL_AND_EXPIRES" => directives.Forbids ? null : directives.SharedMaxAge ?? directives.MaxAge ?? ruleTtl,
            _ => null,
        };
    }
}
