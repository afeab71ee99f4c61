using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Poppy.Portal.Simulators.Faults;

namespace Poppy.Portal.Simulators;

/// <summary>
/// Standalone: `dotnet run --project src/Poppy.Portal.Simulators [-- --port 5090 --deploy-delay-ms 2000 --latency-ms 50
/// --error-rate 0.05 --fastly-hourly-limit 100000]` prints the URLs and runs until Ctrl+C or SIGTERM.
/// </summary>
/// <remarks>A named entry point rather than top-level statements, so the portal can reference this project without two
/// <c>Program</c> classes colliding.</remarks>
internal static class SimulatorProgram
{
    private const string Usage =
        "options: --port N (5090)  --deploy-delay-ms N (30000)  --fastly-hourly-limit N (1000)  --latency-ms N (0)  --error-rate 0..1 (0)  --no-edge-latency (demo edge latencies per vendor otherwise)  --origin HOST=URL (repeatable: the edges fetch origin HOST from URL)";

    public static async Task<int> Main(string[] args)
    {
        SimulatorOptions options;
        FaultProfile faults;
        try
        {
            options = new SimulatorOptions
            {
                Port = (int?)Option(args, "--port") ?? 5090,
                ConfigureLogging = logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning),
            };
            options.DeployDelay = Option(args, "--deploy-delay-ms") is { } delayMs ? TimeSpan.FromMilliseconds(delayMs) : options.DeployDelay;
            options.Fastly.HourlyRateLimit = (int?)Option(args, "--fastly-hourly-limit") ?? options.Fastly.HourlyRateLimit;
            // Benchmarks and crash tests set these for every vendor at start; POST {base}/_faults/{vendor} still changes them later.
            faults = new FaultProfile
            {
                LatencyMs = (int?)Option(args, "--latency-ms") ?? 0,
                ErrorRate = Option(args, "--error-rate") ?? 0,
            };
            // Origins the edges fetch from elsewhere than HOST:PORT (services must name port 80 or 443; a benchmark's
            // origin listens on a free loopback port).
            for (var at = Array.IndexOf(args, "--origin"); at >= 0; at = Array.IndexOf(args, "--origin", at + 1))
            {
                var pair = at + 1 < args.Length ? args[at + 1].Split('=', 2) : [];
                if (pair.Length != 2 || !Uri.TryCreate(pair[1], UriKind.Absolute, out var origin))
                {
                    throw new FormatException("--origin needs HOST=URL, e.g. origin.example.net=http://127.0.0.1:8081");
                }
                options.OriginOverrides[pair[0]] = origin;
            }
            if (faults.Validate() is { } problem)
            {
                throw new FormatException(problem);
            }

            if (options.Port is < 0 or > 65535)
            {
                throw new FormatException($"--port must be between 0 and 65535, not {options.Port}");
            }

            if (options.DeployDelay < TimeSpan.Zero || options.Fastly.HourlyRateLimit < 1)
            {
                throw new FormatException("--deploy-delay-ms must not be negative and --fastly-hourly-limit must be at least 1");
            }
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"{e.Message}\n{Usage}");
            return 1;
        }

        // Demo figures per vendor, so benchmarks have something to compare; --no-edge-latency serves edges as fast as
        // they can (bench/probes measures the prober's own timing against latency it injects itself).
        if (!args.Contains("--no-edge-latency"))
        {
            foreach (var vendor in Enum.GetValues<CdnVendor>())
            {
                options.EdgeLatency[vendor] = EdgeLatencyProfile.DemoFor(vendor);
            }
        }

        var stop = new TaskCompletionSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.TrySetResult(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.TrySetResult(); });

        await using var simulators = await SimulatorHost.StartAsync(options, CancellationToken.None);
        foreach (var vendor in simulators.Vendors)
        {
            vendor.Faults.Set(faults);
        }

        Console.WriteLine($"Poppy CDN simulators on {simulators.BaseUrl}");
        foreach (var vendor in simulators.Vendors)
        {
            Console.WriteLine($"  {vendor.Vendor,-10} API {vendor.ApiBaseUrl}");
        }

        Console.WriteLine($"  faults     {new Uri(simulators.BaseUrl, "_faults/")} (latency {faults.LatencyMs} ms, error rate {faults.ErrorRate})");
        Console.WriteLine($"  inventory  {new Uri(simulators.BaseUrl, "_inventory")}");
        Console.WriteLine("Edges answer on the same port by Host header. Ctrl+C stops.");
        await stop.Task;
        return 0;
    }

    /// <summary>The number after <paramref name="name"/> (invariant culture); null when the option is absent.</summary>
    private static double? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        if (at < 0)
        {
            return null;
        }

        return at + 1 < args.Length ? double.Parse(args[at + 1], NumberStyles.Float, CultureInfo.InvariantCulture) : throw new FormatException($"{name} needs a value");
    }
}
