using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Poppy.CacheTier.Agent.Nginx;

/// <summary>What an nginx command printed and whether it succeeded.</summary>
internal sealed record NginxCommandResult(bool Succeeded, string Output);

/// <summary>
/// The nginx binary as the agent drives it: always with the node's own prefix (<c>-p</c>) and configuration
/// (<c>-c</c>), whose pid file is under the node's folder, so it never touches a system nginx.
/// </summary>
internal sealed partial class NginxProcess(NodeLayout layout, NginxOptions options)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Checks a configuration file without touching the running server (nothing is bound, nothing signalled).</summary>
    public Task<NginxCommandResult> TestAsync(string configFile, CancellationToken cancellationToken) =>
        RunAsync(["-t", "-q", "-p", layout.Root + "/", "-c", configFile], cancellationToken);

    /// <summary>Starts the master process, which daemonizes and writes the pid file; returns once the command has.</summary>
    public Task<NginxCommandResult> StartAsync(CancellationToken cancellationToken) =>
        RunAsync(["-p", layout.Root + "/", "-c", layout.MainConf], cancellationToken);

    /// <summary><c>nginx -s reload|stop|quit</c> for the node's own master (found through its pid file).</summary>
    public Task<NginxCommandResult> SignalAsync(string signal, CancellationToken cancellationToken) =>
        RunAsync(["-p", layout.Root + "/", "-c", layout.MainConf, "-s", signal], cancellationToken);

    /// <summary>"1.22.1", or null when nginx cannot be run.</summary>
    public async Task<string?> GetVersionAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await RunAsync(["-v"], cancellationToken);
            return VersionPattern().Match(result.Output) is { Success: true } m ? m.Groups[1].Value : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
    }

    public bool Exists => File.Exists(options.Executable);

    /// <summary>The master's pid when it runs (a zombie left by a daemonizing parent does not count).</summary>
    public int? RunningPid()
    {
        if (!File.Exists(layout.PidFile)
            || !int.TryParse(File.ReadAllText(layout.PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) S ...": the state follows the last ')'.
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is "Z" or "X" ? null : pid;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return pid;
        }
    }

    /// <summary>
    /// The master's worker processes that still accept connections. After a reload the old ones are retitled
    /// "worker process is shutting down" and close their listening sockets; until then they answer new connections
    /// with the old configuration, so a reload is only done when none of the workers from before it is left here.
    /// </summary>
    public static IReadOnlySet<int> AcceptingWorkers(int masterPid)
    {
        var workers = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] != masterPid.ToString(CultureInfo.InvariantCulture) || fields[0] is "Z" or "X")
                {
                    continue;
                }
                var title = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                if (title.StartsWith("nginx: worker process", StringComparison.Ordinal) && !title.Contains("shutting down", StringComparison.Ordinal))
                {
                    workers.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile
            }
        }
        return workers;
    }

    /// <summary>Waits until the master has gone (after stop/quit).</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < timeout)
        {
            if (RunningPid() is not { } pid || !File.Exists($"/proc/{pid}/stat"))
            {
                return true;
            }
            await Task.Delay(50, cancellationToken);
        }
        return false;
    }

    private async Task<NginxCommandResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{options.Executable} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"nginx {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalSeconds:0} s.");
        }
        var output = ((await stdout) + (await stderr)).Trim();
        return new NginxCommandResult(process.ExitCode == 0, output);
    }

    [GeneratedRegex(@"nginx/([0-9][0-9.]*)")]
    private static partial Regex VersionPattern();
}
