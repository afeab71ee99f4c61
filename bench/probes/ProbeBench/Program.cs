using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Features.Benchmarks;

// Usage: ProbeBench <simulators base URL> <domain> <seconds> <concurrency> <timing probes> [simulators' pid]
// (seconds 0: no throughput run; timing probes 0: no timing run. run.sh runs them apart, the timing run under tcpdump.)
// With PROBE_LOG=FILE every probe of the timing run (the first check included) is written to FILE in order, as
// "<injected ms> <ok|error> <first byte ms> <total ms> <started, Unix seconds>", for wire_times.py to set against the packets' own times.
// 1. Throughput: keeps <concurrency> probes in flight for <seconds> against the Fastly simulator's edge (new connection
//    per probe, every phase timed, as the portal's probe rounds do) and prints probes/s.
// 2. Timing error: probes one at a time with no latency, then with 20, 50 and 200 ms injected through the simulator's
//    fault endpoint; error = probe total - median total without latency - injected (includes the simulator's own timer
//    slack, which only adds).
System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
var simulators = new Uri(args[0]);
var domain = args[1];
var seconds = int.Parse(args[2]);
var concurrency = int.Parse(args[3]);
var timingProbes = int.Parse(args[4]);
// Optional: the simulators' process id, to tell what the edge spent per probe (CPU time from /proc/PID/stat).
int? edgePid = args.Length > 5 ? int.Parse(args[5]) : null;

var options = new BenchmarkOptions { MaxConcurrentProbes = concurrency, ProbeTimeout = TimeSpan.FromSeconds(5) };
options.ConnectTo.Add(new EdgeConnectTo { Provider = "fastly", Address = simulators.GetLeftPart(UriPartial.Authority), Headers = { ["X-Simulator-Edge"] = "fastly" } });
var prober = new EdgeProber(Options.Create(options), TimeProvider.System);
var target = new ProbeTarget("fastly", domain + ".global.prod.fastly.net", false, domain, "/probe.txt");

var first = await prober.ProbeAsync(target, default);
if (first.Outcome != ProbeOutcome.Ok)
{
    Console.Error.WriteLine($"the edge did not serve the probe object: {first.Status} {first.Error}");
    return 1;
}

using var probeLog = Environment.GetEnvironmentVariable("PROBE_LOG") is { Length: > 0 } logPath ? new StreamWriter(logPath) : null;
probeLog?.WriteLine(LogLine(0, first));
if (seconds > 0)
{
    await ThroughputAsync();
}
if (timingProbes > 0)
{
    await TimingAsync();
}
return 0;

async Task ThroughputAsync()
{
    // Warm-up, then the measured run.
    await RunAsync(TimeSpan.FromSeconds(2));
    var edgeBefore = ProcessCpu.Of(edgePid);
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var gcBefore = GC.GetTotalAllocatedBytes();
    var (count, errors, elapsed) = await RunAsync(TimeSpan.FromSeconds(seconds));
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    var allocated = GC.GetTotalAllocatedBytes() - gcBefore;
    Console.WriteLine($"engine_probes={count} engine_errors={errors} engine_seconds={elapsed.TotalSeconds:0.00} engine_probes_per_s={count / elapsed.TotalSeconds:0} concurrency={concurrency}");
    // What a probe costs the prober's process, whatever else the machine runs: CPU time and bytes allocated per probe.
    Console.WriteLine($"engine_cpu_us_per_probe={cpu.TotalMicroseconds / count:0.0} engine_alloc_bytes_per_probe={allocated / count}"
        + (edgePid is null ? "" : $" edge_cpu_us_per_probe={(ProcessCpu.Of(edgePid) - edgeBefore).TotalMicroseconds / count:0.0}"));
}

async Task TimingAsync()
{
    using var http = new HttpClient { BaseAddress = simulators };
    var baseline = (await TotalsAsync(timingProbes, 0)).Select(t => t.Total).ToList();
    var baselineMedian = Percentile(baseline, 50);
    Console.WriteLine($"timing_baseline_median_ms={baselineMedian:0.000} timing_baseline_p95_ms={Percentile(baseline, 95):0.000}");
    foreach (var injected in new[] { 20, 50, 200 })
    {
        (await http.PostAsJsonAsync("_faults/fastly", new { latencyMs = injected })).EnsureSuccessStatusCode();
        var totals = await TotalsAsync(timingProbes, injected);
        // Against the latency asked for: includes the simulator's own timer slack (its Task.Delay waking late).
        var residuals = totals.Select(t => t.Total - baselineMedian - injected).ToList();
        // Against the delay the simulator really waited (its lastEdgeDelayMs after each probe): the prober's own error plus
        // the edge's time around the delay moving from the baseline's median.
        var ownErrors = totals.Select(t => t.Total - baselineMedian - t.Waited).ToList();
        Console.WriteLine($"timing_injected_ms={injected} error_ms_min={residuals.Min():0.000} error_ms_median={Percentile(residuals, 50):0.000} error_ms_p95={Percentile(residuals, 95):0.000}"
            + $" vs_waited_error_ms_median={Percentile(ownErrors, 50):0.000} vs_waited_error_ms_p95={Percentile(ownErrors, 95):0.000} vs_waited_abs_error_ms_p95={Percentile(ownErrors.Select(Math.Abs).ToList(), 95):0.000}"
            + $" simulator_slack_ms_median={Percentile(totals.Select(t => t.Waited - injected).ToList(), 50):0.000}");
    }
    (await http.DeleteAsync("_faults/fastly")).EnsureSuccessStatusCode();

    async Task<List<(double Total, double Waited)>> TotalsAsync(int n, int injected)
    {
        var totals = new List<(double, double)>();
        var delayed = injected > 0;
        for (var i = 0; i < n; i++)
        {
            var m = await prober.ProbeAsync(target, default);
            probeLog?.WriteLine(LogLine(injected, m));
            if (m.Outcome == ProbeOutcome.Ok)
            {
                var waited = delayed ? (await http.GetFromJsonAsync<JsonElement>("_faults/fastly")).GetProperty("lastEdgeDelayMs").GetDouble() : 0;
                totals.Add((m.TotalMs!.Value, waited));
            }
        }
        return totals;
    }
}

async Task<(long Count, long Errors, TimeSpan Elapsed)> RunAsync(TimeSpan length)
{
    long done = 0, failed = 0;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        while (clock.Elapsed < length)
        {
            var m = await prober.ProbeAsync(target, default);
            Interlocked.Increment(ref done);
            if (m.Outcome != ProbeOutcome.Ok)
            {
                Interlocked.Increment(ref failed);
            }
        }
    }));
    return (done, failed, clock.Elapsed);
}

static string LogLine(int injected, ProbeMeasurement m) =>
    $"{injected} {(m.Outcome == ProbeOutcome.Ok ? "ok" : "error")} {m.FirstByteMs} {m.TotalMs} {m.StartedAt.ToUnixTimeMilliseconds() / 1000.0 + m.StartedAt.Ticks % TimeSpan.TicksPerMillisecond / 1e7:0.0000000}";

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)(p / 100 * sorted.Count + 0.5) - 1, 0, sorted.Count - 1)];
}
