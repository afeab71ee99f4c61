using Poppy.Portal.TestSupport;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Poppy.Portal.E2E.Tests.Infrastructure;

/// <summary>
/// The real portal host as a child process: <c>dotnet portal/Poppy.Portal.Web.dll</c> from the publish folder that the
/// test project's build writes next to the test assembly (see the .csproj for why not the plain build output),
/// in Production, on a free loopback port, with a fresh SQLite database and mail folder in a temp directory.
/// Its stdout/stderr go to <c>artifacts/e2e/portal-host.log</c>.
/// </summary>
public sealed class PortalProcess : IAsyncLifetime
{
    public const string AdminEmail = "admin@e2e.test";
    public const string AdminPassword = "E2e-Admin-Password-1!";
    public const string FirstProject = "alpha";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);
    private const int MaxPortAttempts = 3;
    private const int OutputTailLines = 200;

    private readonly TempDirectory dataFolder = new("poppy-e2e");
    private readonly Lock outputGate = new();
    private readonly Queue<string> outputTail = new();
    private StreamWriter? log;
    private Process? process;

    /// <summary>Origin of the running host, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    public string LogPath { get; init; } = RepositoryPaths.Artifact("portal-host.log");

    /// <summary>
    /// More environment for the host and its command line (e.g. <c>Portal__Jobs__Enabled</c>), applied after the
    /// defaults; set before <see cref="InitializeAsync"/>.
    /// </summary>
    public Dictionary<string, string?> ExtraEnvironment { get; } = [];

    /// <summary>The host's process id while it runs.</summary>
    public int? ProcessId => process?.Id;

    /// <summary>The host's SQLite file (seeded by <see cref="PortalSeed"/> before the host starts).</summary>
    public string DatabasePath => dataFolder.File("portal.db");

    /// <summary>The published host: <c>&lt;test output&gt;/portal/</c>.</summary>
    public static string PublishDirectory => Path.Combine(AppContext.BaseDirectory, "portal");

    public async Task InitializeAsync()
    {
        log = new StreamWriter(LogPath, append: false, Encoding.UTF8) { AutoFlush = true };
        await PortalSeed.SeedAsync(DatabasePath, CancellationToken.None);
        await StartAsync();
    }

    /// <summary>
    /// Starts the host on the database as it is (again after <see cref="KillAsync"/>: a restart of the same installation,
    /// on a new port) and waits until <c>/healthz</c> answers 200.
    /// </summary>
    public async Task StartAsync()
    {
        if (process is not null)
        {
            throw new InvalidOperationException("The portal host is already running.");
        }

        var hostDll = HostDll();
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            BaseUrl = $"http://127.0.0.1:{port}";
            WriteLog($"# {TimeProvider.System.GetUtcNow():O} starting {hostDll} on {BaseUrl} (attempt {attempt})");
            process = Start([hostDll, "--urls", BaseUrl, "--contentRoot", PublishDirectory]);
            var outcome = await WaitUntilHealthyAsync(process);
            if (outcome == Outcome.Healthy)
            {
                return;
            }
            // Another process may have taken the port between probing and binding it: try another one.
            if (outcome == Outcome.Exited && attempt < MaxPortAttempts && OutputContains("address already in use"))
            {
                process.Dispose();
                process = null;
                continue;
            }

            var reason = outcome == Outcome.Exited
                ? $"exited with code {process.ExitCode} before /healthz answered 200"
                : $"did not answer 200 on {BaseUrl}/healthz within {StartupTimeout.TotalSeconds:0} s";
            await StopAsync();
            throw new InvalidOperationException($"The portal host {reason}. Log: {LogPath}\n--- host output (last lines) ---\n{OutputTail()}");
        }
    }

    /// <summary>
    /// Kills the host with SIGKILL (what <see cref="Process.Kill()"/> sends on Linux): no shutdown code runs, as in a
    /// crash or an OOM kill. Returns the exit code the system reported (137 = 128 + SIGKILL).
    /// </summary>
    public async Task<int> KillAsync()
    {
        var host = process ?? throw new InvalidOperationException("The portal host is not running.");
        process = null;
        try
        {
            host.Kill();
            await host.WaitForExitAsync();
            WriteLog($"# {TimeProvider.System.GetUtcNow():O} host killed (SIGKILL, exit code {host.ExitCode})");
            return host.ExitCode;
        }
        finally
        {
            host.Dispose();
        }
    }

    /// <summary>
    /// Runs the host binary's command line (e.g. <c>token create …</c>) with the host's configuration and database;
    /// returns its standard output, trimmed. Fails when it exits with an error.
    /// </summary>
    public async Task<string> RunCommandAsync(params string[] arguments)
    {
        var hostDll = HostDll();
        using var command = Start([hostDll, .. arguments], captureOutput: false);
        var stdout = command.StandardOutput.ReadToEndAsync();
        var stderr = command.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartupTimeout);
        await command.WaitForExitAsync(timeout.Token);
        if (command.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{string.Join(' ', arguments)}` exited with {command.ExitCode}: {await stderr}");
        }
        return (await stdout).Trim();
    }

    private static string HostDll()
    {
        var hostDll = Path.Combine(PublishDirectory, "Poppy.Portal.Web.dll");
        if (!File.Exists(hostDll))
        {
            throw new InvalidOperationException(
                $"The published portal host is missing: {hostDll}. Build the test project (its PublishPortalForE2E target publishes " +
                "src/Poppy.Portal.Web there), e.g. `dotnet test tests/Poppy.Portal.E2E.Tests`.");
        }
        foreach (var asset in new[] { "apexchart.js", "app.css" })
        {
            if (!File.Exists(Path.Combine(PublishDirectory, "wwwroot", "dist", asset)))
            {
                throw new InvalidOperationException($"The published host has no wwwroot/dist/{asset}; the front-end asset build did not run.");
            }
        }
        return hostDll;
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        log?.Dispose();
        log = null;
        dataFolder.Dispose();
    }

    /// <summary>The host's output so far (last lines), for failure messages.</summary>
    public string OutputTail()
    {
        lock (outputGate)
        {
            return string.Join('\n', outputTail);
        }
    }

    private Process Start(IEnumerable<string> arguments, bool captureOutput = true)
    {
        var startInfo = new ProcessStartInfo(DotnetExecutable())
        {
            // The publish folder is the content root: appsettings.json and wwwroot/ (with the .gz variants) are there.
            WorkingDirectory = PublishDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in arguments)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // Nothing from the developer's or CI's environment may reconfigure the host under test.
        var environment = startInfo.Environment;
        foreach (var key in environment.Keys.ToList())
        {
            if (key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                || key.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("DOTNET_URLS", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("Database__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("Portal__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("Mail__", StringComparison.OrdinalIgnoreCase))
            {
                environment.Remove(key);
            }
        }
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["Database__Provider"] = "Sqlite";
        environment["Database__ConnectionString"] = $"Data Source={DatabasePath}";
        environment["Portal__FirstAdmin__Email"] = AdminEmail;
        environment["Portal__FirstAdmin__Password"] = AdminPassword;
        environment["Portal__FirstAdmin__Project"] = FirstProject;
        environment["Mail__PickupDirectory"] = dataFolder.File("mail");
        // The shared host's seeded provider account reaches no vendor: tests there set statuses themselves (as the web
        // tests do), so provisioning jobs run only in hosts that ask for them through ExtraEnvironment.
        environment["Portal__Jobs__Enabled"] = "false";
        // Production requires the public address; every browser test signs in from 127.0.0.1, far more often than
        // the sign-in rate limit allows one client.
        environment["Portal__PublicBaseUrl"] = string.IsNullOrEmpty(BaseUrl) ? "http://127.0.0.1" : BaseUrl;
        environment["Portal__RateLimits__SignIn__PermitLimit"] = "100000";
        environment["Portal__RateLimits__PasswordReset__PermitLimit"] = "100000";
        environment["Portal__RateLimits__ApiTokens__PermitLimit"] = "100000";
        foreach (var (key, value) in ExtraEnvironment)
        {
            environment[key] = value;
        }

        var started = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        started.OutputDataReceived += (_, e) => OnOutput(e.Data, "out");
        started.ErrorDataReceived += (_, e) => OnOutput(e.Data, "err");
        if (!started.Start())
        {
            throw new InvalidOperationException($"Could not start {startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)}.");
        }
        if (captureOutput)
        {
            started.BeginOutputReadLine();
            started.BeginErrorReadLine();
        }
        return started;
    }

    private enum Outcome { Healthy, Exited, TimedOut }

    private async Task<Outcome> WaitUntilHealthyAsync(Process host)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartupTimeout)
        {
            if (host.HasExited)
            {
                await host.WaitForExitAsync(); // drain the redirected output
                return Outcome.Exited;
            }
            try
            {
                using var response = await http.GetAsync($"{BaseUrl}/healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    WriteLog($"# healthy after {deadline.Elapsed.TotalSeconds:0.0} s");
                    return Outcome.Healthy;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
        return host.HasExited ? Outcome.Exited : Outcome.TimedOut;
    }

    private async Task StopAsync()
    {
        var host = process;
        process = null;
        if (host is null)
        {
            return;
        }
        try
        {
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await host.WaitForExitAsync(timeout.Token);
            WriteLog($"# {TimeProvider.System.GetUtcNow():O} host stopped (exit code {host.ExitCode})");
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            WriteLog($"# could not stop the host cleanly: {e.Message}");
        }
        finally
        {
            host.Dispose();
        }
    }

    private void OnOutput(string? line, string stream)
    {
        if (line is null)
        {
            return;
        }
        lock (outputGate)
        {
            outputTail.Enqueue(line);
            while (outputTail.Count > OutputTailLines)
            {
                outputTail.Dequeue();
            }
        }
        WriteLog(stream == "err" ? "[stderr] " + line : line);
    }

    private bool OutputContains(string text) => OutputTail().Contains(text, StringComparison.OrdinalIgnoreCase);

    private void WriteLog(string line)
    {
        lock (outputGate)
        {
            log?.WriteLine(line);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The dotnet muxer that runs these tests (so the host gets the same runtime), else the one on PATH.</summary>
    private static string DotnetExecutable()
    {
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
        {
            return fromCli;
        }
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }
        return "dotnet";
    }
}
