using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Core.Tests.Steering;

/// <summary>
/// The decision logic on an injected clock: three providers probed every <see cref="Interval"/> (each at its own offset
/// inside the interval), a round every <see cref="Round"/>, health and decision computed exactly as the steering round
/// does (<see cref="ProviderHealth"/> on the probes of the lookback, then <see cref="SteeringDecider"/>), and switches
/// applied to the state the next round reads.
/// </summary>
public sealed class SteeringDeciderTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Round = TimeSpan.FromSeconds(2);
    private static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    private static readonly Guid C = Guid.Parse("00000000-0000-0000-0000-00000000000c");

    /// <summary>What an edge answers at a time: ok or not, and in how many ms.</summary>
    private delegate (bool Ok, double Ms) Edge(DateTimeOffset at);

    private sealed class Simulation(SteeringPolicy policy, SteeringThresholds? thresholds = null, int seed = 1)
    {
        public ManualClock Clock { get; } = new();
        public Dictionary<Guid, Edge> Edges { get; } = [];
        public Dictionary<Guid, List<ProbeResult>> Probes { get; } = new() { [A] = [], [B] = [], [C] = [] };
        public Guid? Active { get; set; } = A;
        public Guid? Pinned { get; set; }
        public List<(DateTimeOffset At, Guid? From, Guid To, string Reason)> Switches { get; } = [];
        public List<DateTimeOffset> Alerts { get; } = [];
        private readonly SteeringThresholds thresholds = thresholds ?? SteeringThresholds.Default;
        private readonly Random random = new(seed);
        private readonly Dictionary<Guid, TimeSpan> offsets = new() { [A] = TimeSpan.FromSeconds(1.3), [B] = TimeSpan.FromSeconds(4.1), [C] = TimeSpan.FromSeconds(7.7) };
        private Guid? challenger;
        private int rounds;
        private bool alertOpen;

        public double Jitter(double around, double spread) => around + (random.NextDouble() * 2 - 1) * spread;

        /// <summary>Runs rounds until <paramref name="length"/> has passed; probes fall due at their slots in between.</summary>
        public void Run(TimeSpan length)
        {
            var until = Clock.GetUtcNow() + length;
            while (Clock.GetUtcNow() < until)
            {
                var from = Clock.GetUtcNow();
                Clock.Advance(Round);
                var now = Clock.GetUtcNow();
                foreach (var (id, edge) in Edges)
                {
                    // The probe slots in (from, now]: every Interval at the provider's offset.
                    var slot = new DateTimeOffset(from.UtcTicks - from.UtcTicks % Interval.Ticks, TimeSpan.Zero) + offsets[id];
                    for (; slot <= now; slot += Interval)
                    {
                        if (slot > from)
                        {
                            var (ok, ms) = edge(slot);
                            Probes[id].Add(new ProbeResult(slot, ok, ms));
                        }
                    }
                }
                Decide(now);
            }
        }

        private void Decide(DateTimeOffset now)
        {
            var since = now - thresholds.Lookback;
            var candidates = new[] { A, B, C }.Where(Edges.ContainsKey).Select(id =>
            {
                var probes = Probes[id].Where(p => p.At >= since).ToList();
                var (state, reason, _) = ProviderHealth.Evaluate(probes, thresholds, now);
                var ok = probes.Where(p => p.Ok && p.At >= now - TimeSpan.FromSeconds(thresholds.FastestWindowSeconds)).Select(p => p.TotalMs!.Value).Order().ToList();
                double? p95 = ok.Count == 0 ? null : ok[(int)Math.Ceiling(ok.Count * 0.95) - 1];
                double? p50 = ok.Count == 0 ? null : ok[(int)Math.Ceiling(ok.Count * 0.5) - 1];
                return new SteeringCandidate(id, id == A ? "a" : id == B ? "b" : "c", state, reason, p95, ok.Count, P50Ms: p50);
            }).ToList();
            var decision = SteeringDecider.Decide(new SteeringSituation(policy, thresholds, candidates, Active, Pinned, challenger, rounds, alertOpen));
            challenger = decision.Challenger;
            rounds = decision.ChallengerRounds;
            alertOpen = decision.AlertOpen;
            if (decision.RaiseAlert)
            {
                Alerts.Add(now);
            }
            if (decision.SwitchTo is { } to)
            {
                Switches.Add((now, Active, to, decision.Reason));
                Active = to;
            }
        }
    }

    private static Edge Healthy(double ms = 40) => _ => (true, ms);

    private static Edge DownBetween(DateTimeOffset from, DateTimeOffset until, double ms = 40) => at => at >= from && at < until ? (false, 5000) : (true, ms);

    [Theory]
    [InlineData(SteeringPolicy.Failover)]
    [InlineData(SteeringPolicy.Fastest)]
    public void An_outage_of_the_active_provider_switches_within_two_probe_intervals_and_a_round(SteeringPolicy policy)
    {
        // The outage starts at every offset within a probe interval: the switch must follow within two intervals each time.
        for (var start = 0; start < 10; start++)
        {
            var sim = new Simulation(policy);
            sim.Edges[A] = Healthy(30);
            sim.Edges[B] = Healthy(50);
            sim.Edges[C] = Healthy(60);
            sim.Run(TimeSpan.FromMinutes(2));
            Assert.Empty(sim.Switches);

            var outage = sim.Clock.GetUtcNow() + TimeSpan.FromSeconds(start + 0.5);
            sim.Edges[A] = DownBetween(outage, DateTimeOffset.MaxValue);
            sim.Run(TimeSpan.FromSeconds(40));

            var change = Assert.Single(sim.Switches);
            Assert.Equal(A, change.From);
            Assert.Equal(B, change.To);
            // K = 2 failed probes: the first comes within an interval of the outage, the second one interval later, and the
            // next round acts on it.
            Assert.True(change.At - outage <= 2 * Interval + Round, $"outage at +{start}.5 s switched after {(change.At - outage).TotalSeconds} s");
            Assert.Contains("a is unhealthy", change.Reason);
        }
    }

    [Fact]
    public void Failover_returns_to_the_first_provider_after_M_good_probes_and_not_before()
    {
        var sim = new Simulation(SteeringPolicy.Failover);
        sim.Edges[B] = Healthy();
        sim.Edges[C] = Healthy();
        sim.Edges[A] = Healthy();
        sim.Run(TimeSpan.FromMinutes(1));
        var outage = sim.Clock.GetUtcNow();
        var back = outage + TimeSpan.FromSeconds(60);
        sim.Edges[A] = DownBetween(outage, back);
        sim.Run(TimeSpan.FromMinutes(3));

        Assert.Equal(2, sim.Switches.Count);
        Assert.Equal((A, B), (sim.Switches[0].From!.Value, sim.Switches[0].To));
        Assert.Equal((B, A), (sim.Switches[1].From!.Value, sim.Switches[1].To));
        // Three good probes (M) of A after it came back: not earlier than its third probe, not later than its fourth.
        var goodProbes = sim.Probes[A].Where(p => p.At >= back).Select(p => p.At).ToList();
        Assert.InRange(sim.Switches[1].At, goodProbes[2], goodProbes[3]);
        Assert.Contains("priority order and is healthy again", sim.Switches[1].Reason);
    }

    [Fact]
    public void Manual_stays_on_the_pin_through_an_outage_elsewhere_and_never_moves_to_an_unhealthy_pin()
    {
        var sim = new Simulation(SteeringPolicy.Manual) { Pinned = C };
        sim.Edges[A] = Healthy();
        sim.Edges[B] = Healthy();
        var cDownUntil = sim.Clock.GetUtcNow() + TimeSpan.FromSeconds(90);
        sim.Edges[C] = DownBetween(DateTimeOffset.MinValue, cDownUntil);
        sim.Run(TimeSpan.FromSeconds(80));
        Assert.Empty(sim.Switches); // the pin is unhealthy: stay on A

        sim.Run(TimeSpan.FromMinutes(2));
        var pin = Assert.Single(sim.Switches);
        Assert.Equal(C, pin.To);
        Assert.True(pin.At > cDownUntil);

        sim.Edges[A] = DownBetween(sim.Clock.GetUtcNow(), DateTimeOffset.MaxValue);
        sim.Run(TimeSpan.FromMinutes(1));
        Assert.Single(sim.Switches);
    }

    [Theory]
    [InlineData(SteeringPolicy.Failover)]
    [InlineData(SteeringPolicy.Fastest)]
    [InlineData(SteeringPolicy.Manual)]
    public void Latency_jitter_without_an_outage_never_switches_in_a_thousand_rounds(SteeringPolicy policy)
    {
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var sim = new Simulation(policy, seed: seed) { Pinned = A };
            // Wild jitter, overlapping ranges; B and C are often faster than A at a single probe, but not by the margin over the window.
            sim.Edges[A] = _ => (true, sim.Jitter(50, 30));
            sim.Edges[B] = _ => (true, sim.Jitter(48, 30));
            sim.Edges[C] = _ => (true, sim.Jitter(52, 30));
            sim.Run(Round * 1000);
            Assert.Empty(sim.Switches);
            Assert.Empty(sim.Alerts);
        }
    }

    [Fact]
    public void Fastest_switches_once_to_a_clearly_faster_provider_and_not_back_and_forth_within_the_margin()
    {
        var sim = new Simulation(SteeringPolicy.Fastest);
        sim.Edges[A] = _ => (true, sim.Jitter(100, 5));
        sim.Edges[B] = _ => (true, sim.Jitter(60, 5)); // 40 % faster: beyond the 20 % margin
        sim.Edges[C] = _ => (true, sim.Jitter(200, 5));
        sim.Run(TimeSpan.FromMinutes(10));
        var change = Assert.Single(sim.Switches);
        Assert.Equal((A, B), (change.From!.Value, change.To));
        Assert.Contains("for 3 rounds in a row", change.Reason);

        // Now A gets a little faster than B, within the margin: no switch back, however long it lasts.
        sim.Edges[A] = _ => (true, sim.Jitter(55, 5));
        sim.Run(TimeSpan.FromMinutes(20));
        Assert.Single(sim.Switches);
    }

    [Fact]
    public void Fastest_does_not_flap_between_two_providers_within_the_margin_when_a_few_slow_probes_set_their_p95()
    {
        // Same median give or take a millisecond, and 5 % of probes 50-500 ms slower (a loaded host, a retransmit): over
        // the 5-minute window a p95 of 30 probes is set by the two slowest, so it jumps between ~20 ms and hundreds of ms.
        var sim = new Simulation(SteeringPolicy.Fastest, new SteeringThresholds { FastestMinSamples = 10 }, seed: 7);
        var random = new Random(7);
        Edge edge(double around) => _ => (true, sim.Jitter(around, 3) + (random.NextDouble() < 0.05 ? 50 + random.NextDouble() * 450 : 0));
        sim.Edges[A] = edge(16);
        sim.Edges[B] = edge(15);
        sim.Run(TimeSpan.FromSeconds(2000)); // 1,000 rounds
        Assert.Empty(sim.Switches);
    }

    [Fact]
    public void Fastest_waits_for_the_configured_rounds_in_a_row_and_a_break_in_the_streak_starts_over()
    {
        var thresholds = new SteeringThresholds { FastestRounds = 5, FastestWindowSeconds = 30, FastestMinSamples = 2 };
        // (figures given directly: the streak logic alone)
        var candidates = (double bP95) => new List<SteeringCandidate>
        {
            new(A, "a", HealthState.Healthy, "", 100, 10),
            new(B, "b", HealthState.Healthy, "", bP95, 10),
        };
        var streak = (Guid?)null;
        var rounds = 0;
        foreach (var (bP95, expectRounds) in new[] { (70.0, 1), (70.0, 2), (85.0, 0), (70.0, 1), (70.0, 2), (70.0, 3), (70.0, 4) })
        {
            var d = SteeringDecider.Decide(new SteeringSituation(SteeringPolicy.Fastest, thresholds, candidates(bP95), A, null, streak, rounds, false));
            Assert.Null(d.SwitchTo);
            Assert.Equal(expectRounds, d.ChallengerRounds);
            (streak, rounds) = (d.Challenger, d.ChallengerRounds);
        }
        var last = SteeringDecider.Decide(new SteeringSituation(SteeringPolicy.Fastest, thresholds, candidates(70), A, null, streak, rounds, false));
        Assert.Equal(B, last.SwitchTo);
    }

    [Fact]
    public void When_every_provider_is_down_steering_stays_and_raises_one_alert_then_clears_it_on_recovery()
    {
        var sim = new Simulation(SteeringPolicy.Failover);
        sim.Edges[A] = Healthy();
        sim.Edges[B] = Healthy();
        sim.Run(TimeSpan.FromMinutes(1));
        var outage = sim.Clock.GetUtcNow();
        var back = outage + TimeSpan.FromMinutes(2);
        sim.Edges[A] = DownBetween(outage, back);
        sim.Edges[B] = DownBetween(outage, back);
        sim.Run(TimeSpan.FromMinutes(4));

        // B may be taken while A is noticed first; never a switch to a provider that is down.
        Assert.All(sim.Switches, s => Assert.True(s.At < outage + 2 * Interval || s.At > back, $"switched to {s.To} at {s.At - outage}"));
        Assert.Single(sim.Alerts);
        Assert.InRange(sim.Alerts[0], outage, outage + 3 * Interval);
    }

    [Fact]
    public void An_error_rate_over_the_window_makes_a_provider_unhealthy_even_without_K_failures_in_a_row()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        // One probe in three succeeds: never three failures in a row (K = 3 here), but two thirds of the window fail.
        var probes = Enumerable.Range(0, 12).Select(i => new ProbeResult(now - TimeSpan.FromSeconds(5 * (12 - i)), i % 3 == 0, 30)).ToList();
        var (state, reason, rate) = ProviderHealth.Evaluate(probes, SteeringThresholds.Default with { FailuresToUnhealthy = 3 }, now);
        Assert.Equal(HealthState.Unhealthy, state);
        Assert.Contains("error rate", reason);
        Assert.True(rate > 0.5);

        var (none, why, _) = ProviderHealth.Evaluate([], SteeringThresholds.Default, now);
        Assert.Equal(HealthState.Unknown, none);
        Assert.Equal("no probes yet", why);
    }

    [Fact]
    public void No_switch_to_a_provider_that_was_never_probed()
    {
        var d = SteeringDecider.Decide(new SteeringSituation(SteeringPolicy.Failover, SteeringThresholds.Default,
            [new(A, "a", HealthState.Unhealthy, "down", null, 0), new(B, "b", HealthState.Unknown, "no probes yet", null, 0)], A, null, null, 0, false));
        Assert.Null(d.SwitchTo);
        Assert.True(d.RaiseAlert);
    }
}
