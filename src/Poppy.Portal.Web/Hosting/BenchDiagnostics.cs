using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Runtime;
using Poppy.Portal.Web.Features.Services;

namespace Poppy.Portal.Web.Hosting;

/// <summary>
/// bench/ui's view into a running portal, mapped only when <c>Portal:Bench:Diagnostics=true</c> (run.sh sets it; never
/// on otherwise) and answering only loopback callers. <c>GET /bench/diagnostics/timings</c> hands over (and forgets) the
/// server-side durations recorded since the last call — the Services grid's (<see cref="ServicesPageMetrics"/>) and the
/// HTTP server's for <c>/services</c> (the prerender) — read with a <see cref="MeterListener"/>;
/// <c>GET /bench/diagnostics/memory</c> reports the process's RSS, then forces a full compacting GC and reports the
/// managed heap that is still alive, with the open circuits and the GC mode, so per-circuit memory can be told apart
/// from the GC's budget.
/// </summary>
public sealed class BenchDiagnostics : IDisposable
{
    public const string Setting = "Portal:Bench:Diagnostics";
    private const int MaxSamplesPerSeries = 20_000;

    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> series = new(StringComparer.Ordinal);
    private long activeCircuits;

    public BenchDiagnostics()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ServicesPageMetrics.MeterName
                || (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting" && instrument.Name == "http.server.request.duration")
                || (instrument.Meter.Name == "Microsoft.AspNetCore.Components.Server.Circuits" && instrument.Name == "aspnetcore.components.circuit.active"))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>(OnMeasurement);
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "aspnetcore.components.circuit.active")
            {
                Interlocked.Add(ref activeCircuits, value);
            }
        });
        listener.Start();
    }

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string? name = null;
        if (instrument.Meter.Name == ServicesPageMetrics.MeterName)
        {
            name = $"{instrument.Name}[{Tag(tags, "load")}]";
        }
        else if (Tag(tags, "http.route") is "/services" && Tag(tags, "http.request.method") is "GET")
        {
            name = "prerender./services";
            value *= 1000; // seconds
        }
        if (name is not null)
        {
            var queue = series.GetOrAdd(name, _ => new ConcurrentQueue<double>());
            if (queue.Count < MaxSamplesPerSeries)
            {
                queue.Enqueue(value);
            }
        }
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }
        return null;
    }

    /// <summary>The samples recorded since the last call, in milliseconds, by series; the series start empty again.</summary>
    public Dictionary<string, double[]> Drain()
    {
        var drained = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var (name, queue) in series)
        {
            var values = new List<double>();
            while (queue.TryDequeue(out var value))
            {
                values.Add(value);
            }
            drained[name] = [.. values];
        }
        return drained;
    }

    public object Memory()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        var rssBeforeGc = process.WorkingSet64;
        var managedBeforeGc = GC.GetTotalMemory(forceFullCollection: false);
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var managedAfterGc = GC.GetTotalMemory(forceFullCollection: true);
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        process.Refresh();
        return new
        {
            rssBytes = rssBeforeGc,
            rssAfterGcBytes = process.WorkingSet64,
            managedBytes = managedBeforeGc,
            managedAfterGcBytes = managedAfterGc,
            gcCommittedBytes = info.TotalCommittedBytes,
            gcHeapSizeBytes = info.HeapSizeBytes,
            sqliteHeapBytes = SQLitePCL.raw.sqlite3_memory_used(),
            sqliteHeapHighwaterBytes = SQLitePCL.raw.sqlite3_memory_highwater(0),
            serverGc = GCSettings.IsServerGC,
            gcLatencyMode = GCSettings.LatencyMode.ToString(),
            activeCircuits = Interlocked.Read(ref activeCircuits),
        };
    }

    public void Dispose() => listener.Dispose();
}

public static class BenchDiagnosticsEndpoints
{
    public static void AddBenchDiagnostics(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.GetValue<bool>(BenchDiagnostics.Setting))
        {
            services.AddSingleton<BenchDiagnostics>();
        }
    }

    public static IEndpointRouteBuilder MapBenchDiagnostics(this IEndpointRouteBuilder endpoints, IConfiguration configuration)
    {
        if (!configuration.GetValue<bool>(BenchDiagnostics.Setting))
        {
            return endpoints;
        }
        // Created now, so it listens from the start rather than from the first call.
        var diagnostics = endpoints.ServiceProvider.GetRequiredService<BenchDiagnostics>();
        var bench = endpoints.MapGroup("/bench/diagnostics").AllowAnonymous()
            .AddEndpointFilter(async (context, next) =>
                context.HttpContext.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address)
                    ? await next(context)
                    : Results.NotFound());
        bench.MapGet("/timings", () => Results.Json(diagnostics.Drain()));
        bench.MapGet("/memory", () => Results.Json(diagnostics.Memory()));
        return endpoints;
    }
}
