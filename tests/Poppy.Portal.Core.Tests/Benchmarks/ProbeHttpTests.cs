using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Features.Benchmarks;

namespace Poppy.Portal.Core.Tests.Benchmarks;

/// <summary>
/// The probe's own HTTP/1.1 exchange (<see cref="ProbeHttp"/> through <see cref="EdgeProber"/>) against a raw loopback
/// server that answers each path with bytes written by hand: every way a body may be framed, interim answers, errors,
/// and what a broken edge sends.
/// </summary>
public sealed class ProbeHttpTests : IAsyncLifetime
{
    private const string Domain = "www.probe-http.example";
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly List<string> requests = [];
    private Task? serving;

    private static readonly Dictionary<string, string> Answers = new()
    {
        ["/length"] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Cache: MISS, HIT\r\nAge: 12\r\n\r\nhello",
        ["/chunked"] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Cache: TCP_MISS\r\n\r\n4;ext=1\r\nabcd\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
        ["/close"] = "HTTP/1.0 200 OK\r\nAge: 0\r\n\r\n" + new string('x', 40_000),
        ["/continue"] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ["/empty"] = "HTTP/1.1 204 No Content\r\n\r\n",
        ["/unavailable"] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown",
        ["/short"] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this",
        ["/garbage"] = "SSH-2.0-OpenSSH_9.2\r\n",
        ["/nothing"] = "",
    };

    public Task InitializeAsync()
    {
        listener.Start();
        serving = ServeAsync();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await serving!;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        stop.Dispose();
    }

    [Theory]
    [InlineData("/length", 200, 5, "hit")]
    [InlineData("/chunked", 200, 14, "miss")]
    [InlineData("/close", 200, 40_000, "miss")]
    [InlineData("/continue", 200, 2, null)]
    [InlineData("/empty", 204, 0, null)]
    public async Task A_served_answer_gives_its_status_body_length_and_cache_status(string path, int status, long bytes, string? cache)
    {
        var m = await Prober().ProbeAsync(Target(path), default);

        Assert.True(m.Outcome == ProbeOutcome.Ok, m.Error);
        Assert.Equal((status, bytes, cache), (m.Status, m.Bytes, m.CacheStatus));
        Assert.True(m.ConnectMs >= 0 && m.FirstByteMs >= m.ConnectMs && m.TotalMs >= m.FirstByteMs, $"{m.ConnectMs} {m.FirstByteMs} {m.TotalMs}");
        Assert.Null(m.DnsMs); // an address: nothing resolved
        Assert.Null(m.TlsMs);
        var request = requests.Last(r => r.StartsWith($"GET {path} ", StringComparison.Ordinal));
        Assert.Equal(
            $"GET {path} HTTP/1.1\r\nHost: {Domain}\r\nUser-Agent: PoppyPortal-Probe/1.0\r\nPragma: akamai-x-cache-on\r\nConnection: close\r\nX-Simulator-Edge: fastly\r\n\r\n",
            request);
    }

    [Theory]
    [InlineData("/unavailable", 503, "HTTP 503")]
    [InlineData("/short", 200, "response: The edge closed the connection after 9 of 100 body bytes.")]
    [InlineData("/garbage", null, "response: The edge's answer is not HTTP/1.x: 'SSH-2.0-OpenSSH_9.2'.")]
    [InlineData("/nothing", null, "response: The edge closed the connection without an answer.")]
    public async Task A_failed_or_broken_answer_is_an_error_sample_that_says_what_went_wrong(string path, int? status, string error)
    {
        var m = await Prober().ProbeAsync(Target(path), default);

        Assert.Equal((ProbeOutcome.Error, status, error), (m.Outcome, m.Status, m.Error));
        Assert.NotNull(m.TotalMs);
    }

    [Fact]
    public async Task A_path_with_spaces_or_non_ascii_is_sent_escaped()
    {
        await Prober().ProbeAsync(Target("/a b/é"), default);

        Assert.Contains(requests, r => r.StartsWith("GET /a%20b/%C3%A9 HTTP/1.1\r\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_connect_to_header_no_request_can_carry_is_an_error_sample_before_any_connection()
    {
        var options = new BenchmarkOptions { ProbeTimeout = TimeSpan.FromSeconds(5) };
        options.ConnectTo.Add(new EdgeConnectTo
        {
            Provider = "fastly", Address = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}", Headers = { ["X-Bad"] = "a\r\nInjected: 1" },
        });
        var before = requests.Count;

        var m = await new EdgeProber(Options.Create(options), TimeProvider.System).ProbeAsync(Target("/length"), default);

        Assert.Equal((ProbeOutcome.Error, "request: The probe header 'X-Bad' has a character a request header cannot carry. (Parameter 'headers')"), (m.Outcome, m.Error));
        Assert.Null(m.ConnectMs);
        Assert.Equal(before, requests.Count);
    }

    [Fact]
    public async Task An_edge_that_accepts_but_never_answers_is_a_timeout_sample_in_the_response_phase()
    {
        // The kernel completes the handshake on a listening socket that nobody accepts from: the probe connects, sends,
        // and waits for an answer that never comes.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        using var prober = Prober(((IPEndPoint)silent.LocalEndpoint).Port, TimeSpan.FromMilliseconds(300));

        var m = await prober.ProbeAsync(Target("/length"), default);

        Assert.Equal((ProbeOutcome.Error, "timed out after 300 ms (response)"), (m.Outcome, m.Error));
        Assert.NotNull(m.ConnectMs);
        Assert.Null(m.FirstByteMs);
        Assert.InRange(m.TotalMs!.Value, 290, 5_000);
    }

    [Fact]
    public async Task A_connect_the_edge_never_completes_is_a_timeout_sample_in_the_connect_phase()
    {
        // A listener with a backlog of 0 that nobody accepts from: once its accept queue is full, Linux drops the next
        // SYNs, so the probe's connect blocks until the timeout closes its socket.
        using var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        full.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        full.Listen(0);
        var port = ((IPEndPoint)full.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                _ = filler.ConnectAsync(IPAddress.Loopback, port);
            }
            await Task.Delay(200);
            using var prober = Prober(port, TimeSpan.FromMilliseconds(300));

            var m = await prober.ProbeAsync(Target("/length"), default);

            Assert.Equal((ProbeOutcome.Error, "timed out after 300 ms (connect)"), (m.Outcome, m.Error));
            Assert.Null(m.ConnectMs);
            Assert.InRange(m.TotalMs!.Value, 290, 5_000);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task The_callers_token_stops_a_probe_waiting_for_its_answer()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        using var prober = Prober(((IPEndPoint)silent.LocalEndpoint).Port, TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = TimeProvider.System.GetTimestamp();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prober.ProbeAsync(Target("/length"), cancel.Token));

        Assert.InRange(TimeProvider.System.GetElapsedTime(started).TotalSeconds, 0.15, 10);
    }

    [Fact]
    public async Task Disposing_the_prober_ends_a_probe_in_flight_and_its_threads()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var prober = Prober(((IPEndPoint)silent.LocalEndpoint).Port, TimeSpan.FromSeconds(30));
        var probe = prober.ProbeAsync(Target("/length"), default);
        await Task.Delay(200);

        var disposed = Task.Run(prober.Dispose);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => probe.WaitAsync(TimeSpan.FromSeconds(10)));
        await disposed.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => prober.ProbeAsync(Target("/length"), default));
    }

    private EdgeProber Prober() => Prober(((IPEndPoint)listener.LocalEndpoint).Port, TimeSpan.FromSeconds(5));

    private static EdgeProber Prober(int port, TimeSpan timeout)
    {
        var options = new BenchmarkOptions { ProbeTimeout = timeout };
        options.ConnectTo.Add(new EdgeConnectTo
        {
            Provider = "fastly", Address = $"http://127.0.0.1:{port}", Headers = { ["X-Simulator-Edge"] = "fastly" },
        });
        return new EdgeProber(Options.Create(options), TimeProvider.System);
    }

    private static ProbeTarget Target(string path) => new("fastly", "edge.fastly.example", false, Domain, path);

    /// <summary>Reads each request's head, answers by its path, closes.</summary>
    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            using var client = await listener.AcceptTcpClientAsync(stop.Token);
            var stream = client.GetStream();
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, stop.Token);
                if (read == 0)
                {
                    break;
                }
                head.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
            var text = head.ToString();
            lock (requests)
            {
                requests.Add(text);
            }
            var path = text.Split(' ') is { Length: > 1 } parts ? parts[1] : "";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(Answers.GetValueOrDefault(path, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")), stop.Token);
            client.Client.Shutdown(SocketShutdown.Send);
        }
    }
}
