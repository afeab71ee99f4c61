using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Poppy.Portal.Simulators;

/// <summary>Standalone: `dotnet run --project src/Poppy.Portal.Simulators [-- --port 5090]` prints the URLs and runs until Ctrl+C.</summary>
/// <remarks>A named entry point rather than top-level statements, so the portal can reference this project without two
/// <c>Program</c> classes colliding.</remarks>
internal static class SimulatorProgram
{
    public static async Task Main(string[] args)
    {
        var options = new SimulatorOptions
        {
            Port = args.SkipWhile(a => a != "--port").Skip(1).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).FirstOrDefault(5090),
            ConfigureLogging = logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning),
        };
        foreach (var vendor in Enum.GetValues<CdnVendor>())
        {
            options.EdgeLatency[vendor] = EdgeLatencyProfile.DemoFor(vendor);
        }

        var stop = new TaskCompletionSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.TrySetResult(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.TrySetResult(); });

        await using var simulators = await SimulatorHost.StartAsync(options, CancellationToken.None);
        Console.WriteLine($"Poppy CDN simulators on {simulators.BaseUrl}");
        foreach (var vendor in simulators.Vendors)
        {
            Console.WriteLine($"  {vendor.Vendor,-10} API {vendor.ApiBaseUrl}");
        }

        Console.WriteLine($"  faults     {new Uri(simulators.BaseUrl, "_faults/")}");
        Console.WriteLine("Edges answer on the same port by Host header. Ctrl+C stops.");
        await stop.Task;
    }
}
