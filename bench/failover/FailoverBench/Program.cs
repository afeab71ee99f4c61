using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.Core.Features.Steering;

// Usage:
//   FailoverBench realtime <portal base URL> <token> <project> <simulators base URL> <origin host> <origin port> <trials>
//     A service on the simulators' flavor "cdn" steered by `failover` (Fastly, Akamai, MaxCDN), then per trial: a random
//     wait of up to one probe interval (so the outage falls anywhere in the probe schedule), the Fastly edge's outage
//     through the simulators' fault endpoint, and the authoritative PowerDNS asked every 10 ms (DnsClient, no cache) until
//     its CNAME answer changes; then the outage ends and the trial waits until steering is back on Fastly.
//   FailoverBench decider <rounds> <seed> <transient error rate>
//     1,000 steering rounds (2 s apart) over probes every 5 s with the simulators' demo edge latencies and jitter plus a
//     tail, no outage: health gating, p95 and the decision exactly as SteeringRound computes them; counts switches.
return args[0] switch
{
    "realtime" => await RealTimeAsync(args[1..]),
    "decider" => Decider(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("FailoverBench realtime <portal> <token> <project> <simulators> <origin host> <origin port> <trials> | decider <rounds> <seed> <error rate>");
    return 2;
}

static async Task<int> RealTimeAsync(string[] a)
{
    var portal = new HttpClient { BaseAddress = new Uri(a[0]), Timeout = TimeSpan.FromSeconds(30) };
    portal.DefaultRequestHeaders.Add("X-Auth-Token", a[1]);
    portal.DefaultRequestHeaders.Add("X-Project-ID", a[2]);
    var simulators = new HttpClient { BaseAddress = new Uri(a[3]) };
    var (originHost, originPort, trials) = (a[4], int.Parse(a[5]), int.Parse(a[6]));
    var clock = Stopwatch.StartNew();
    void Log(string text) => Console.Error.WriteLine($"[{clock.Elapsed:mm\\:ss}] {text}");

    var domain = $"www.fo{Guid.NewGuid():N}.example.com";
    string id;
    using (var created = await portal.PostAsJsonAsync("/v1.0/services", new JsonObject
    {
        ["name"] = "failover-bench",
        ["flavor_id"] = "cdn",
        ["domains"] = new JsonArray(new JsonObject { ["domain"] = domain, ["protocol"] = "http" }),
        ["origins"] = new JsonArray(new JsonObject { ["origin"] = originHost, ["port"] = originPort, ["ssl"] = false }),
    }))
    {
        if (!created.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"create answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
            return 1;
        }
        id = created.Headers.Location!.Segments[^1];
    }
    Log($"service {id} ({domain}) created; waiting for it to deploy");
    await Until(async () => (await portal.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}"))!["status"]!.GetValue<string>() is var s
        && (s == "deployed" || (s == "failed" ? throw new InvalidOperationException("the service failed to deploy") : false)), TimeSpan.FromMinutes(3), "deployed");

    // CloudFront's simulated edge refuses these domains (no certificate): it is left out of the order.
    using (var put = await portal.PutAsJsonAsync($"/v1.0/services/{id}/steering",
        new { policy = "failover", providers = new[] { "sim-fastly", "sim-akamai", "sim-maxcdn" } }))
    {
        if (!put.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"steering answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
            return 1;
        }
    }
    JsonObject steering = null!;
    await Until(async () =>
    {
        steering = (await portal.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}/steering"))!;
        return steering["records"]!.AsArray().Count == 1 && steering["records"]![0]!["nameserver"] is not null;
    }, TimeSpan.FromMinutes(2), "a steering record with a nameserver");
    var record = steering["records"]![0]!;
    var name = record["name"]!.GetValue<string>();
    var server = DnsConfirmation.ParseEndpoint(record["nameserver"]!.GetValue<string>())!;
    string? fastlyTarget = null;

    async Task<bool> SteadyAsync()
    {
        var view = (await portal.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}/steering"))!;
        var healthy = view["health"]!.AsArray().Where(h => h!["provider"]!.GetValue<string>() != "sim-cloudfront")
            .All(h => h!["healthy"]!.GetValue<bool>());
        if (view["active_provider"]?.GetValue<string>() != "sim-fastly" || !healthy)
        {
            return false;
        }
        fastlyTarget ??= view["records"]![0]!["target"]!.GetValue<string>();
        return await DnsConfirmation.QueryCnameAsync(server, name, default) == fastlyTarget;
    }

    Log($"steering name {name} at {server}; waiting until Fastly is active and every provider healthy");
    await Until(SteadyAsync, TimeSpan.FromMinutes(2), "steady on Fastly");
    var random = new Random();
    var interval = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("PROBE_INTERVAL_S") ?? "5"));
    var times = new List<double>();
    var missed = 0;
    for (var trial = 1; trial <= trials; trial++)
    {
        await Task.Delay(TimeSpan.FromSeconds(random.NextDouble() * interval.TotalSeconds));
        var watch = Stopwatch.StartNew();
        (await simulators.PostAsJsonAsync("_faults/fastly", new { outage = true })).EnsureSuccessStatusCode();
        string? answer;
        while ((answer = await DnsConfirmation.QueryCnameAsync(server, name, default)) == fastlyTarget && watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(10);
        }
        var elapsed = watch.Elapsed.TotalSeconds;
        (await simulators.DeleteAsync("_faults/fastly")).EnsureSuccessStatusCode();
        if (answer == fastlyTarget)
        {
            missed++;
            Log($"trial {trial}: no DNS change within 90 s");
        }
        else
        {
            times.Add(elapsed);
            Console.WriteLine($"trial={trial} outage_to_dns_change_s={elapsed:0.000} new_target={answer}");
        }
        // Back to Fastly: it answers again, M good probes make it healthy, failover returns to it.
        await Until(SteadyAsync, TimeSpan.FromMinutes(2), "back on Fastly");
    }
    times.Sort();
    if (times.Count == 0)
    {
        Console.WriteLine($"failover_trials={trials} missed={missed}");
        return 1;
    }
    var median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
    Console.WriteLine($"failover_trials={trials} changed={times.Count} missed={missed} probe_interval_s={interval.TotalSeconds} "
        + $"median_s={median:0.00} min_s={times[0]:0.00} max_s={times[^1]:0.00} mean_s={times.Average():0.00}");
    return missed == 0 ? 0 : 1;
}

static async Task Until(Func<Task<bool>> done, TimeSpan limit, string what)
{
    var watch = Stopwatch.StartNew();
    while (!await done())
    {
        if (watch.Elapsed > limit)
        {
            throw new TimeoutException($"not {what} after {limit}");
        }
        await Task.Delay(250);
    }
}

// The steering decision over jittered rounds without an outage, on an injected (simulated) clock: probes every 5 s per
// provider, each at its own phase, latency = the simulators' demo base + uniform jitter, plus a tail (5 % of probes
// 50-500 ms slower: a loaded machine, a lost packet's retransmit); optionally a share of transient single failures.
// Each 2 s round builds the candidates as SteeringRound.CandidatesAsync does (lookback, ProviderHealth.Evaluate,
// LatencyHistogram p95 over the fastest window) and asks SteeringDecider.Decide, carrying its state between rounds.
static int Decider(string[] a)
{
    // MEDIAN_GUARD=0 feeds the candidates without their median, as SteeringRound did before the guard (before/after).
    var medianGuard = Environment.GetEnvironmentVariable("MEDIAN_GUARD") != "0";
    // MEDIAN_GUARD=0 leaves the median out of the candidates, as the decider was fed before the guard (for before/after).
    var (rounds, seed, errorRate) = (int.Parse(a[0]), int.Parse(a[1]), double.Parse(a[2], System.Globalization.CultureInfo.InvariantCulture));
    var probeInterval = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("PROBE_INTERVAL_S") ?? "5"));
    var tailShare = double.Parse(Environment.GetEnvironmentVariable("TAIL_SHARE") ?? "0.05", System.Globalization.CultureInfo.InvariantCulture);
    var roundInterval = TimeSpan.FromSeconds(2);
    var providers = new (string Name, int BaseMs, int JitterMs)[] { ("sim-fastly", 12, 6), ("sim-akamai", 15, 8), ("sim-maxcdn", 35, 25) };
    var scenarios = new (string Label, SteeringPolicy Policy, (string Name, int BaseMs, int JitterMs)[] Providers)[]
    {
        ("failover, demo latencies", SteeringPolicy.Failover, providers),
        ("fastest, demo latencies", SteeringPolicy.Fastest, providers),
        // The hard case for `fastest`: two providers whose p95 differ by less than the margin, the slower one active.
        ("fastest, two within the margin (12+6 vs 13+6 ms)", SteeringPolicy.Fastest, [("sim-fastly", 13, 6), ("sim-akamai", 12, 6)]),
    };
    var total = 0;
    foreach (var (label, policy, set) in scenarios)
    {
        var random = new Random(seed);
        var ids = set.Select(_ => Guid.NewGuid()).ToArray();
        var phases = set.Select(_ => TimeSpan.FromSeconds(random.NextDouble() * probeInterval.TotalSeconds)).ToArray();
        var thresholds = SteeringThresholds.Default;
        var start = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var probes = set.Select(_ => new List<ProbeResult>()).ToArray();
        var next = phases.Select(p => start - thresholds.Lookback + p).ToArray();
        Guid? active = ids[0], challenger = null;
        int challengerRounds = 0, switches = 0, errors = 0, probesMade = 0, challenges = 0;
        var alert = false;
        var now = start;
        for (var round = 0; round < rounds; round++, now += roundInterval)
        {
            for (var p = 0; p < set.Length; p++)
            {
                for (; next[p] <= now; next[p] += probeInterval)
                {
                    var ok = random.NextDouble() >= errorRate;
                    var ms = set[p].BaseMs + random.NextDouble() * set[p].JitterMs + (random.NextDouble() < tailShare ? 50 + random.NextDouble() * 450 : 0);
                    probes[p].Add(new ProbeResult(next[p], ok, ok ? ms : null));
                    probesMade++;
                    errors += ok ? 0 : 1;
                }
                probes[p].RemoveAll(x => x.At < now - thresholds.Lookback);
            }
            var fastestFrom = now - TimeSpan.FromSeconds(thresholds.FastestWindowSeconds);
            var candidates = set.Select((provider, p) =>
            {
                var (state, reason, rate) = ProviderHealth.Evaluate(probes[p], thresholds, now);
                var latency = new LatencyHistogram();
                foreach (var probe in probes[p].Where(x => x.Ok && x.At >= fastestFrom && x.TotalMs is not null))
                {
                    latency.Record(probe.TotalMs!.Value);
                }
                return new SteeringCandidate(ids[p], provider.Name, state, reason, latency.Percentile(95), (int)latency.Count, probes[p].Count, rate,
                    medianGuard ? latency.Percentile(50) : null);
            }).ToList();
            var decision = SteeringDecider.Decide(new SteeringSituation(policy, thresholds, candidates, active, null, challenger, challengerRounds, alert));
            challenger = decision.Challenger;
            challengerRounds = decision.ChallengerRounds;
            challenges += decision.Challenger is null ? 0 : 1;
            alert = decision.AlertOpen;
            if (decision.SwitchTo is { } to && to != active)
            {
                switches++;
                Console.Error.WriteLine($"  {label}: round {round} switched to {set[Array.IndexOf(ids, to)].Name}: {decision.Reason}");
                active = to;
            }
        }
        total += switches;
        Console.WriteLine($"decider scenario=\"{label}\" rounds={rounds} probes={probesMade} transient_errors={errors} "
            + $"rounds_with_a_challenger={challenges} false_switches={switches}");
    }
    Console.WriteLine($"decider_false_switches_total={total} rounds_per_scenario={rounds} seed={seed} transient_error_rate={errorRate} tail_share={tailShare} median_guard={medianGuard} probe_interval_s={probeInterval.TotalSeconds}");
    return 0;
}
