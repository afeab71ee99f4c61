using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Poppy.Portal.TestSupport;

/// <summary>
/// A real PowerDNS authoritative server (Debian's <c>pdns-server</c> + <c>pdns-backend-sqlite3</c>) in a temp folder:
/// gsqlite3 backend, DNS on 127.0.0.1:<see cref="DnsPort"/> (UDP and TCP), the HTTP API on
/// 127.0.0.1:<see cref="ApiPort"/> with <see cref="ApiKey"/>, every cache off so a change is answered at once. The zone
/// <see cref="Zone"/> is created through the API on start.
/// </summary>
public sealed class PowerDnsServer : IAsyncLifetime
{
    public const string ApiKey = "poppy-test-pdns-key";
    public const string Zone = "cdn.operator.test";
    private const string SchemaPath = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";
    private const string ServerPath = "/usr/sbin/pdns_server";

    private readonly TempDirectory folder = new("poppy-pdns");
    private readonly StringBuilder log = new();
    private Process? process;

    public int DnsPort { get; private set; }

    public int ApiPort { get; private set; }

    /// <summary>The API base the PowerDNS driver takes: <c>http://127.0.0.1:PORT/api/v1/</c>.</summary>
    public Uri ApiBaseUrl => new($"http://127.0.0.1:{ApiPort}/api/v1/");

    /// <summary>What the server wrote so far (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ServerPath) || !File.Exists(SchemaPath))
        {
            throw new InvalidOperationException(
                "PowerDNS is not installed. Install it: apt-get install -y pdns-server pdns-backend-sqlite3 sqlite3 (test.sh does).");
        }

        var database = folder.File("pdns.sqlite3");
        await using (var connection = new SqliteConnection($"Data Source={database};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = await File.ReadAllTextAsync(SchemaPath);
            await command.ExecuteNonQueryAsync();
        }

        DnsPort = FreeDnsPort();
        ApiPort = FreeTcpPort();
        await File.WriteAllTextAsync(folder.File("pdns.conf"), string.Join('\n',
            "launch=gsqlite3",
            $"gsqlite3-database={database}",
            $"local-address=127.0.0.1:{DnsPort}",
            $"socket-dir={folder.Path}",
            "api=yes",
            $"api-key={ApiKey}",
            "webserver=yes",
            "webserver-address=127.0.0.1",
            $"webserver-port={ApiPort}",
            "webserver-allow-from=127.0.0.0/8",
            // Answer every query from the database, so a test sees a change at once.
            "cache-ttl=0",
            "negquery-cache-ttl=0",
            "query-cache-ttl=0",
            "consistent-backends=yes",
            "receiver-threads=1",
            "distributor-threads=1",
            "loglevel=4") + "\n");

        var start = new ProcessStartInfo(ServerPath,
            [$"--config-dir={folder.Path}", "--daemon=no", "--guardian=no", "--disable-syslog", "--write-pid=no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder.Path,
        };
        process = Process.Start(start) ?? throw new InvalidOperationException("Could not start pdns_server.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = Client();
        await WaitForApiAsync(http);
        using var created = await http.PostAsJsonAsync("servers/localhost/zones", new
        {
            name = Zone + ".",
            kind = "Native",
            nameservers = new[] { "ns1." + Zone + "." },
        });
        if (created.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"PowerDNS refused the zone: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>A client on the API with the key set (for test set-up; the driver sends its own).</summary>
    public HttpClient Client()
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = ApiBaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-API-Key", ApiKey);
        return http;
    }

    public async Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process?.Dispose();
        folder.Dispose();
    }

    private async Task WaitForApiAsync(HttpClient http)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (process!.HasExited)
            {
                throw new InvalidOperationException($"pdns_server exited with {process.ExitCode}:\n{Log}");
            }

            try
            {
                using var response = await http.GetAsync("servers/localhost");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"PowerDNS's API did not answer within 30 s:\n{Log}");
            }

            await Task.Delay(100);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A high port free for both TCP and UDP on loopback (DNS listens on both).</summary>
    private static int FreeDnsPort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = FreeTcpPort();
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for UDP; try another.
            }
        }

        throw new InvalidOperationException("No loopback port free for both TCP and UDP.");
    }
}
