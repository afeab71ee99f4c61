using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using DnsClient;
using Microsoft.Extensions.Options;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>One probe to make: the provider's edge host (its access URL), and the service's domain as Host.</summary>
/// <param name="Provider">The provider account's name (matched by connect-to rules).</param>
/// <param name="EdgeHost">The host the provider gave the domain (a name or an address).</param>
/// <param name="Https">Whether the domain is served over TLS (the handshake is then timed, with the domain as SNI).</param>
public sealed record ProbeTarget(string Provider, string EdgeHost, bool Https, string Domain, string Path)
{
    /// <summary>The edge's port when its access URL names one (a cache node's <c>http://127.0.0.1:8080</c>); null: 80 or
    /// 443 by <see cref="EdgeTls"/>.</summary>
    public int? EdgePort { get; init; }

    /// <summary>Whether the edge speaks TLS, when its access URL says so by its scheme; null: as the domain
    /// (<see cref="Https"/>).</summary>
    public bool? EdgeTls { get; init; }
}

/// <summary>What one probe measured; times in milliseconds from its start.</summary>
public sealed record ProbeMeasurement(
    DateTimeOffset StartedAt, ProbeOutcome Outcome, double? DnsMs, double? ConnectMs, double? TlsMs, double? FirstByteMs, double? TotalMs,
    int? Status, long? Bytes, string? CacheStatus, string? Error);

/// <summary>
/// Requests a probe object from an edge on a new connection and times each phase: name resolution (DnsClient, where the
/// edge is a name), TCP connect, TLS handshake (done here on an <see cref="SslStream"/>, so it is timed on its own),
/// first byte (response headers) and last byte. At most <see cref="BenchmarkOptions.MaxConcurrentProbes"/> probes run
/// at once in the process; the rest wait their turn. Timestamps come from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class EdgeProber
{
    private readonly BenchmarkOptions options;
    private readonly TimeProvider clock;
    private readonly ILookupClient dns;
    private readonly SemaphoreSlim slots;
    private int inFlight;
    private int mostInFlight;

    public EdgeProber(IOptions<BenchmarkOptions> options, TimeProvider clock)
    {
        this.options = options.Value;
        this.clock = clock;
        slots = new SemaphoreSlim(this.options.MaxConcurrentProbes, this.options.MaxConcurrentProbes);
        var servers = this.options.NameServers.Select(ParseNameServer).ToArray();
        var lookup = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        lookup.UseCache = true;
        lookup.Timeout = this.options.ProbeTimeout;
        lookup.Retries = 0;
        dns = new LookupClient(lookup);
    }

    private EdgeConnectTo[] addedRules = [];

    /// <summary>
    /// A connect-to rule known only at run time (the Development simulators' port), tried after the configured ones.
    /// </summary>
    public void AddConnectTo(EdgeConnectTo rule)
    {
        if (rule.AddressUri is null)
        {
            throw new ArgumentException($"'{rule.Address}' is not an absolute http(s) URL.", nameof(rule));
        }
        EdgeConnectTo[] before, after;
        do
        {
            before = Volatile.Read(ref addedRules);
            after = [.. before, rule];
        }
        while (Interlocked.CompareExchange(ref addedRules, after, before) != before);
    }

    /// <summary>The most probes this process had in flight at once since it started (what the bound is checked against).</summary>
    public int MostInFlight => Volatile.Read(ref mostInFlight);

    public async Task<ProbeMeasurement> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken);
        var now = Interlocked.Increment(ref inFlight);
        for (var seen = Volatile.Read(ref mostInFlight); now > seen; seen = Volatile.Read(ref mostInFlight))
        {
            if (Interlocked.CompareExchange(ref mostInFlight, now, seen) == seen)
            {
                break;
            }
        }
        try
        {
            return await MeasureAsync(target, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
            slots.Release();
        }
    }

    private async Task<ProbeMeasurement> MeasureAsync(ProbeTarget target, CancellationToken cancellationToken)
    {
        var rule = options.ConnectTo.Concat(Volatile.Read(ref addedRules)).FirstOrDefault(c => c.Matches(target.Provider, target.EdgeHost));
        var connectTo = rule?.AddressUri;
        var host = connectTo?.Host ?? target.EdgeHost;
        var tls = connectTo is not null ? connectTo.Scheme == Uri.UriSchemeHttps : target.EdgeTls ?? target.Https;
        var port = connectTo?.Port ?? target.EdgePort ?? (tls ? 443 : 80);
        var timing = new Timing();

        // A handler per probe: every probe measures a new connection, and no pooled connection of one edge can carry
        // another edge's request (a pool is keyed by the request's host, which is the service's domain for all of them).
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = (_, token) => ConnectAsync(host, port, tls, target.Domain, timing, token),
        };
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        // TLS, when wanted, is done in ConnectCallback; the handler then speaks plain HTTP over that stream.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{target.Domain}{target.Path}"));
        request.Headers.Host = target.Domain;
        request.Headers.ConnectionClose = true;
        request.Headers.UserAgent.ParseAdd("PoppyPortal-Probe/1.0");
        // Akamai tells its cache status (X-Cache) only to requests that ask for it; other vendors ignore the pragma.
        request.Headers.Pragma.ParseAdd("akamai-x-cache-on");
        foreach (var (name, value) in rule?.Headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var timeout = new CancellationTokenSource(options.ProbeTimeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        timing.StartedAt = clock.GetUtcNow();
        timing.Start = clock.GetTimestamp();
        int? status = null;
        long bytes = 0;
        string? cache = null;
        try
        {
            using var response = await invoker.SendAsync(request, linked.Token);
            timing.FirstByte = clock.GetTimestamp();
            status = (int)response.StatusCode;
            cache = CacheStatusOf(response);
            await using (var body = await response.Content.ReadAsStreamAsync(linked.Token))
            {
                var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
                try
                {
                    int read;
                    while ((read = await body.ReadAsync(buffer, linked.Token)) > 0)
                    {
                        bytes += read;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            timing.End = clock.GetTimestamp();
            // As Route 53 health checks: only 2xx and 3xx are a served probe object.
            var failed = status >= 400;
            return Measurement(timing, failed ? ProbeOutcome.Error : ProbeOutcome.Ok, status, bytes, cache, failed ? $"HTTP {status}" : null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            timing.End = clock.GetTimestamp();
            return Measurement(timing, ProbeOutcome.Error, status, status is null ? null : bytes, cache,
                $"timed out after {options.ProbeTimeout.TotalMilliseconds:0} ms ({timing.Phase})");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or DnsResponseException or AuthenticationException)
        {
            timing.End = clock.GetTimestamp();
            return Measurement(timing, ProbeOutcome.Error, status, status is null ? null : bytes, cache, $"{timing.Phase}: {Innermost(e).Message}");
        }
    }

    private async ValueTask<Stream> ConnectAsync(string host, int port, bool tls, string domain, Timing timing, CancellationToken cancellationToken)
    {
        timing.Phase = "dns";
        IPAddress address;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            address = literal;
        }
        else
        {
            timing.DnsStart = clock.GetTimestamp();
            address = await ResolveAsync(host, cancellationToken);
            timing.DnsEnd = clock.GetTimestamp();
        }

        timing.Phase = "connect";
        timing.ConnectStart = clock.GetTimestamp();
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
            timing.ConnectEnd = clock.GetTimestamp();
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (!tls)
            {
                timing.Phase = "response";
                return stream;
            }
            timing.Phase = "tls";
            var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
            try
            {
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = domain }, cancellationToken);
            }
            catch
            {
                await ssl.DisposeAsync();
                throw;
            }
            timing.TlsEnd = clock.GetTimestamp();
            timing.Phase = "response";
            return ssl;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<IPAddress> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var answer = await dns.QueryAsync(host, QueryType.A, cancellationToken: cancellationToken);
        if (answer.Answers.ARecords().FirstOrDefault() is { } a)
        {
            return a.Address;
        }
        var v6 = await dns.QueryAsync(host, QueryType.AAAA, cancellationToken: cancellationToken);
        return v6.Answers.AaaaRecords().FirstOrDefault()?.Address
            ?? throw new HttpRequestException($"{host} has no A or AAAA record ({answer.Header.ResponseCode})");
    }

    private ProbeMeasurement Measurement(Timing t, ProbeOutcome outcome, int? status, long? bytes, string? cache, string? error) => new(
        t.StartedAt, outcome,
        Span(t.DnsStart, t.DnsEnd), Span(t.ConnectStart, t.ConnectEnd), Span(t.ConnectEnd, t.TlsEnd),
        Span(t.Start, t.FirstByte), Span(t.Start, t.End), status, bytes, cache, error is { Length: > 1000 } ? error[..1000] : error);

    private double? Span(long start, long end) => start == 0 || end == 0 ? null : Math.Round(clock.GetElapsedTime(start, end).TotalMilliseconds, 3);

    /// <summary>
    /// From <c>X-Cache</c> (Fastly "MISS, HIT": the last is the edge's own; CloudFront "Hit from cloudfront"; Akamai
    /// "TCP_HIT"), else a positive <c>Age</c> means the object came from a cache.
    /// </summary>
    internal static string? CacheStatusOf(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("X-Cache", out var values) && values.LastOrDefault()?.Split(',').Last().Trim() is { Length: > 0 } last)
        {
            if (last.Contains("HIT", StringComparison.OrdinalIgnoreCase))
            {
                return "hit";
            }
            if (last.Contains("MISS", StringComparison.OrdinalIgnoreCase))
            {
                return "miss";
            }
        }
        return response.Headers.Age is { } age ? (age > TimeSpan.Zero ? "hit" : "miss") : null;
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner && e is HttpRequestException ? Innermost(inner) : e;

    private static NameServer ParseNameServer(string text) =>
        IPEndPoint.TryParse(text, out var endpoint)
            ? new NameServer(endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint)
            : throw new FormatException($"{BenchmarkOptions.Section}:NameServers: '{text}' is not an address or address:port");

    private sealed class Timing
    {
        public DateTimeOffset StartedAt;
        public long Start, DnsStart, DnsEnd, ConnectStart, ConnectEnd, TlsEnd, FirstByte, End;
        public string Phase = "connect";
    }
}
