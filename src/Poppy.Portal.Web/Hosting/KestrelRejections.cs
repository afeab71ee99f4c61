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

    /// <summary>Hands Kestrel its own buffer and passes each flush on to the transport, rewritten when it is a rejection.</summary>
    internal sealed class RejectionBodyWriter(PipeWriter inner) : PipeWriter
    {
        private const int KeptCapacity = 64 * 1024;
        private ArrayBufferWriter<byte> pending = new(4096);

        public override void Advance(int bytes) => pending.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => pending.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => pending.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        // Kestrel passes these through to the response's writer, and System.Text.Json relies on them.
        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => pending.WrittenCount + (inner.CanGetUnflushedBytes ? inner.UnflushedBytes : 0);

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

        private void MovePending()
        {
            if (pending.WrittenCount == 0)
            {
                return;
            }
            var data = pending.WrittenSpan;
            if (TryRewrite(data) is { } rewritten)
            {
                inner.Write(rewritten);
            }
            else
            {
                inner.Write(data);
            }
            // A large response body grew the buffer: do not keep that much per idle keep-alive connection.
            if (pending.Capacity > KeptCapacity)
            {
                pending = new ArrayBufferWriter<byte>(4096);
            }
            else
            {
                pending.ResetWrittenCount();
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
