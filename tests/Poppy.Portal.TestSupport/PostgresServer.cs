using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace Poppy.Portal.TestSupport;

/// <summary>
/// A throwaway PostgreSQL server (Debian's postgresql package) in a temp folder on a free loopback port.
/// Started once per test collection; each test gets its own database via <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "poppy-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private string binDirectory = "";
    private int port;

    public string AdminConnectionString => $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";

    public async Task InitializeAsync()
    {
        binDirectory = FindBinDirectory();
        port = FreeLoopbackPort();
        Directory.CreateDirectory(dataDirectory);
        if (IsRoot)
        {
            // PostgreSQL refuses to run as root; the Debian package creates the postgres user.
            await RunAsync("chown", $"postgres \"{dataDirectory}\"");
        }

        await RunAsPostgresAsync("initdb", $"-D \"{dataDirectory}\" -U postgres --auth=trust --encoding=UTF8 --no-sync");
        await RunAsPostgresAsync("pg_ctl",
            $"-D \"{dataDirectory}\" -l \"{dataDirectory}/server.log\" -w -t 60 " +
            $"-o \"-p {port} -k {dataDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off\" start");
    }

    public async Task DisposeAsync()
    {
        try
        {
            await RunAsPostgresAsync("pg_ctl", $"-D \"{dataDirectory}\" -m immediate -w stop");
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}".ToLowerInvariant(); // PostgreSQL names: 63 characters at most
        if (name.Length > 63)
        {
            throw new ArgumentException("Keep the prefix to 30 characters.", nameof(prefix));
        }
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database={name};Pooling=false";
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunAsPostgresAsync(string tool, string arguments) =>
        IsRoot
            ? RunAsync("runuser", $"-u postgres -- \"{Path.Combine(binDirectory, tool)}\" {arguments}")
            : RunAsync(Path.Combine(binDirectory, tool), arguments);

    private static async Task RunAsync(string fileName, string arguments)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {arguments} exited {process.ExitCode}:\n{await output}\n{await error}");
        }
    }

    private static string FindBinDirectory()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderDescending()
            : Enumerable.Empty<string>();
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
               ?? throw new InvalidOperationException(
                   "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin. Install them: apt-get install -y postgresql (.ci/run does).");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
