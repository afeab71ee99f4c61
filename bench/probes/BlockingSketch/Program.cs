using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

// NOT the portal's engine: a sketch that measures what the probe's socket work would cost without the async socket
// engine. The same exchange as EdgeProber/ProbeHttp (a new connection, the same GET with Connection: close, read to the
// end of the Content-Length body, the client closes), on blocking sockets, one dedicated thread per slot: no epoll
// registration, no hop from the socket engine's thread to the thread pool. No timing phases, TLS or error handling.
// Usage: BlockingSketch <edge address:port> <domain> <seconds> <concurrency> [edge pid]
var edge = IPEndPoint.Parse(args[0]);
var domain = args[1];
var seconds = int.Parse(args[2]);
var concurrency = int.Parse(args[3]);
int? edgePid = args.Length > 4 ? int.Parse(args[4]) : null;
var request = Encoding.ASCII.GetBytes(
    $"GET /probe.txt HTTP/1.1\r\nHost: {domain}\r\nUser-Agent: PoppyPortal-Probe/1.0\r\nPragma: akamai-x-cache-on\r\nConnection: close\r\nX-Simulator-Edge: fastly\r\n\r\n");

Run(TimeSpan.FromSeconds(2)); // warm-up
var edgeBefore = ProcessCpu.Of(edgePid);
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var (count, errors, elapsed) = Run(TimeSpan.FromSeconds(seconds));
var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
Console.WriteLine($"sketch_blocking_probes_per_s={count / elapsed.TotalSeconds:0} sketch_blocking_errors={errors} sketch_blocking_cpu_us_per_probe={cpu.TotalMicroseconds / count:0.0}"
    + (edgePid is null ? "" : $" sketch_blocking_edge_cpu_us_per_probe={(ProcessCpu.Of(edgePid) - edgeBefore).TotalMicroseconds / count:0.0}"));
return 0;

(long, long, TimeSpan) Run(TimeSpan length)
{
    long done = 0, failed = 0;
    var clock = Stopwatch.StartNew();
    var threads = Enumerable.Range(0, concurrency).Select(_ => new Thread(() =>
    {
        var buffer = new byte[16 * 1024];
        while (clock.Elapsed < length)
        {
            if (!Probe(buffer))
            {
                Interlocked.Increment(ref failed);
            }
            Interlocked.Increment(ref done);
        }
    })).ToList();
    threads.ForEach(t => t.Start());
    threads.ForEach(t => t.Join());
    return (done, failed, clock.Elapsed);
}

bool Probe(byte[] buffer)
{
    using var socket = new Socket(edge.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000, SendTimeout = 5000 };
    socket.Connect(edge);
    socket.Send(request);
    int read = 0, headerEnd = -1;
    long expected = -1;
    while (expected < 0 || read < expected)
    {
        var n = socket.Receive(buffer, read, buffer.Length - read, SocketFlags.None);
        if (n == 0)
        {
            return false;
        }
        read += n;
        if (headerEnd < 0 && (headerEnd = buffer.AsSpan(0, read).IndexOf("\r\n\r\n"u8)) >= 0)
        {
            var head = Encoding.Latin1.GetString(buffer, 0, headerEnd);
            var at = head.IndexOf("\r\nContent-Length:", StringComparison.OrdinalIgnoreCase);
            if (!head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) || at < 0)
            {
                return false;
            }
            var end = head.IndexOf('\r', at + 2);
            expected = headerEnd + 4 + long.Parse(head.AsSpan(at + 17, (end < 0 ? head.Length : end) - at - 17).Trim());
        }
    }
    return true;
}

