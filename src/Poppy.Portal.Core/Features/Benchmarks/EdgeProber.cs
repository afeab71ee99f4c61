using System.Buffers;
using System.Collections.Concurrent;
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
/// first byte of the answer and last byte of the body (the HTTP/1.1 exchange is <see cref="ProbeHttp"/>). At most <see cref="BenchmarkOptions.MaxConcurrentProbes"/> probes run
/// at once in the process; the rest wait their turn. Timestamps come from the injected <see cref="TimeProvider"/>.
/// A plain-HTTP probe's connect, request and answer run on blocking sockets on dedicated probe threads (started as
/// probes are in flight, at most <see cref="BenchmarkOptions.MaxConcurrentProbes"/>, not thread-pool threads, so Kestrel
/// and Blazor do not wait on probes): .NET's async sockets hand every connect and read completion from the epoll thread
/// to a pool thread, which cost more CPU than the exchange (bench/probes/README.md). TLS probes stay on async sockets.
/// </summary>
public sealed class EdgeProber : IDisposable
{
    private readonly BenchmarkOptions options;
    private readonly TimeProvider clock;
    private readonly ILookupClient dns;
    private readonly SemaphoreSlim slots;
    private int inFlight;
    private int mostInFlight;

    /// <summary>
    /// Plain-HTTP exchanges waiting for a probe thread (at most one per slot, so never more than the bound). Its
    /// semaphore spins a little before a probe thread sleeps; the next exchange mostly comes within that spin: a monitor
    /// that slept at once made 30 % fewer probes per second (bench/probes).
    /// </summary>
    private readonly BlockingCollection<BlockingExchange> exchanges = new();
    private readonly List<Thread> probeThreads = [];
    private readonly CancellationTokenSource disposing = new();

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
        // Checked at start (BenchmarkOptions.Check); a rule whose address is no URL never matches.
        configuredRules = [.. this.options.ConnectTo.Where(c => c.AddressUri is not null).Select(c => (c, c.AddressUri!))];
    }

    private readonly (EdgeConnectTo Rule, Uri Uri)[] configuredRules;
    private (EdgeConnectTo Rule, Uri Uri)[] addedRules = [];

    /// <summary>
    /// A connect-to rule known only at run time (the Development simulators' port), tried after the configured ones.
    /// </summary>
    public void AddConnectTo(EdgeConnectTo rule)
    {
        var uri = rule.AddressUri ?? throw new ArgumentException($"'{rule.Address}' is not an absolute http(s) URL.", nameof(rule));
        (EdgeConnectTo, Uri)[] before, after;
        do
        {
            before = Volatile.Read(ref addedRules);
            after = [.. before, (rule, uri)];
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
        var rule = RuleFor(target);
        var connectTo = rule?.Uri;
        var host = connectTo?.Host ?? target.EdgeHost;
        var tls = connectTo is not null ? connectTo.Scheme == Uri.UriSchemeHttps : target.EdgeTls ?? target.Https;
        var port = connectTo?.Port ?? target.EdgePort ?? (tls ? 443 : 80);
        var timing = new Timing();

        // One timer per probe (the injected clock's); the caller's token cancels it too, and which of the two fired is
        // told by the caller's token.
        using var timeout = new CancellationTokenSource(options.ProbeTimeout, clock);
        using var caller = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout);
        timing.StartedAt = clock.GetUtcNow();
        timing.Start = clock.GetTimestamp();
        var response = new ProbeResponse();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        Stream? stream = null;
        try
        {
            // A new connection per probe, opened and timed here (DNS, connect, TLS); then one HTTP/1.1 exchange on it.
            timing.Phase = "request";
            var request = ProbeHttp.Request(target.Domain, target.Path, rule?.Rule.Headers);
            var address = await ResolveAsync(host, timing, timeout.Token);
            if (tls)
            {
                stream = await ConnectTlsAsync(address, port, target.Domain, timing, timeout.Token);
                await stream.WriteAsync(request, timeout.Token);
                await ProbeHttp.ReadAsync(stream, buffer, () => timing.FirstByte = clock.GetTimestamp(), response, timeout.Token);
            }
            else
            {
                timing.HandOff = clock.GetTimestamp();
                await OnProbeThreadAsync(new BlockingExchange(this, new IPEndPoint(address, port), request, buffer, timing, response, timeout));
            }
            if (timing.End == 0)
            {
                timing.End = clock.GetTimestamp();
            }
            // As Route 53 health checks: only 2xx and 3xx are a served probe object.
            var failed = response.Status >= 400;
            return Measurement(timing, failed ? ProbeOutcome.Error : ProbeOutcome.Ok, response, failed ? $"HTTP {response.Status}" : null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            timing.End = clock.GetTimestamp();
            return Measurement(timing, ProbeOutcome.Error, response,
                $"timed out after {options.ProbeTimeout.TotalMilliseconds:0} ms ({timing.Phase})");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or DnsResponseException or AuthenticationException or ArgumentException)
        {
            timing.End = clock.GetTimestamp();
            return Measurement(timing, ProbeOutcome.Error, response, $"{timing.Phase}: {Innermost(e).Message}");
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The first connect-to rule for the target (configured ones, then added ones), with its parsed address.</summary>
    private (EdgeConnectTo Rule, Uri Uri)? RuleFor(ProbeTarget target)
    {
        foreach (var rule in configuredRules)
        {
            if (rule.Rule.Matches(target.Provider, target.EdgeHost))
            {
                return rule;
            }
        }
        foreach (var rule in Volatile.Read(ref addedRules))
        {
            if (rule.Rule.Matches(target.Provider, target.EdgeHost))
            {
                return rule;
            }
        }
        return null;
    }

    /// <summary>
    /// The edge's address. Name resolution stays async here, before the exchange goes to a probe thread: DnsClient's
    /// lookups honour the probe's token (the timeout and the caller's), its cache answers most of them at once, and a
    /// probe thread waiting on a name server would hold a slot's thread for nothing.
    /// </summary>
    private async ValueTask<IPAddress> ResolveAsync(string host, Timing timing, CancellationToken cancellationToken)
    {
        timing.Phase = "dns";
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return literal;
        }
        timing.DnsStart = clock.GetTimestamp();
        var address = await ResolveAsync(host, cancellationToken);
        timing.DnsEnd = clock.GetTimestamp();
        return address;
    }

    private async ValueTask<Stream> ConnectTlsAsync(IPAddress address, int port, string domain, Timing timing, CancellationToken cancellationToken)
    {
        timing.Phase = "connect";
        timing.ConnectStart = clock.GetTimestamp();
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken);
            timing.ConnectEnd = clock.GetTimestamp();
            Stream stream = new NetworkStream(socket, ownsSocket: true);
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

    /// <summary>
    /// Hands the exchange to a probe thread and waits for it. A thread is started when the probes in flight outnumber the
    /// threads (so one is free for every slot and an exchange never waits behind another probe), up to the bound.
    /// </summary>
    private Task OnProbeThreadAsync(BlockingExchange exchange)
    {
        lock (probeThreads)
        {
            ObjectDisposedException.ThrowIf(disposing.IsCancellationRequested, this);
            if (probeThreads.Count < Math.Min(Volatile.Read(ref inFlight), options.MaxConcurrentProbes))
            {
                var thread = new Thread(RunProbeThread, maxStackSize: 256 * 1024)
                {
                    IsBackground = true, Name = $"Poppy probe {probeThreads.Count + 1}",
                };
                thread.Start();
                probeThreads.Add(thread);
            }
            exchanges.Add(exchange);
        }
        return exchange.Done.Task;
    }

    private void RunProbeThread()
    {
        foreach (var exchange in exchanges.GetConsumingEnumerable())
        {
            exchange.Run();
        }
    }

    /// <summary>Stops the probe threads: probes in flight end at once (their sockets are closed), then the threads exit.</summary>
    public void Dispose()
    {
        lock (probeThreads)
        {
            if (disposing.IsCancellationRequested)
            {
                return;
            }
            disposing.Cancel();
            exchanges.CompleteAdding();
        }
        foreach (var thread in probeThreads)
        {
            thread.Join();
        }
        // The slots and the disposal token stay: a probe still awaiting a slot gets ObjectDisposedException from here.
        exchanges.Dispose();
    }

    /// <summary>
    /// One plain-HTTP exchange on a blocking socket, run on a probe thread: connect, request, answer, each timed as on the
    /// async path. The probe's timeout (the injected clock's timer, which the caller's token also cancels) and the
    /// prober's disposal close the socket, which ends a blocked connect or read; the socket's own send and receive
    /// timeouts, a second past the probe's, are only a backstop.
    /// </summary>
    private sealed class BlockingExchange(
        EdgeProber prober, IPEndPoint edge, byte[] request, byte[] buffer, Timing timing, ProbeResponse response, CancellationTokenSource timeout)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Run()
        {
            var clock = prober.clock;
            Exception? failure = null;
            var socket = new Socket(edge.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var backstop = (int)Math.Min(int.MaxValue, prober.options.ProbeTimeout.TotalMilliseconds + 1000);
            socket.SendTimeout = backstop;
            socket.ReceiveTimeout = backstop;
            var closeOnTimeout = timeout.Token.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket);
            var closeOnDispose = prober.disposing.Token.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket);
            try
            {
                timing.Phase = "connect";
                timing.ConnectStart = clock.GetTimestamp();
                socket.Connect(edge);
                timing.ConnectEnd = clock.GetTimestamp();
                timing.Phase = "response";
                for (var sent = 0; sent < request.Length;)
                {
                    sent += socket.Send(request, sent, request.Length - sent, SocketFlags.None);
                }
                // The socket blocks, so every read of ProbeHttp completes at once: this runs to its end here.
                var read = ProbeHttp.ReadAsync(new BlockingSocketStream(socket), buffer, () => timing.FirstByte = clock.GetTimestamp(), response, timeout.Token);
                read.GetAwaiter().GetResult();
                // Stamped here, not where the caller resumes: the hop back to the thread pool is the engine's time.
                timing.End = clock.GetTimestamp();
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                closeOnTimeout.Dispose();
                closeOnDispose.Dispose();
                socket.Dispose();
            }

            if (failure is null)
            {
                Done.TrySetResult();
            }
            else if (prober.disposing.IsCancellationRequested)
            {
                Done.TrySetException(new ObjectDisposedException(nameof(EdgeProber)));
            }
            else if (timeout.IsCancellationRequested)
            {
                // The timer (or the caller's token) closed the socket under the blocked call: told apart by the caller.
                Done.TrySetException(new OperationCanceledException(timeout.Token));
            }
            else if (failure is SocketException { SocketErrorCode: SocketError.TimedOut })
            {
                timeout.Cancel(); // the backstop: reported as the probe's timeout
                Done.TrySetException(new OperationCanceledException(timeout.Token));
            }
            else
            {
                Done.TrySetException(failure);
            }
        }
    }

    /// <summary>A blocking socket as the stream <see cref="ProbeHttp"/> reads: its async reads complete before they return.</summary>
    private sealed class BlockingSocketStream(Socket socket) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => socket.Receive(buffer, offset, count, SocketFlags.None);
        public override int Read(Span<byte> buffer) => socket.Receive(buffer, SocketFlags.None);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(socket.Receive(buffer.Span, SocketFlags.None));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(socket.Receive(buffer, offset, count, SocketFlags.None));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
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

    private ProbeMeasurement Measurement(Timing t, ProbeOutcome outcome, ProbeResponse r, string? error) => new(
        t.StartedAt, outcome,
        Span(t.DnsStart, t.DnsEnd), Span(t.ConnectStart, t.ConnectEnd), Span(t.ConnectEnd, t.TlsEnd),
        SinceStart(t, t.FirstByte), SinceStart(t, t.End), r.Status, r.Status is null ? null : r.Bytes, r.CacheStatus, error is { Length: > 1000 } ? error[..1000] : error);

    private double? Span(long start, long end) => start == 0 || end == 0 ? null : Math.Round(clock.GetElapsedTime(start, end).TotalMilliseconds, 3);

    /// <summary>
    /// From the probe's start to <paramref name="end"/>, less the time the exchange waited for a probe thread to take it:
    /// that wait is the engine's (a thread waking on a loaded machine), not the edge's.
    /// </summary>
    private double? SinceStart(Timing t, long end)
    {
        if (end == 0)
        {
            return null;
        }
        var threadWait = t.HandOff != 0 && t.ConnectStart != 0 ? clock.GetElapsedTime(t.HandOff, t.ConnectStart) : TimeSpan.Zero;
        return Math.Round((clock.GetElapsedTime(t.Start, end) - threadWait).TotalMilliseconds, 3);
    }

    /// <summary>
    /// From <c>X-Cache</c> (Fastly "MISS, HIT": the last is the edge's own; CloudFront "Hit from cloudfront"; Akamai
    /// "TCP_HIT"), else a positive <c>Age</c> means the object came from a cache.
    /// </summary>
    internal static string? CacheStatusOf(string? xCache, string? age)
    {
        if (xCache?.Split(',').Last().Trim() is { Length: > 0 } last)
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
        return long.TryParse(age, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? (seconds > 0 ? "hit" : "miss")
            : null;
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner && e is HttpRequestException ? Innermost(inner) : e;

    private static NameServer ParseNameServer(string text) =>
        IPEndPoint.TryParse(text, out var endpoint)
            ? new NameServer(endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint)
            : throw new FormatException($"{BenchmarkOptions.Section}:NameServers: '{text}' is not an address or address:port");

    private sealed class Timing
    {
        public DateTimeOffset StartedAt;
        public long Start, DnsStart, DnsEnd, HandOff, ConnectStart, ConnectEnd, TlsEnd, FirstByte, End;
        public string Phase = "connect";
    }
}
