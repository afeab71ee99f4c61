using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;

namespace Poppy.Portal.Web.Hosting;

/// <summary>
/// Kestrel answers a request it cannot parse (bad request line, target too long: 414, headers too large: 431, …) itself,
/// before any middleware, with an empty body, and offers no hook for it. This connection middleware gives those answers a
/// ProblemDetails body: it buffers each flush of a plain-HTTP/1.1 connection's output and rewrites a response that has
/// exactly the shape of Kestrel's own rejection (an error status, <c>Content-Length: 0</c>, <c>Connection: close</c>,
/// nothing but Date/Server/Allow besides), which the portal's own responses never have (they carry security headers).
/// </summary>
public static class KestrelRejections
{
    public static void Configure(KestrelServerOptions kestrel)
    {
        // The Server header tells an attacker which server (and which of its bugs) to aim at; nobody else needs it.
        kestrel.AddServerHeader = false;
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection =>
        {
            var transport = connection.Transport;
            connection.Transport = new RewritingPipe(transport.Input, new RejectionBodyWriter(transport.Output));
            return next(connection);
        }));
    }

    private sealed class RewritingPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }

    /// <summary>
    /// Hands Kestrel a buffer for each flush and passes the flush on to the transport, rewritten when it is a rejection.
    /// The buffer is rented from the shared pool and returned at the flush, so an idle connection holds none (a kept
    /// buffer cost every open connection up to 64 KB: 32 KB each for a Blazor circuit's WebSocket and its page's
    /// keep-alive connections, bench/ui). After a 101 Switching Protocols the connection carries WebSocket frames, which
    /// Kestrel never refuses, so from then on writes go straight to the transport.
    /// </summary>
    internal sealed class RejectionBodyWriter(PipeWriter inner) : PipeWriter
    {
        private const int FirstBufferSize = 4096;
        private byte[] buffer = [];
        private int written;
        private bool passThrough;

        /// <summary>Bytes rented for the flush being written; none between flushes.</summary>
        internal int BufferedCapacity => buffer.Length;

        public override void Advance(int bytes)
        {
            if (passThrough)
            {
                inner.Advance(bytes);
                return;
            }
            ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, buffer.Length - written);
            written += bytes;
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) =>
            passThrough ? inner.GetMemory(sizeHint) : Reserve(sizeHint).AsMemory(written);

        public override Span<byte> GetSpan(int sizeHint = 0) =>
            passThrough ? inner.GetSpan(sizeHint) : Reserve(sizeHint).AsSpan(written);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        // Kestrel passes these through to the response's writer, and System.Text.Json relies on them.
        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => written + (inner.CanGetUnflushedBytes ? inner.UnflushedBytes : 0);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            MovePending();
            return inner.FlushAsync(cancellationToken);
        }

        public override void Complete(Exception? exception = null)
        {
            MovePending();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            MovePending();
            return inner.CompleteAsync(exception);
        }

        /// <summary>Makes room for at least <paramref name="sizeHint"/> bytes (one if zero) after what is written.</summary>
        private byte[] Reserve(int sizeHint)
        {
            var needed = written + Math.Max(sizeHint, 1);
            if (needed > buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(FirstBufferSize, buffer.Length * 2)));
                buffer.AsSpan(0, written).CopyTo(larger);
                ReturnBuffer();
                buffer = larger;
            }
            return buffer;
        }

        private void MovePending()
        {
            if (written == 0)
            {
                ReturnBuffer();
                return;
            }
            var data = buffer.AsSpan(0, written);
            inner.Write(TryRewrite(data) is { } rewritten ? rewritten : data);
            // A body that happens to begin a flush with these bytes would only cost that connection the rewriting.
            if (data.StartsWith("HTTP/1.1 101 "u8))
            {
                passThrough = true;
            }
            written = 0;
            ReturnBuffer();
        }

        private void ReturnBuffer()
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = [];
            }
        }
    }

    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;

    private static readonly HashSet<string> RejectionHeaders = new(StringComparer.OrdinalIgnoreCase) { "Content-Length", "Connection", "Date", "Server", "Allow" };

    /// <summary>The response with a ProblemDetails body when <paramref name="data"/> is exactly Kestrel's rejection, else null.</summary>
    internal static byte[]? TryRewrite(ReadOnlySpan<byte> data)
    {
        if (data.Length > 1024 || !data.StartsWith("HTTP/1.1 "u8) || data.IndexOf(HeaderEnd) is var end && end != data.Length - HeaderEnd.Length)
        {
            return null;
        }
        var lines = Encoding.ASCII.GetString(data[..end]).Split("\r\n");
        if (lines[0].Length < 12 || !int.TryParse(lines[0].AsSpan(9, 3), out var status) || status < 400 || status > 599)
        {
            return null;
        }
        var headers = new List<(string Name, string Value)>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0 || !RejectionHeaders.Contains(line[..colon]))
            {
                return null;
            }
            headers.Add((line[..colon], line[(colon + 1)..].Trim()));
        }
        if (!headers.Any(h => h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && h.Value == "0")
            || !headers.Any(h => h.Name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && h.Value.Equals("close", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["type"] = TypeOf(status),
            ["title"] = ReasonPhrases.GetReasonPhrase(status),
            ["status"] = status,
            ["detail"] = Detail(status),
        });
        var response = new StringBuilder(lines[0]).Append("\r\n");
        foreach (var (name, value) in headers.Where(h => !h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
        {
            response.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        response.Append("Content-Type: application/problem+json; charset=utf-8\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(response.ToString()), .. body];
    }

    private static string Detail(int status) => status switch
    {
        StatusCodes.Status414UriTooLong => "The request target is longer than this server accepts.",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "The request headers are larger than this server accepts.",
        StatusCodes.Status505HttpVersionNotsupported => "This server speaks HTTP/1.1 and HTTP/2 only.",
        >= 500 => "The server could not handle the request.",
        _ => "The server could not read the request line or its headers.",
    };

    private static string TypeOf(int status) => status switch
    {
        >= 400 and <= 417 => $"https://tools.ietf.org/html/rfc9110#section-15.5.{status - 399}",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "https://tools.ietf.org/html/rfc6585#section-5",
        >= 500 and <= 505 => $"https://tools.ietf.org/html/rfc9110#section-15.6.{status - 499}",
        _ => "about:blank",
    };
}
