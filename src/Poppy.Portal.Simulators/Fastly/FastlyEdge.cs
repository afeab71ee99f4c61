using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Poppy.Portal.Simulators.Edge;

namespace Poppy.Portal.Simulators.Fastly;

/// <summary>
/// Fastly's edge: serves the active version of a service for its domains and for
/// <c>&lt;domain or service id&gt;.global.prod.fastly.net</c>; TTL from origin headers, else <c>general.default_ttl</c>,
/// overridden by matching cache settings; the key includes the query string.
/// </summary>
internal sealed class FastlyEdge(FastlySimulator fastly) : EdgeBehavior
{
    private static readonly string[] AccessSuffixes = [FastlySimulator.AccessHostSuffix, ".global.ssl.fastly.net"];

    public override IReadOnlyCollection<string> ConsumedOriginHeaders { get; } = ["Surrogate-Key", "Surrogate-Control"];

    public override bool IsVendorHostname(string host) => host.EndsWith(".fastly.net", StringComparison.Ordinal);

    public override EdgeSite? FindByAccessHostname(string host)
    {
        var suffix = AccessSuffixes.FirstOrDefault(s => host.EndsWith(s, StringComparison.Ordinal));
        if (suffix is null)
        {
            return null;
        }

        var prefix = host[..^suffix.Length];
        return Active().Where(a => a.Version.Domains.Any(d => d.Name.Equals(prefix, StringComparison.OrdinalIgnoreCase))
                                   || a.Service.Id.Equals(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(a => Site(a.Service, a.Version)).FirstOrDefault();
    }

    public override EdgeSite? FindByCustomDomain(string host) =>
        Active().Where(a => a.Version.Domains.Any(d => d.Name.Equals(host, StringComparison.OrdinalIgnoreCase)))
            .Select(a => Site(a.Service, a.Version)).FirstOrDefault();

    public override void AddHeaders(HttpContext http, EdgeOutcome outcome)
    {
        var headers = http.Response.Headers;
        headers["X-Served-By"] = "cache-sim1001-SIM";
        headers["X-Cache"] = outcome.Hit ? "HIT" : "MISS";
        headers["X-Cache-Hits"] = outcome.Hits.ToString(CultureInfo.InvariantCulture);
        headers.Via = "1.1 varnish";
        if (!outcome.Hit)
        {
            headers.Age = "0";
        }
    }

    public override EdgeErrorPage ErrorPage(EdgeError error, string host) => error switch
    {
        EdgeError.UnknownHost or EdgeError.Disabled => new(StatusCodes.Status500InternalServerError, "text/html",
            $"Fastly error: unknown domain {host}. Please check that this domain has been added to a service."),
        EdgeError.OriginUnreachable => GuruMeditation("Backend is unhealthy"),
        _ => GuruMeditation("Service Unavailable"),
    };

    /// <summary><c>PURGE</c> sent to a URL on the edge purges that URL (soft with <c>Fastly-Soft-Purge: 1</c>).</summary>
    public override async ValueTask<bool> TryHandleSpecialAsync(HttpContext http, string host)
    {
        if (!string.Equals(http.Request.Method, "PURGE", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var purge = fastly.PurgeUrl(host, http.Request.Path.Value + http.Request.QueryString.Value, FastlyApi.IsSoft(http));
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new JsonObject { ["status"] = "ok", ["id"] = purge.Id }.ToJsonString(), http.RequestAborted);
        return true;
    }

    private static EdgeErrorPage GuruMeditation(string reason) => new(StatusCodes.Status503ServiceUnavailable, "text/html",
        $"<html><head><title>503 {reason}</title></head><body><h1>Error 503 {reason}</h1><p>{reason}</p>"
        + "<h3>Guru Mediation:</h3><p>Details: cache-sim1001-SIM</p><hr><p>Varnish cache server</p></body></html>");

    private IEnumerable<(FastlyService Service, FastlyVersion Version)> Active() =>
        fastly.Services.Where(s => s.ActiveVersion is not null).Select(s => (s, s.ActiveVersion!));

    private static EdgeSite Site(FastlyService service, FastlyVersion version) =>
        new(service.Id, path =>
        {
            // A backend whose request condition matches wins; otherwise the first unconditional one.
            var backend = version.Backends.FirstOrDefault(b => !string.IsNullOrEmpty(b["request_condition"]) && Matches(version, b["request_condition"], path))
                ?? version.Backends.FirstOrDefault(b => string.IsNullOrEmpty(b["request_condition"]));
            var origin = backend is null ? null : new OriginTarget(
                backend["address"] ?? "", int.TryParse(backend["port"], out var port) ? port : 80, backend["use_ssl"] == "true");
            var hostHeader = string.IsNullOrEmpty(backend?["override_host"]) ? null : backend["override_host"];
            return new EdgeRoute(origin, hostHeader, directives => Ttl(version, path, directives), KeyIncludesQuery: true);
        });

    private static TimeSpan? Ttl(FastlyVersion version, string path, OriginCacheDirectives directives)
    {
        if (directives.Forbids)
        {
            return null;
        }

        var ttl = directives.Freshness ?? TimeSpan.FromSeconds(version.DefaultTtlSeconds);
        foreach (var setting in version.CacheSettings)
        {
            if (!string.IsNullOrEmpty(setting["cache_condition"]) && !Matches(version, setting["cache_condition"], path))
            {
                continue;
            }

            if (setting["action"] == "pass")
            {
                return null;
            }

            if (int.TryParse(setting["ttl"], out var seconds))
            {
                ttl = TimeSpan.FromSeconds(seconds);
            }
        }

        return ttl;
    }

    private static bool Matches(FastlyVersion version, string? conditionName, string path) =>
        version.Find(FastlyKinds.Condition, conditionName ?? "")?["statement"] is { } statement
        && FastlyCondition.Matches(statement, path);
}

/// <summary>
/// Evaluates the VCL condition statements drivers write: <c>req.url ~ "regex"</c>, <c>req.url.path == "/x"</c>,
/// their negations (<c>!~</c>, <c>!=</c>), joined by <c>&amp;&amp;</c> or <c>||</c>. Anything else does not match.
/// </summary>
internal static partial class FastlyCondition
{
    public static bool Matches(string statement, string path) =>
        statement.Split("||").Any(any => any.Split("&&").All(all => Clause(all.Trim(), path)));

    private static bool Clause(string clause, string path)
    {
        var match = ClauseSyntax().Match(clause);
        if (!match.Success)
        {
            return false;
        }

        var subject = path;
        var operand = Regex.Unescape(match.Groups["value"].Value);
        var result = match.Groups["op"].Value switch
        {
            "~" or "!~" => SafeRegexMatch(subject, operand),
            _ => subject == operand,
        };
        return match.Groups["op"].Value.StartsWith('!') ? !result : result;
    }

    private static bool SafeRegexMatch(string input, string pattern)
    {
        try
        {
            return Regex.IsMatch(input, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [GeneratedRegex("""^\(?\s*req\.url(?:\.path)?\s*(?<op>!~|~|==|!=)\s*"(?<value>(?:[^"\\]|\\.)*)"\s*\)?\z""")]
    private static partial Regex ClauseSyntax();
}
