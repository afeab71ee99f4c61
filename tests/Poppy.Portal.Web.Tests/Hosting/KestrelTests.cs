using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Tests.Hosting;

/// <summary>The portal on a real Kestrel listener on 127.0.0.1 (TestServer never runs Kestrel's own parsing).</summary>
public sealed class KestrelPortal : IAsyncLifetime
{
    public PortalFactory Portal { get; } = new();

    public int Port { get; private set; }

    public Task InitializeAsync()
    {
        Portal.Settings["AllowedHosts"] = "localhost;127.0.0.1";
        Portal.UseKestrel(0);
        Portal.StartServer();
        var address = Portal.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Portal.DisposeAsync();

    /// <summary>Writes <paramref name="request"/> to a new connection and reads everything until the server closes it.</summary>
    public async Task<string> SendRawAsync(string request, bool closeAfterSending = false)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        if (closeAfterSending)
        {
            tcp.Client.Shutdown(SocketShutdown.Send);
        }
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, timeout.Token);
        return Encoding.ASCII.GetString(received.ToArray());
    }
}

/// <summary>Issue 10, item 10: Kestrel's own refusals get a ProblemDetails body, and no Server header is sent.</summary>
public sealed class KestrelTests(KestrelPortal kestrel) : IClassFixture<KestrelPortal>
{
    [Fact]
    public async Task A_request_line_longer_than_kestrel_accepts_gets_414_with_problem_details()
    {
        var response = Parse(await kestrel.SendRawAsync($"GET /{new string('a', 9000)} HTTP/1.1\r\nHost: localhost\r\n\r\n"));

        AssertProblem(response, 414);
    }

    [Fact]
    public async Task Headers_larger_than_kestrel_accepts_get_431_with_problem_details()
    {
        var response = Parse(await kestrel.SendRawAsync($"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: {new string('b', 40_000)}\r\n\r\n"));

        AssertProblem(response, 431);
    }

    [Fact]
    public async Task A_request_line_kestrel_cannot_parse_gets_400_with_problem_details()
    {
        var response = Parse(await kestrel.SendRawAsync("GET /healthz HTTP/1.1 trailing-garbage\r\nHost: localhost\r\n\r\n"));

        AssertProblem(response, 400);
    }

    [Fact]
    public async Task Responses_before_a_refused_request_on_the_same_connection_pass_unchanged()
    {
        const string healthz = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
        const string anonymous = "GET /v1.0/services HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n";

        var raw = await kestrel.SendRawAsync(healthz + anonymous + "NOT-HTTP\r\n\r\n");

        var responses = SplitResponses(raw);
        Assert.Equal(3, responses.Count);
        Assert.Equal(200, responses[0].Status);
        Assert.Equal("Healthy", responses[0].Body);
        // The portal's own JSON error (written by System.Text.Json straight into the response), as it wrote it.
        Assert.Equal(401, responses[1].Status);
        Assert.Contains("Authentication required", responses[1].Body);
        AssertProblem(responses[2], 400);
    }

    [Fact]
    public async Task No_response_names_the_server()
    {
        var normal = Parse(await kestrel.SendRawAsync("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        var refused = Parse(await kestrel.SendRawAsync($"GET /{new string('a', 9000)} HTTP/1.1\r\nHost: localhost\r\n\r\n"));

        Assert.Equal(200, normal.Status);
        Assert.DoesNotContain("Server", normal.Headers.Keys, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain("Server", refused.Headers.Keys, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void Only_the_exact_shape_of_a_kestrel_refusal_is_rewritten()
    {
        var kestrelRefusal = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\nDate: Thu, 03 Dec 2026 10:00:00 GMT\r\n\r\n"u8;
        var appResponse = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\nDate: Thu, 03 Dec 2026 10:00:00 GMT\r\nX-Frame-Options: DENY\r\n\r\n"u8;
        var withBody = "HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"u8;
        var keptAlive = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nDate: Thu, 03 Dec 2026 10:00:00 GMT\r\n\r\n"u8;

        Assert.NotNull(KestrelRejections.TryRewrite(kestrelRefusal));
        Assert.Null(KestrelRejections.TryRewrite(appResponse));
        Assert.Null(KestrelRejections.TryRewrite(withBody));
        Assert.Null(KestrelRejections.TryRewrite(keptAlive));
    }

    [Fact]
    public async Task The_writer_holds_no_buffer_between_flushes()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0)); // the flush does not wait for a reader
        var writer = new KestrelRejections.RejectionBodyWriter(pipe.Writer);
        var body = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();

        for (var offset = 0; offset < body.Length; offset += 7_000)
        {
            var length = Math.Min(7_000, body.Length - offset);
            body.AsMemory(offset, length).CopyTo(writer.GetMemory(length));
            writer.Advance(length);
        }
        Assert.True(writer.BufferedCapacity >= body.Length);
        await writer.FlushAsync();

        Assert.Equal(0, writer.BufferedCapacity);
        Assert.Equal(body, await ReadAsync(pipe.Reader, body.Length));
    }

    [Fact]
    public async Task After_switching_protocols_the_writer_passes_bytes_through_unread()
    {
        var refusalShaped = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray();
        var switching = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"u8.ToArray();
        var pipe = new Pipe();
        var writer = new KestrelRejections.RejectionBodyWriter(pipe.Writer);

        await writer.WriteAsync(switching);
        var frame = writer.GetMemory(refusalShaped.Length);
        refusalShaped.CopyTo(frame);
        writer.Advance(refusalShaped.Length);

        // Written straight into the transport's own buffer: pending there, none rented here.
        Assert.Equal(0, writer.BufferedCapacity);
        Assert.Equal(refusalShaped.Length, pipe.Writer.UnflushedBytes);
        await writer.FlushAsync();
        byte[] both = [.. switching, .. refusalShaped];
        Assert.Equal(both, await ReadAsync(pipe.Reader, both.Length));

        // The same bytes on a connection that did not switch are Kestrel's refusal, and get a body.
        var plain = new Pipe();
        await new KestrelRejections.RejectionBodyWriter(plain.Writer).WriteAsync(refusalShaped);
        plain.Writer.Complete();
        var rewritten = Encoding.ASCII.GetString((await plain.Reader.ReadAsync()).Buffer.ToArray());
        Assert.Contains("application/problem+json", rewritten);
    }

    private static async Task<byte[]> ReadAsync(PipeReader reader, int length)
    {
        while (true)
        {
            var result = await reader.ReadAsync();
            if (result.Buffer.Length >= length || result.IsCompleted)
            {
                var bytes = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return bytes;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static void AssertProblem(RawResponse response, int status)
    {
        Assert.Equal(status, response.Status);
        Assert.StartsWith("application/problem+json", response.Headers["Content-Type"]);
        Assert.Equal(Encoding.UTF8.GetByteCount(response.Body).ToString(), response.Headers["Content-Length"]);
        using var problem = JsonDocument.Parse(response.Body);
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
    }

    private sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body);

    private static RawResponse Parse(string raw) => Assert.Single(SplitResponses(raw));

    /// <summary>Splits what the server sent into responses (bodies by Content-Length or chunked).</summary>
    private static List<RawResponse> SplitResponses(string raw)
    {
        var responses = new List<RawResponse>();
        var position = 0;
        while (position < raw.Length)
        {
            var headerEnd = raw.IndexOf("\r\n\r\n", position, StringComparison.Ordinal);
            Assert.True(headerEnd > 0, $"no header end in: {raw[position..]}");
            var lines = raw[position..headerEnd].Split("\r\n");
            var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
            position = headerEnd + 4;
            var body = new StringBuilder();
            if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding == "chunked")
            {
                while (true)
                {
                    var sizeEnd = raw.IndexOf("\r\n", position, StringComparison.Ordinal);
                    var size = Convert.ToInt32(raw[position..sizeEnd], 16);
                    position = sizeEnd + 2;
                    body.Append(raw, position, size);
                    position += size + 2;
                    if (size == 0)
                    {
                        break;
                    }
                }
            }
            else
            {
                Assert.True(headers.TryGetValue("Content-Length", out var length), $"no body length in: {raw[..headerEnd]}");
                body.Append(raw, position, int.Parse(length));
                position += int.Parse(length);
            }
            responses.Add(new RawResponse(int.Parse(lines[0].Split(' ')[1]), headers, body.ToString()));
        }
        return responses;
    }
}
