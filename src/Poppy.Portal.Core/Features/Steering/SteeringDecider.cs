using System.Text.Json;
using System.Text.Json.Serialization;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>
/// The operator's thresholds for health gating and <c>fastest</c>; any left out keep these defaults. With a 10 s probe
/// interval the defaults call a provider down after its second failed probe (within two intervals of an outage) and up
/// again after three good ones.
/// </summary>
public sealed record SteeringThresholds
{
    /// <summary>K: consecutive failed probes that make a provider unhealthy.</summary>
    [JsonPropertyName("failures_to_unhealthy")] public int FailuresToUnhealthy { get; init; } = 2;

    /// <summary>M: consecutive successful probes that make an unhealthy provider healthy again.</summary>
    [JsonPropertyName("successes_to_healthy")] public int SuccessesToHealthy { get; init; } = 3;

    /// <summary>An error rate above this (0-1) over <see cref="ErrorRateWindowSeconds"/> makes a provider unhealthy too.</summary>
    [JsonPropertyName("error_rate")] public double ErrorRate { get; init; } = 0.5;

    [JsonPropertyName("error_rate_window_seconds")] public int ErrorRateWindowSeconds { get; init; } = 60;

    /// <summary>Fewer probes than this in the window say nothing about an error rate.</summary>
    [JsonPropertyName("error_rate_min_samples")] public int ErrorRateMinSamples { get; init; } = 4;

    /// <summary><c>fastest</c> compares p95 over this window.</summary>
    [JsonPropertyName("fastest_window_seconds")] public int FastestWindowSeconds { get; init; } = 300;

    /// <summary>A challenger must be faster by this share (0.2 = 20 % lower p95) ...</summary>
    [JsonPropertyName("fastest_margin")] public double FastestMargin { get; init; } = 0.2;

    /// <summary>... in this many rounds in a row before <c>fastest</c> switches to it.</summary>
    [JsonPropertyName("fastest_rounds")] public int FastestRounds { get; init; } = 3;

    /// <summary>A provider's p95 counts once it has this many successful probes in the window (fewer make a p95 that is mostly noise).</summary>
    [JsonPropertyName("fastest_min_samples")] public int FastestMinSamples { get; init; } = 20;

    public static SteeringThresholds Default { get; } = new();

    /// <summary>How far back a round reads probes: the longer of the two windows.</summary>
    [JsonIgnore]
    public TimeSpan Lookback => TimeSpan.FromSeconds(Math.Max(ErrorRateWindowSeconds, FastestWindowSeconds));

    public static readonly JsonSerializerOptions Json = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static SteeringThresholds Read(string? json) =>
        string.IsNullOrEmpty(json) ? Default : JsonSerializer.Deserialize<SteeringThresholds>(json, Json) ?? Default;

    public string Write() => JsonSerializer.Serialize(this, Json);

    /// <summary>What is wrong with these thresholds, by JSON field name.</summary>
    public IEnumerable<(string Field, string Message)> Problems()
    {
        if (FailuresToUnhealthy is < 1 or > 100) yield return ("failures_to_unhealthy", "between 1 and 100");
        if (SuccessesToHealthy is < 1 or > 100) yield return ("successes_to_healthy", "between 1 and 100");
        if (ErrorRate is <= 0 or > 1 || double.IsNaN(ErrorRate)) yield return ("error_rate", "above 0 and at most 1");
        if (ErrorRateWindowSeconds is < 10 or > 86400) yield return ("error_rate_window_seconds", "between 10 and 86400");
        if (ErrorRateMinSamples is < 1 or > 10_000) yield return ("error_rate_min_samples", "between 1 and 10000");
        if (FastestWindowSeconds is < 10 or > 86400) yield return ("fastest_window_seconds", "between 10 and 86400");
        if (FastestMargin is < 0 or >= 1 || double.IsNaN(FastestMargin)) yield return ("fastest_margin", "at least 0 and below 1");
        if (FastestRounds is < 1 or > 1000) yield return ("fastest_rounds", "between 1 and 1000");
        if (FastestMinSamples is < 1 or > 10_000) yield return ("fastest_min_samples", "between 1 and 10000");
    }
}

public enum HealthState { Unknown, Healthy, Unhealthy }

/// <summary>One probe as health gating reads it: when, and whether the edge served it (skipped probes are left out).</summary>
public sealed record ProbeResult(DateTimeOffset At, bool Ok, double? TotalMs);

/// <summary>A provider's health as the last round saw it (kept as JSON on <see cref="ServiceSteering.Health"/>).</summary>
public sealed record ProviderHealthReport(
    [property: JsonPropertyName("provider_account_id")] Guid ProviderAccountId,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("state")] HealthState State,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("error_rate")] double? ErrorRate,
    [property: JsonPropertyName("p95_ms")] double? P95Ms,
    [property: JsonPropertyName("latency_samples")] int LatencySamples)
{
    public bool Healthy => State == HealthState.Healthy;
}

/// <summary>
/// Health gating from a provider's recent probes, oldest first: a provider starts healthy, becomes unhealthy after K
/// failed probes in a row, and healthy again after M good ones in a row; an error rate over the window above the
/// threshold makes it unhealthy as well, unless its last M probes were good. No probes, or a last probe that failed
/// (fewer than K in a row): unknown, which no switch goes to and no switch leaves for.
/// </summary>
public static class ProviderHealth
{
    public static (HealthState State, string Reason, double? ErrorRate) Evaluate(
        IReadOnlyList<ProbeResult> probes, SteeringThresholds thresholds, DateTimeOffset now)
    {
        if (probes.Count == 0)
        {
            return (HealthState.Unknown, "no probes yet", null);
        }

        var healthy = true;
        int failures = 0, successes = 0;
        foreach (var probe in probes)
        {
            if (probe.Ok)
            {
                successes++;
                failures = 0;
                healthy |= successes >= thresholds.SuccessesToHealthy;
            }
            else
            {
                failures++;
                successes = 0;
                healthy &= failures < thresholds.FailuresToUnhealthy;
            }
        }

        var from = now - TimeSpan.FromSeconds(thresholds.ErrorRateWindowSeconds);
        var recent = probes.Where(p => p.At > from).ToList();
        double? rate = recent.Count == 0 ? null : Math.Round((double)recent.Count(p => !p.Ok) / recent.Count, 4);
        if (!healthy)
        {
            return (HealthState.Unhealthy, $"{failures} failed probes in a row (unhealthy after {thresholds.FailuresToUnhealthy}; healthy again after {thresholds.SuccessesToHealthy} good ones)", rate);
        }
        if (recent.Count >= thresholds.ErrorRateMinSamples && rate > thresholds.ErrorRate && successes < thresholds.SuccessesToHealthy)
        {
            return (HealthState.Unhealthy, $"error rate {rate:P0} over {thresholds.ErrorRateWindowSeconds} s is above {thresholds.ErrorRate:P0}", rate);
        }
        // Not down yet, but its last probe failed: no switch goes to it, and none leaves it for this alone.
        return failures > 0
            ? (HealthState.Unknown, $"last probe failed ({failures} of {thresholds.FailuresToUnhealthy} before unhealthy)", rate)
            : (HealthState.Healthy, $"{successes} good probes in a row", rate);
    }
}

/// <summary>One provider steering may point at, in the service's priority order, with what the round measured.</summary>
/// <param name="Samples">Probes of the lookback that health read; <paramref name="ErrorRate"/> over the error-rate window.</param>
/// <param name="P50Ms">The median over the same probes as <paramref name="P95Ms"/>; null when not measured (no median guard).</param>
public sealed record SteeringCandidate(Guid ProviderAccountId, string Name, HealthState Health, string HealthReason, double? P95Ms, int LatencySamples,
    int Samples = 0, double? ErrorRate = null, double? P50Ms = null);

/// <summary>Everything a decision reads: the policy, the candidates (priority order) and what steering remembers.</summary>
/// <param name="Weights"><c>weighted</c>: the operator's weight per provider.</param>
/// <param name="Written">The weighted set the records hold now; null while they are one plain CNAME.</param>
public sealed record SteeringSituation(
    SteeringPolicy Policy,
    SteeringThresholds Thresholds,
    IReadOnlyList<SteeringCandidate> Candidates,
    Guid? Active,
    Guid? Pinned,
    Guid? Challenger,
    int ChallengerRounds,
    bool AlertOpen,
    IReadOnlyDictionary<Guid, int>? Weights = null,
    IReadOnlyList<ProviderWeight>? Written = null);

/// <summary>
/// A round's verdict: switch to <see cref="SwitchTo"/> (null: stay), why, and the state to remember. <see cref="RaiseAlert"/>
/// when every provider is unhealthy and no alert is open yet; <see cref="ClearAlert"/> when one is healthy again.
/// </summary>
/// <param name="WriteWeights"><c>weighted</c>: the set to write instead (null: leave the records as they are).</param>
public sealed record SteeringDecision(Guid? SwitchTo, string Reason, Guid? Challenger, int ChallengerRounds, bool AlertOpen, bool RaiseAlert, bool ClearAlert,
    IReadOnlyList<ProviderWeight>? WriteWeights = null);

/// <summary>
/// The steering decision as a pure function of the situation: no clock, no database, no DNS. Rules for every policy:
/// never switch to a provider that is not healthy; with none healthy, stay and raise an alert (once).
/// <list type="bullet">
/// <item><c>manual</c>: the pinned provider, when it is healthy (else stay).</item>
/// <item><c>failover</c>: the first healthy provider in priority order; back to a higher one once it is healthy again.</item>
/// <item><c>fastest</c>: away from an unhealthy active provider at once, to the fastest healthy one; otherwise to a
/// challenger only when its p95 and its median are lower by the margin for the configured rounds in a row.</item>
/// <item><c>weighted</c>: the operator's weights of the providers that are healthy (or not yet down and already in the
/// written set); an unhealthy provider's weight is taken out, and restored once it is healthy again. With no weighted
/// provider left, stay and alert.</item>
/// </list>
/// Leaving <c>weighted</c> for another policy replaces the weighted set with one CNAME (to the active provider when it is
/// not down) even where the policy would otherwise stay.
/// </summary>
public static class SteeringDecider
{
    public static SteeringDecision Decide(SteeringSituation s)
    {
        if (s.Policy == SteeringPolicy.Weighted)
        {
            return DecideWeighted(s);
        }

        var decision = DecideOne(s);
        if (s.Written is not null && decision.SwitchTo is null)
        {
            // The records still hold a weighted set: one CNAME again, where the policy stands.
            var active = s.Candidates.FirstOrDefault(c => c.ProviderAccountId == s.Active && c.Health != HealthState.Unhealthy);
            var to = active ?? s.Candidates.FirstOrDefault(c => c.Health == HealthState.Healthy);
            if (to is not null)
            {
                return decision with { SwitchTo = to.ProviderAccountId, Reason = $"policy {s.Policy.WireName()} replaces the weighted set with one CNAME to {to.Name}" };
            }
        }

        return decision;
    }

    private static SteeringDecision DecideWeighted(SteeringSituation s)
    {
        var weights = s.Weights ?? new Dictionary<Guid, int>();
        var weighted = s.Candidates.Where(c => weights.GetValueOrDefault(c.ProviderAccountId) > 0).ToList();
        var wanted = weighted
            .Where(c => c.Health == HealthState.Healthy
                || (c.Health == HealthState.Unknown && s.Written?.Any(w => w.ProviderAccountId == c.ProviderAccountId) == true))
            .Select(c => new ProviderWeight(c.ProviderAccountId, c.Name, weights[c.ProviderAccountId]))
            .ToList();
        var down = weighted.Where(c => c.Health == HealthState.Unhealthy).ToList();
        var downWords = string.Join("; ", down.Select(c => $"{c.Name} is unhealthy ({c.HealthReason}): its weight is taken out"));
        if (wanted.Count == 0)
        {
            var alarming = down.Count > 0;
            var reason = alarming ? $"every weighted provider is unhealthy: staying ({downWords})" : "no weighted provider is known healthy yet: staying";
            return new(null, reason, null, 0, s.AlertOpen || alarming, alarming && !s.AlertOpen, false);
        }

        if (WeightedSets.Same(wanted, s.Written))
        {
            return new(null, $"weights as written: {WeightedSets.Describe(wanted)}", null, 0, false, false, s.AlertOpen);
        }

        var why = new List<string>();
        if (down.Count > 0)
        {
            why.Add(downWords);
        }

        var back = wanted.Where(w => s.Written is not null && !s.Written.Any(x => x.ProviderAccountId == w.ProviderAccountId)
            && s.Candidates.Any(c => c.ProviderAccountId == w.ProviderAccountId)).Select(w => $"{w.Name} is healthy: its weight {w.Weight} is in").ToList();
        why.AddRange(back);
        if (s.Written is null)
        {
            why.Insert(0, "policy weighted: one weighted set instead of the CNAME");
        }
        else if (why.Count == 0)
        {
            why.Add("the operator's weights changed");
        }

        return new(null, $"{string.Join("; ", why)}; writing {WeightedSets.Describe(wanted)}", null, 0, false, false, s.AlertOpen, wanted);
    }

    private static SteeringDecision DecideOne(SteeringSituation s)
    {
        var healthy = s.Candidates.Where(c => c.Health == HealthState.Healthy).ToList();
        var active = s.Candidates.FirstOrDefault(c => c.ProviderAccountId == s.Active);
        var activeDown = active is null || active.Health == HealthState.Unhealthy;

        if (healthy.Count == 0)
        {
            // Nowhere better to go. An alert when the active provider is down (not when nothing was probed yet).
            var alarming = activeDown && s.Candidates.Any(c => c.Health == HealthState.Unhealthy);
            return new(null, alarming ? "every provider is unhealthy: staying" : "no provider is known healthy yet: staying",
                null, 0, s.AlertOpen || alarming, alarming && !s.AlertOpen, false);
        }

        var clear = s.AlertOpen;
        switch (s.Policy)
        {
            case SteeringPolicy.Manual:
            {
                var pinned = s.Candidates.FirstOrDefault(c => c.ProviderAccountId == s.Pinned);
                if (pinned is null || pinned.ProviderAccountId == s.Active)
                {
                    return Stay(pinned is null ? "no pinned provider" : $"pinned to {pinned.Name}");
                }
                return pinned.Health == HealthState.Healthy
                    ? Switch(pinned, $"pinned to {pinned.Name}")
                    : Stay($"pinned to {pinned.Name}, which is not healthy ({pinned.HealthReason}): staying");
            }
            case SteeringPolicy.Fastest:
            {
                if (activeDown)
                {
                    var fastest = healthy.Where(c => c.P95Ms is not null && c.LatencySamples >= s.Thresholds.FastestMinSamples)
                        .OrderBy(c => c.P95Ms).FirstOrDefault() ?? healthy[0];
                    return Switch(fastest, Away(active, fastest));
                }
                var best = healthy.Where(c => c.P95Ms is not null && c.LatencySamples >= s.Thresholds.FastestMinSamples)
                    .OrderBy(c => c.P95Ms).FirstOrDefault();
                // Faster by the margin at the median too: a p95 over a few dozen probes is set by their two or three
                // slowest, so one slow probe of the active provider would otherwise hand the lead to a challenger that is
                // no faster, and the next slow probe of that one hands it back (bench/failover, jittered rounds).
                if (best is null || best.ProviderAccountId == s.Active || active!.P95Ms is not { } current
                    || best.P95Ms > current * (1 - s.Thresholds.FastestMargin)
                    || (best.P50Ms is { } bestMedian && active.P50Ms is { } median && bestMedian > median * (1 - s.Thresholds.FastestMargin)))
                {
                    return Stay(active!.P95Ms is { } p95 ? $"{active.Name} is the fastest within the margin (p95 {p95:0.#} ms)" : $"{active.Name} has no latency figures yet");
                }
                var rounds = s.Challenger == best.ProviderAccountId ? s.ChallengerRounds + 1 : 1;
                var why = $"{best.Name} p95 {best.P95Ms:0.#} ms is more than {s.Thresholds.FastestMargin:P0} below {active.Name}'s {current:0.#} ms";
                return rounds >= s.Thresholds.FastestRounds
                    ? Switch(best, $"{why} for {rounds} rounds in a row")
                    : new(null, $"{why} ({rounds} of {s.Thresholds.FastestRounds} rounds)", best.ProviderAccountId, rounds, false, false, clear && !activeDown);
            }
            default:
            {
                var first = healthy[0];
                if (first.ProviderAccountId == s.Active)
                {
                    return Stay($"{first.Name} is the first healthy provider in priority order");
                }
                if (!activeDown && Position(s, active!) < Position(s, first))
                {
                    // The active provider comes first and is not down (a probe failed, but fewer than K): stay.
                    return Stay($"{active!.Name} comes first in priority order ({active.HealthReason})");
                }
                return Switch(first, activeDown ? Away(active, first) : $"{first.Name} comes first in priority order and is healthy again");
            }
        }

        SteeringDecision Stay(string reason) => new(null, reason, null, 0, s.AlertOpen && activeDown, false, clear && !activeDown);

        SteeringDecision Switch(SteeringCandidate to, string reason) => new(to.ProviderAccountId, reason, null, 0, false, false, clear);
    }

    private static int Position(SteeringSituation s, SteeringCandidate c) => s.Candidates.ToList().IndexOf(c);

    private static string Away(SteeringCandidate? active, SteeringCandidate to) =>
        active is null ? $"to {to.Name}: the active provider is no longer one of the service's providers"
        : $"{active.Name} is unhealthy ({active.HealthReason}); {to.Name} is healthy";
}
