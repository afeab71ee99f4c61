using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Poppy.Portal.Providers.Dns.PowerDns;

/// <summary>How to run a local PowerDNS (<see cref="PowerDnsProcess"/>).</summary>
public sealed class PowerDnsProcessOptions
{
    /// <summary>Where Debian's pdns-server puts the server.</summary>
    public const string DefaultExecutable = "/usr/sbin/pdns_server";
    /// <summary>Where Debian's pdns-backend-sqlite3 puts the backend's schema.</summary>
    public const string DefaultSchema = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";

    /// <summary>The server's folder: its configuration, SQLite database and control socket. Kept as it is between runs.</summary>
    public required string Directory { get; init; }

    /// <summary>The key of the HTTP API (<c>X-API-Key</c>).</summary>
    public required string ApiKey { get; init; }

    /// <summary>Loopback port for DNS (UDP and TCP); 0 takes a free one.</summary>
    public int DnsPort { get; init; }

    /// <summary>Loopback port of the HTTP API; 0 takes a free one.</summary>
    public int ApiPort { get; init; }

    /// <summary>The pdns_server binary.</summary>
    public string Executable { get; init; } = DefaultExecutable;

    /// <summary>The gsqlite3 backend's schema, run once on a new database.</summary>
    public string Schema { get; init; } = DefaultSchema;

    /// <summary>How long the API may take to answer after the process starts.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// A PowerDNS authoritative server (Debian's <c>pdns-server</c> + <c>pdns-backend-sqlite3</c>) run as a child process:
/// gsqlite3 backend in its folder, DNS on 127.0.0.1:<see cref="DnsPort"/> (UDP and TCP), the HTTP API on
/// 127.0.0.1:<see cref="ApiPort"/>, every cache off so a change is answered at once. The database is created from the
/// schema when missing and kept otherwise, so a server started again on the same folder has its zones and records.
/// Used by the Development portal (a local DNS for steering) and by the tests (a real server on high ports).
/// </summary>
public sealed class PowerDnsProcess : IAsyncDisposable
{
    /// <summary>What to install when <see cref="IsInstalled"/> says no (Debian and Ubuntu).</summary>
    public const string InstallCommand = "apt-get install pdns-server pdns-backend-sqlite3";

    /// <summary>The id of the API's one server.</summary>
    public const string ServerId = "localhost";

    private const string DatabaseFile = "pdns.sqlite3";
    private const string PidFile = "pdns.pid";

    private readonly StringBuilder log = new();
    private readonly Process process;

    private PowerDnsProcess(Process process, string directory, string apiKey, int dnsPort, int apiPort)
    {
        this.process = process;
        Directory = directory;
        ApiKey = apiKey;
        DnsPort = dnsPort;
        ApiPort = apiPort;
    }

    /// <summary>The server's folder (absolute).</summary>
    public string Directory { get; }

    /// <summary>The key of the HTTP API.</summary>
    public string ApiKey { get; }

    /// <summary>The loopback port DNS answers on (UDP and TCP).</summary>
    public int DnsPort { get; }

    /// <summary>The loopback port of the HTTP API.</summary>
    public int ApiPort { get; }

    /// <summary>The API base the PowerDNS driver takes: <c>http://127.0.0.1:PORT/api/v1/</c>.</summary>
    public Uri ApiBaseUrl => new($"http://127.0.0.1:{ApiPort}/api/v1/");

    /// <summary>Where DNS queries go: <c>127.0.0.1:PORT</c>.</summary>
    public IPEndPoint DnsEndPoint => new(IPAddress.Loopback, DnsPort);

    /// <summary>Whether the server process has ended.</summary>
    public bool HasExited => process.HasExited;

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

    /// <summary>Whether the server and the SQLite backend's schema are installed at these paths.</summary>
    public static bool IsInstalled(string executable, string schema) => File.Exists(executable) && File.Exists(schema);

    /// <summary>
    /// Starts the server on <paramref name="options"/>' folder and returns once its API answers. A server left running on
    /// that folder by a process that died without stopping it is stopped first (it would hold the ports and the database).
    /// </summary>
    /// <exception cref="InvalidOperationException">Not installed, or the server exited (a port taken, a bad database).</exception>
    /// <exception cref="TimeoutException">The API did not answer within <see cref="PowerDnsProcessOptions.StartTimeout"/>.</exception>
    public static async Task<PowerDnsProcess> StartAsync(PowerDnsProcessOptions options, CancellationToken cancellationToken)
    {
        if (!IsInstalled(options.Executable, options.Schema))
        {
            throw new InvalidOperationException($"PowerDNS is not installed ({options.Executable}, {options.Schema}): {InstallCommand}");
        }

        var directory = Path.GetFullPath(options.Directory);
        System.IO.Directory.CreateDirectory(directory);
        await StopLeftoverAsync(directory, options.Executable, cancellationToken);

        var database = Path.Combine(directory, DatabaseFile);
        if (!File.Exists(database))
        {
            await CreateDatabaseAsync(database, options.Schema, cancellationToken);
        }

        var dnsPort = options.DnsPort != 0 ? options.DnsPort : FreeDnsPort();
        var apiPort = options.ApiPort != 0 ? options.ApiPort : FreeTcpPort();
        var config = Path.Combine(directory, "pdns.conf");
        await File.WriteAllTextAsync(config, string.Join('\n',
            "# Written by Poppy Portal at each start; changes here are lost.",
            "launch=gsqlite3",
            $"gsqlite3-database={database}",
            $"local-address=127.0.0.1:{dnsPort}",
            $"socket-dir={directory}",
            "api=yes",
            $"api-key={options.ApiKey}",
            "webserver=yes",
            "webserver-address=127.0.0.1",
            $"webserver-port={apiPort}",
            "webserver-allow-from=127.0.0.0/8",
            // Answer every query from the database, so a switch is seen at once.
            "cache-ttl=0",
            "negquery-cache-ttl=0",
            "query-cache-ttl=0",
            "consistent-backends=yes",
            // Weighted steering writes LUA records (pickwrandom); the limit bounds each record's script.
            "enable-lua-records=yes",
            "lua-records-exec-limit=1000",
            "receiver-threads=1",
            "distributor-threads=1",
            "loglevel=4") + "\n", cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite); // it holds the API key
        }

        var start = new ProcessStartInfo(options.Executable,
            [$"--config-dir={directory}", "--daemon=no", "--guardian=no", "--disable-syslog", "--write-pid=yes"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {options.Executable}.");
        var server = new PowerDnsProcess(child, directory, options.ApiKey, dnsPort, apiPort);
        child.OutputDataReceived += (_, e) => server.Append(e.Data);
        child.ErrorDataReceived += (_, e) => server.Append(e.Data);
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try
        {
            await server.WaitForApiAsync(options.StartTimeout, cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client on the API with the key set (set-up and tests; the driver sends its own).</summary>
    public HttpClient CreateApiClient()
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = ApiBaseUrl, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-API-Key", ApiKey);
        return http;
    }

    /// <summary>Creates the zone (Native, nameserver <c>ns1.ZONE</c>) unless the server has it; true when it was created.</summary>
    public async Task<bool> EnsureZoneAsync(string zone, CancellationToken cancellationToken)
    {
        var absolute = zone.TrimEnd('.') + ".";
        using var http = CreateApiClient();
        using (var found = await http.GetAsync($"servers/{ServerId}/zones/{Uri.EscapeDataString(absolute)}", cancellationToken))
        {
            if (found.IsSuccessStatusCode)
            {
                return false;
            }
        }
        using var created = await http.PostAsJsonAsync($"servers/{ServerId}/zones",
            new { name = absolute, kind = "Native", nameservers = new[] { "ns1." + absolute } }, cancellationToken);
        if (created.StatusCode == HttpStatusCode.Conflict)
        {
            return false; // created meanwhile
        }
        if (created.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException(
                $"PowerDNS refused the zone {zone}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync(cancellationToken)}");
        }
        return true;
    }

    /// <summary>Stops the server; its folder and database stay.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        var pid = process.Id;
        process.Dispose();
        // Only its own: a server started on the folder since (after this one was taken for a leftover) keeps its file.
        var pidFile = Path.Combine(Directory, PidFile);
        try
        {
            if (File.Exists(pidFile) && (await File.ReadAllTextAsync(pidFile)).Trim() == pid.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                File.Delete(pidFile);
            }
        }
        catch (IOException)
        {
            // Being rewritten by a new server: its file.
        }
    }

    /// <summary>A TCP port free on loopback now.</summary>
    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A high port free for both TCP and UDP on loopback (DNS listens on both).</summary>
    public static int FreeDnsPort()
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

    private static async Task CreateDatabaseAsync(string database, string schema, CancellationToken cancellationToken)
    {
        // Built beside and renamed, so a start interrupted halfway leaves no database without tables.
        var building = database + ".new";
        File.Delete(building);
        await using (var connection = new SqliteConnection($"Data Source={building};Pooling=false"))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = await File.ReadAllTextAsync(schema, cancellationToken);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        File.Move(building, database);
    }

    /// <summary>
    /// Stops the server whose pid its folder's pid file holds, when that process is still pdns_server on this folder: a
    /// portal killed without stopping stops nothing, and the server it left would keep the ports.
    /// </summary>
    private static async Task StopLeftoverAsync(string directory, string executable, CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(directory, PidFile);
        if (!File.Exists(pidFile) || !int.TryParse((await File.ReadAllTextAsync(pidFile, cancellationToken)).Trim(), out var pid))
        {
            return;
        }
        try
        {
            var commandLine = await File.ReadAllTextAsync($"/proc/{pid}/cmdline", cancellationToken);
            if (commandLine.Contains(Path.GetFileName(executable), StringComparison.Ordinal)
                && commandLine.Contains($"--config-dir={directory}\0", StringComparison.Ordinal))
            {
                using var leftover = Process.GetProcessById(pid);
                leftover.Kill();
                await leftover.WaitForExitAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            // Gone already, or not ours.
        }
        File.Delete(pidFile);
    }

    private async Task WaitForApiAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = CreateApiClient();
        http.Timeout = TimeSpan.FromSeconds(2);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"pdns_server exited with {process.ExitCode}:\n{Log}");
            }

            try
            {
                using var response = await http.GetAsync($"servers/{ServerId}", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"PowerDNS's API did not answer within {timeout.TotalSeconds:0} s:\n{Log}");
            }

            await Task.Delay(100, cancellationToken);
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
            // Bounded: a server running for days in Development must not grow the portal's memory.
            if (log.Length > 64 * 1024)
            {
                log.Remove(0, log.Length / 2);
            }
            log.AppendLine(line);
        }
    }
}
