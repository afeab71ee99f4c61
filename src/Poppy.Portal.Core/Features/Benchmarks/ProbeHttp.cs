using System.Globalization;
using System.Net;
using System.Text;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>What a probe read from the edge so far (a failure in the body keeps the status and the bytes before it).</summary>
public sealed class ProbeResponse
{
    /// <summary>The final answer's status, once its status line was read.</summary>
    public int? Status { get; set; }

    /// <summary>Body bytes read (chunk framing not counted).</summary>
    public long Bytes { get; set; }

    /// <summary>hit, miss or null (<see cref="EdgeProber.CacheStatusOf"/>), once the headers were read.</summary>
    public string? CacheStatus { get; set; }
}

/// <summary>
/// The one HTTP/1.1 exchange a probe makes, written and read here on the connection <see cref="EdgeProber"/> opened and
/// timed: a GET with <c>Connection: close</c>, then the status line, the headers a probe records, and the body (by
/// Content-Length, chunked, or up to the close) counted and dropped. An <see cref="HttpClient"/> per probe (a handler,
/// a pool, a request and a response object for one request on one connection) cost more CPU than the exchange itself;
/// a shared one could hand a connection opened for one edge to another edge's probe.
/// </summary>
public static class ProbeHttp
{
    /// <summary>The longest status line or header line read; the header block must fit the probe's buffer.</summary>
    private const int MaxLine = 8 * 1024;

    /// <summary>The request's bytes; the path is escaped as a URI's would be when it has anything but visible ASCII.</summary>
    public static byte[] Request(string domain, string path, IEnumerable<KeyValuePair<string, string>>? headers)
    {
        if (!IsVisibleAscii(path))
        {
            path = new Uri(new Uri("http://probe.invalid"), path).PathAndQuery;
        }
        var text = new StringBuilder(192)
            .Append("GET ").Append(path).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(domain).Append("\r\n")
            .Append("User-Agent: PoppyPortal-Probe/1.0\r\n")
            // Akamai tells its cache status (X-Cache) only to requests that ask for it; other vendors ignore the pragma.
            .Append("Pragma: akamai-x-cache-on\r\n")
            .Append("Connection: close\r\n");
        foreach (var (name, value) in headers ?? [])
        {
            if (name.Length == 0 || !IsVisibleAscii(name) || name.Contains(':') || !IsVisibleAscii(value.Replace(' ', '!')))
            {
                throw new ArgumentException($"The probe header '{name}' has a character a request header cannot carry.", nameof(headers));
            }
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        if (!IsVisibleAscii(domain))
        {
            throw new ArgumentException($"'{domain}' is not an ASCII host name.", nameof(domain));
        }
        return Encoding.ASCII.GetBytes(text.Append("\r\n").ToString());
    }

    /// <summary>
    /// Reads the response to the end of its body. <paramref name="firstByte"/> is called when its first bytes arrive
    /// (before they are parsed). Interim 1xx answers are skipped. What was read is in <paramref name="response"/>, also
    /// when this throws.
    /// </summary>
    /// <exception cref="IOException">The connection closed before the response or its body was complete.</exception>
    /// <exception cref="HttpRequestException">The answer is not HTTP/1.x.</exception>
    public static async Task ReadAsync(Stream stream, byte[] buffer, Action firstByte, ProbeResponse response, CancellationToken cancellationToken)
    {
        var reader = new Reader(stream, buffer);
        if (!await reader.FillAsync(cancellationToken))
        {
            throw new IOException("The edge closed the connection without an answer.");
        }
        firstByte();

        while (true)
        {
            var statusLine = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("The edge closed the connection in the status line.");
            if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1.", StringComparison.Ordinal) || statusLine[8] != ' '
                || !int.TryParse(statusLine.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                throw new HttpRequestException($"The edge's answer is not HTTP/1.x: '{Printable(statusLine)}'.");
            }

            long? contentLength = null;
            var chunked = false;
            string? xCache = null;
            string? age = null;
            while (true)
            {
                var line = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("The edge closed the connection in the headers.");
                if (line.Length == 0)
                {
                    break;
                }
                var colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    throw new HttpRequestException($"The edge sent a header line without a name: '{Printable(line)}'.");
                }
                var name = line.AsSpan(0, colon);
                var value = line.AsSpan(colon + 1).Trim();
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    contentLength = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length) && length >= 0
                        ? length
                        : throw new HttpRequestException($"The edge sent an invalid Content-Length: '{Printable(line)}'.");
                }
                else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    chunked = value.EndsWith("chunked", StringComparison.OrdinalIgnoreCase);
                }
                else if (name.Equals("X-Cache", StringComparison.OrdinalIgnoreCase))
                {
                    xCache = value.ToString(); // the last one is the edge's own (as HttpResponseMessage's LastOrDefault)
                }
                else if (name.Equals("Age", StringComparison.OrdinalIgnoreCase))
                {
                    age = value.ToString();
                }
            }
            if (status is >= 100 and < 200 && status != 101)
            {
                continue; // 100 Continue, 103 Early Hints: the answer follows
            }

            response.Status = status;
            response.CacheStatus = EdgeProber.CacheStatusOf(xCache, age);
            if (status is 204 or 304 || (status is >= 100 and < 200))
            {
                return;
            }
            if (chunked)
            {
                await ReadChunkedAsync(reader, response, cancellationToken);
            }
            else if (contentLength is { } length)
            {
                await reader.SkipAsync(length, response, cancellationToken);
                if (response.Bytes < length)
                {
                    throw new IOException($"The edge closed the connection after {response.Bytes} of {length} body bytes.");
                }
            }
            else
            {
                await reader.SkipAsync(long.MaxValue, response, cancellationToken); // up to the close
            }
            return;
        }
    }

    private static async Task ReadChunkedAsync(Reader reader, ProbeResponse response, CancellationToken cancellationToken)
    {
        while (true)
        {
            var sizeLine = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("The edge closed the connection inside a chunked body.");
            var end = sizeLine.IndexOf(';');
            if (!long.TryParse(end < 0 ? sizeLine.AsSpan().Trim() : sizeLine.AsSpan(0, end).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size)
                || size < 0)
            {
                throw new HttpRequestException($"The edge sent an invalid chunk size: '{Printable(sizeLine)}'.");
            }
            if (size == 0)
            {
                // Trailers, then the empty line.
                while (await reader.ReadLineAsync(cancellationToken) is { Length: > 0 })
                {
                }
                return;
            }
            var read = await reader.SkipAsync(size, response, cancellationToken);
            if (read < size || await reader.ReadLineAsync(cancellationToken) is not { Length: 0 })
            {
                throw new IOException("The edge closed the connection inside a chunk.");
            }
        }
    }

    private static bool IsVisibleAscii(string text)
    {
        foreach (var c in text)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }
        return true;
    }

    private static string Printable(string line)
    {
        var cut = line.Length > 100 ? line[..100] : line;
        return new string(cut.Select(c => c is < ' ' or > '~' ? '?' : c).ToArray());
    }

    /// <summary>Lines and counted skips over the connection, through the probe's one buffer.</summary>
    private sealed class Reader(Stream stream, byte[] buffer)
    {
        private int start;
        private int end;

        private bool closed;

        /// <summary>Reads more into the buffer (moving what is unread to its start); false at the close.</summary>
        public async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
        {
            if (closed)
            {
                return false;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                throw new HttpRequestException($"The edge sent a header line longer than {buffer.Length} bytes.");
            }
            var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                closed = true;
                return false;
            }
            end += read;
            return true;
        }

        /// <summary>The next line without its CRLF (a bare LF ends one too); null at the close.</summary>
        public async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            var searched = 0;
            while (true)
            {
                var at = Array.IndexOf(buffer, (byte)'\n', start + searched, end - start - searched);
                if (at >= 0)
                {
                    var length = at - start;
                    if (length > 0 && buffer[at - 1] == '\r')
                    {
                        length--;
                    }
                    var line = length == 0 ? "" : Encoding.Latin1.GetString(buffer, start, length);
                    start = at + 1;
                    return line;
                }
                searched = end - start;
                if (searched > MaxLine)
                {
                    throw new HttpRequestException($"The edge sent a line longer than {MaxLine} bytes.");
                }
                if (!await FillAsync(cancellationToken))
                {
                    return null;
                }
            }
        }

        /// <summary>Drops up to <paramref name="count"/> bytes, counted in the response; how many there were before the close.</summary>
        public async ValueTask<long> SkipAsync(long count, ProbeResponse response, CancellationToken cancellationToken)
        {
            long skipped = 0;
            while (skipped < count)
            {
                if (end == start)
                {
                    start = end = 0;
                    if (!await FillAsync(cancellationToken))
                    {
                        break;
                    }
                }
                var take = (int)Math.Min(end - start, count - skipped);
                start += take;
                skipped += take;
                response.Bytes += take;
            }
            return skipped;
        }
    }
}
