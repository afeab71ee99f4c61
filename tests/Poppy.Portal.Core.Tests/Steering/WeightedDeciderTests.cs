using Poppy.Portal.Core.Features.Steering;

namespace Poppy.Portal.Core.Tests.Steering;

/// <summary>The <c>weighted</c> policy's decisions: the operator's weights of the providers health lets through.</summary>
public sealed class WeightedDeciderTests
{
    private static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    private static readonly Guid C = Guid.Parse("00000000-0000-0000-0000-00000000000c");
    private static readonly Dictionary<Guid, int> Weights = new() { [A] = 3, [B] = 1, [C] = 0 };

    private static SteeringCandidate Candidate(Guid id, HealthState health) =>
        new(id, id == A ? "a" : id == B ? "b" : "c", health, health == HealthState.Unhealthy ? "2 failed probes in a row" : "fine", null, 0);

    private static SteeringDecision Decide(HealthState a, HealthState b, IReadOnlyList<ProviderWeight>? written, bool alertOpen = false,
        SteeringPolicy policy = SteeringPolicy.Weighted, Guid? active = null) =>
        SteeringDecider.Decide(new SteeringSituation(policy, SteeringThresholds.Default,
            [Candidate(A, a), Candidate(B, b), Candidate(C, HealthState.Healthy)], active ?? A, null, null, 0, alertOpen, Weights, written));

    private static List<ProviderWeight> Set(params (Guid Id, int Weight)[] weights) =>
        weights.Select(w => new ProviderWeight(w.Id, w.Id == A ? "a" : w.Id == B ? "b" : "c", w.Weight)).ToList();

    [Fact]
    public void From_a_plain_CNAME_it_writes_the_positive_weights_of_the_healthy_providers()
    {
        var decision = Decide(HealthState.Healthy, HealthState.Healthy, written: null);
        Assert.Equal([(A, 3), (B, 1)], decision.WriteWeights!.Select(w => (w.ProviderAccountId, w.Weight)));
        Assert.Null(decision.SwitchTo);
        Assert.Contains("a 3, b 1", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_set_as_written_writes_nothing()
    {
        var decision = Decide(HealthState.Healthy, HealthState.Healthy, Set((B, 1), (A, 3)));
        Assert.Null(decision.WriteWeights);
        Assert.Null(decision.SwitchTo);
    }

    [Fact]
    public void An_unhealthy_provider_s_weight_is_taken_out_and_restored_once_it_is_healthy_again()
    {
        var takenOut = Decide(HealthState.Unhealthy, HealthState.Healthy, Set((A, 3), (B, 1)));
        Assert.Equal([(B, 1)], takenOut.WriteWeights!.Select(w => (w.ProviderAccountId, w.Weight)));
        Assert.Contains("a is unhealthy", takenOut.Reason, StringComparison.Ordinal);

        // A failed probe short of unhealthy (unknown) keeps a written provider in, but does not bring one back.
        Assert.Null(Decide(HealthState.Unknown, HealthState.Healthy, Set((A, 3), (B, 1))).WriteWeights);
        Assert.Null(Decide(HealthState.Unknown, HealthState.Healthy, Set((B, 1))).WriteWeights);

        var restored = Decide(HealthState.Healthy, HealthState.Healthy, Set((B, 1)));
        Assert.Equal([(A, 3), (B, 1)], restored.WriteWeights!.Select(w => (w.ProviderAccountId, w.Weight)));
        Assert.Contains("a is healthy", restored.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void With_every_weighted_provider_unhealthy_it_stays_and_raises_the_alert_once()
    {
        // c is healthy but has weight 0: it is not a place to send traffic under these weights.
        var down = Decide(HealthState.Unhealthy, HealthState.Unhealthy, Set((A, 3), (B, 1)));
        Assert.Null(down.WriteWeights);
        Assert.Null(down.SwitchTo);
        Assert.True(down.RaiseAlert);
        Assert.True(down.AlertOpen);

        var still = Decide(HealthState.Unhealthy, HealthState.Unhealthy, Set((A, 3), (B, 1)), alertOpen: true);
        Assert.False(still.RaiseAlert);
        Assert.True(still.AlertOpen);

        var back = Decide(HealthState.Unhealthy, HealthState.Healthy, Set((A, 3), (B, 1)), alertOpen: true);
        Assert.True(back.ClearAlert);
        Assert.False(back.AlertOpen);
        Assert.Equal([(B, 1)], back.WriteWeights!.Select(w => (w.ProviderAccountId, w.Weight)));
    }

    [Fact]
    public void Another_policy_replaces_a_written_weighted_set_with_one_CNAME_even_where_it_would_stay()
    {
        var failover = Decide(HealthState.Healthy, HealthState.Healthy, Set((A, 3), (B, 1)), policy: SteeringPolicy.Failover, active: A);
        Assert.Equal(A, failover.SwitchTo);
        Assert.Null(failover.WriteWeights);
        Assert.Contains("replaces the weighted set", failover.Reason, StringComparison.Ordinal);

        // The active provider down: the policy's own choice.
        Assert.Equal(B, Decide(HealthState.Unhealthy, HealthState.Healthy, Set((A, 3), (B, 1)), policy: SteeringPolicy.Failover, active: A).SwitchTo);

        // Without a weighted set, failover on its first healthy provider stays.
        Assert.Null(Decide(HealthState.Healthy, HealthState.Healthy, null, policy: SteeringPolicy.Failover, active: A).SwitchTo);
    }

    [Fact]
    public void A_domain_added_with_a_plain_CNAME_makes_the_set_unwritten_for_weighted_but_still_weighted_for_the_other_policies()
    {
        var set = WeightedSets.WriteWritten([new WrittenWeight(A, "a", "www-a.edge.test", 3), new WrittenWeight(B, "b", "www-b.edge.test", 1)]);
        var weighted = new ServiceDnsRecord { Domain = "www.example.com", Weights = set };
        var added = new ServiceDnsRecord { Domain = "img.example.com" };

        Assert.Equal([(A, 3), (B, 1)], SteeringSwitcher.WrittenByAll([weighted])!.Select(w => (w.ProviderAccountId, w.Weight)));
        Assert.Null(SteeringSwitcher.WrittenByAll([weighted, added]));
        Assert.NotNull(SteeringSwitcher.WrittenOf([added, weighted]));

        // So weighted writes the set again (every domain gets it) ...
        Assert.NotNull(Decide(HealthState.Healthy, HealthState.Healthy, SteeringSwitcher.WrittenByAll([weighted, added])).WriteWeights);
        // ... and failover still replaces the one weighted record with a CNAME.
        Assert.Equal(A, Decide(HealthState.Healthy, HealthState.Healthy, SteeringSwitcher.WrittenOf([added, weighted]), policy: SteeringPolicy.Failover).SwitchTo);
    }
}
