using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Edge;

/// <summary>
/// Serves every vendor's edge on the simulator's port: a request whose Host is an access host name the simulator
/// issued (or a configured custom domain) goes to that vendor's edge, which proxies to the site's origin through its
/// cache. Everything else (Host 127.0.0.1, localhost, …) falls through to the vendor APIs.
/// </summary>
internal sealed class EdgeServer : IDisposable
{
    /// <summary>Picks the vendor when a custom domain is configured at several vendors (as multi-CDN does).</summary>
    public const string VendorHeader = "X-Simulator-Edge";

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Connection",
        "Proxy-Authenticate", "Proxy-Authorization", "Host", "Content-Length",
    };

    private static readonly HashSet<int> CacheableStatuses = [200, 203, 204, 300, 301, 404, 410];

    private readonly SimulatorContext context;
    private readonly IReadOnlyList<VendorSimulator> vendors;
    private readonly HttpMessageInvoker origins;

    public EdgeServer(SimulatorContext context, IReadOnlyList<VendorSimulator> vendors)
    {
        this.context = context;
        this.vendors = vendors;
        origins = new HttpMessageInvoker(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // Origins are loopback test servers; a TLS origin there has a throwaway certificate.
            SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
        });
    }

    public async Task InvokeAsync(HttpContext http, Func<Task> next)
    {
        var host = http.Request.Host.Host.TrimEnd('.').ToLowerInvariant();
        if (IsLocal(host) || Route(http, host) is not { } routed)
        {
            await next();
            return;
        }

        if (routed.Ambiguous)
        {
            http.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
            await http.Response.WriteAsync(
                $"{host} is configured at several simulated vendors; name one in the {VendorHeader} header.",
                http.RequestAborted);
            return;
        }

        await ServeAsync(http, routed.Vendor!, routed.Site, host);
    }

    public void Dispose() => origins.Dispose();

    private static bool IsLocal(string host) =>
        host.Length == 0 || host == "localhost" || IPAddress.TryParse(host.Trim('[', ']'), out _);

    private RoutedRequest? Route(HttpContext http, string host)
    {
        foreach (var vendor in vendors)
        {
            if (vendor.Edge.IsVendorHostname(host))
            {
                return new(vendor, vendor.Edge.FindByAccessHostname(host), false);
            }
        }

        // A request that names the vendor (a probe of one vendor's edge) is that vendor's, whether or not others also
        // have the domain: it gets that vendor's site, or that vendor's unknown-host page.
        if (http.Request.Headers[VendorHeader].ToString() is { Length: > 0 } named
            && vendors.FirstOrDefault(v => string.Equals(v.Vendor.PathSegment(), named, StringComparison.OrdinalIgnoreCase)) is { } chosen)
        {
            return new(chosen, chosen.Edge.FindByCustomDomain(host), false);
        }

        var matches = vendors
            .Select(vendor => (vendor, site: vendor.Edge.FindByCustomDomain(host)))
            .Where(match => match.site is not null)
            .ToList();
        if (matches.Count > 1 && http.Request.Headers[VendorHeader].ToString() is { Length: > 0 } wanted)
        {
            matches = matches.Where(m => string.Equals(m.vendor.Vendor.PathSegment(), wanted, StringComparison.OrdinalIgnoreCase)).ToList();
        }

        return matches.Count switch
        {
            0 => null,
            1 => new(matches[0].vendor, matches[0].site, false),
            _ => new(null, null, true),
        };
    }

    private async Task ServeAsync(HttpContext http, VendorSimulator vendor, EdgeSite? site, string host)
    {
        var edge = vendor.Edge;
        var decision = vendor.Faults.NextEdgeRequest(context.Options.EdgeLatency.TryGetValue(vendor.Vendor, out var baseline) ? baseline : null);
        if (decision.Delay > TimeSpan.Zero)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            // A timer can fire up to a tick early; wait again for what is left, so the added latency is never less than asked.
            for (var left = decision.Delay; left > TimeSpan.Zero; left = decision.Delay - System.Diagnostics.Stopwatch.GetElapsedTime(started))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds)), http.RequestAborted);
            }

            // What was really added (a timer wakes late under load), for tests that check a client's timing against it.
            vendor.Faults.LastEdgeDelay = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        }

        if (decision.Action == FaultAction.Outage)
        {
            await WriteErrorAsync(http, edge, EdgeError.Outage, host);
            return;
        }

        if (await edge.TryHandleSpecialAsync(http, host))
        {
            return;
        }

        if (site is null || !site.Enabled)
        {
            await WriteErrorAsync(http, edge, site is null ? EdgeError.UnknownHost : EdgeError.Disabled, host);
            return;
        }

        var request = http.Request;
        var path = request.Path.Value is { Length: > 0 } p ? p : "/";
        var query = request.QueryString.Value ?? "";
        var route = site.Route(path);
        var cacheable = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);
        var key = EdgeCache.KeyFor(host, path, query, route.KeyIncludesQuery);
        var now = context.Now;
        var cached = cacheable ? vendor.EdgeCache.Find(key) : null;

        if (cached is not null && cached.IsFresh(now))
        {
            var hits = cached.CountHit();
            await WriteCachedAsync(http, edge, cached, new EdgeOutcome(true, now - cached.StoredAt, hits, false));
            return;
        }

        var fetched = await FetchAsync(http, route, host, path + query, cacheable);
        if (fetched is null || fetched.Status >= 500)
        {
            if (cached is not null)
            {
                // Serve stale on origin error, as all four vendors can be set to.
                await WriteCachedAsync(http, edge, cached, new EdgeOutcome(true, now - cached.StoredAt, cached.CountHit(), true));
                return;
            }

            if (fetched is null)
            {
                await WriteErrorAsync(http, edge, EdgeError.OriginUnreachable, host);
                return;
            }
        }

        var ttl = cacheable && CacheableStatuses.Contains(fetched.Status) ? route.Ttl(fetched.Directives) : null;
        var headers = fetched.Headers.Where(h => !edge.ConsumedOriginHeaders.Contains(h.Key, StringComparer.OrdinalIgnoreCase)).ToList();
        if (ttl is { } lifetime && lifetime > TimeSpan.Zero)
        {
            vendor.EdgeCache.Store(new CachedObject(
                key, site.SiteId, host, path, query, fetched.Status, headers, fetched.Body, now, lifetime, fetched.Tags));
        }

        await WriteAsync(http, edge, fetched.Status, headers, fetched.Body, new EdgeOutcome(false, null, 0, false));
    }

    private async Task<OriginAnswer?> FetchAsync(HttpContext http, EdgeRoute route, string host, string pathAndQuery, bool cacheable)
    {
        if (route.Origin is null || ResolveOrigin(route.Origin) is not { } originBase)
        {
            return null;
        }

        var request = http.Request;
        // HEAD is fetched as GET so the object can be cached for later GETs, as CDNs do.
        var method = HttpMethods.IsHead(request.Method) ? HttpMethod.Get : new HttpMethod(request.Method);
        using var message = new HttpRequestMessage(method, new Uri(originBase, route.OriginPathPrefix.TrimEnd('/') + pathAndQuery));
        if (!cacheable && (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0))
        {
            message.Content = new StreamContent(request.Body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name) || name.Equals(VendorHeader, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, values.ToArray()))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        message.Headers.Host = route.OriginHostHeader ?? host;
        message.Headers.TryAddWithoutValidation("X-Forwarded-For", http.Connection.RemoteIpAddress?.ToString());

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            using var response = await origins.SendAsync(message, timeout.Token);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            var headers = response.Headers.Concat(response.Content.Headers)
                .Where(h => !HopByHop.Contains(h.Key))
                .Select(h => KeyValuePair.Create(h.Key, h.Value.ToArray()))
                .ToList();
            return new OriginAnswer((int)response.StatusCode, headers, body, OriginCacheDirectives.From(response), TagsOf(response));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Loopback origins as configured, or an override; nothing else (the simulator stays on this machine).</summary>
    private Uri? ResolveOrigin(OriginTarget origin)
    {
        if (context.Options.OriginOverrides.TryGetValue(origin.Host, out var overridden))
        {
            return overridden;
        }

        var isLoopback = origin.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || IPAddress.TryParse(origin.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
        if (!isLoopback)
        {
            return null;
        }

        var hostPart = origin.Host.Contains(':') && !origin.Host.StartsWith('[') ? $"[{origin.Host}]" : origin.Host;
        return new Uri($"{(origin.Tls ? "https" : "http")}://{hostPart}:{origin.Port.ToString(CultureInfo.InvariantCulture)}/");
    }

    private static IReadOnlyList<string> TagsOf(HttpResponseMessage response)
    {
        var tags = new List<string>();
        if (response.Headers.TryGetValues("Surrogate-Key", out var keys))
        {
            tags.AddRange(keys.SelectMany(k => k.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        }

        if (response.Headers.TryGetValues("Edge-Cache-Tag", out var cacheTags))
        {
            tags.AddRange(cacheTags.SelectMany(k => k.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        }

        return tags;
    }

    private static Task WriteCachedAsync(HttpContext http, EdgeBehavior edge, CachedObject cached, EdgeOutcome outcome) =>
        WriteAsync(http, edge, cached.Status, cached.Headers, cached.Body, outcome);

    private static async Task WriteAsync(
        HttpContext http, EdgeBehavior edge, int status, IReadOnlyList<KeyValuePair<string, string[]>> headers, byte[] body, EdgeOutcome outcome)
    {
        var response = http.Response;
        response.StatusCode = status;
        foreach (var (name, values) in headers)
        {
            response.Headers.Append(name, values);
        }

        if (outcome.Age is { } age)
        {
            response.Headers.Age = ((long)Math.Max(0, age.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        edge.AddHeaders(http, outcome);
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await response.Body.WriteAsync(body, http.RequestAborted);
        }
    }

    private static async Task WriteErrorAsync(HttpContext http, EdgeBehavior edge, EdgeError error, string host)
    {
        var page = edge.ErrorPage(error, host);
        var bytes = Encoding.UTF8.GetBytes(page.Body);
        http.Response.StatusCode = page.Status;
        http.Response.ContentType = page.ContentType;
        edge.AddHeaders(http, new EdgeOutcome(false, null, 0, false, Error: true));
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
    }

    private sealed record RoutedRequest(VendorSimulator? Vendor, EdgeSite? Site, bool Ambiguous);

    private sealed record OriginAnswer(
        int Status, IReadOnlyList<KeyValuePair<string, string[]>> Headers, byte[] Body, OriginCacheDirectives Directives, IReadOnlyList<string> Tags);
}
