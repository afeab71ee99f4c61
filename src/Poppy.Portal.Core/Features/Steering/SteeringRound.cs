using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>What one round did.</summary>
public sealed record SteeringRoundResult(int Decided, int Switched, int WouldSwitch, int Alerts);

/// <summary>
/// One steering round: for every service with steering records, health from its recent probes, the policy's decision
/// (<see cref="SteeringDecider"/>), and the switch, dry-run record or alert it calls for. A service is decided only by the
/// node that raises its <see cref="ServiceSteering.LastRound"/> to this round with a conditional update, so with several
/// nodes (and a firing that ran twice) a round switches a service at most once.
/// </summary>
public sealed partial class SteeringRound(IServiceScopeFactory scopes, TimeProvider clock, ILogger<SteeringRound> logger)
{
    public const string ActorName = "steering";

    /// <summary>The number of the round that covers <paramref name="at"/>: rounds are numbered on the clock.</summary>
    public static long RoundAt(DateTimeOffset at, TimeSpan interval) => at.UtcTicks / interval.Ticks;

    public async Task<SteeringRoundResult> RunAsync(long round, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope(Actor.System(ActorName));
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var ids = await db.Set<ServiceSteering>().AsNoTracking()
            .Where(s => s.LastRound < round && db.Set<CdnService>().Any(c => c.Id == s.ServiceId && c.ArchivedAt == null))
            .Select(s => s.ServiceId).ToListAsync(cancellationToken);
        int decided = 0, switched = 0, would = 0, alerts = 0;
        foreach (var id in ids)
        {
            db.ChangeTracker.Clear();
            // The guard: only the node whose update raises the round decides it.
            var claimed = await db.Set<ServiceSteering>().Where(s => s.ServiceId == id && s.LastRound < round)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.LastRound, round), cancellationToken);
            if (claimed == 0)
            {
                continue;
            }
            try
            {
                var outcome = await DecideAsync(scope.ServiceProvider, db, id, round, cancellationToken);
                // Health and the decision time changed even without an event: open panels re-read.
                scope.ServiceProvider.GetRequiredService<SteeringEvents>().Raise(id);
                decided++;
                switched += outcome == SteeringEventKind.Switch ? 1 : 0;
                would += outcome == SteeringEventKind.WouldSwitch ? 1 : 0;
                alerts += outcome == SteeringEventKind.Alert ? 1 : 0;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogDecisionFailed(e, id, round);
            }
        }
        return new SteeringRoundResult(decided, switched, would, alerts);
    }

    private async Task<SteeringEventKind?> DecideAsync(IServiceProvider services, PortalDbContext db, Guid serviceId, long round, CancellationToken cancellationToken)
    {
        var steering = await db.Set<ServiceSteering>().SingleAsync(s => s.ServiceId == serviceId, cancellationToken);
        var records = await db.Set<ServiceDnsRecord>().Where(r => r.ServiceId == serviceId && r.State != DnsRecordState.Removing)
            .OrderBy(r => r.Domain).ToListAsync(cancellationToken);
        if (records.Count == 0 || records.Any(r => r.State != DnsRecordState.Live))
        {
            return null; // Nothing to steer yet: the provisioning step still makes the records.
        }
        var service = await db.Set<CdnService>().AsNoTracking().Include(s => s.Providers).SingleAsync(s => s.Id == serviceId, cancellationToken);
        var thresholds = SteeringThresholds.Read(steering.Thresholds);
        var now = clock.GetUtcNow();
        var candidates = await CandidatesAsync(db, service, steering, records, thresholds, now, cancellationToken);
        // weighted needs every record to hold the set (a domain added since has a plain CNAME until the next write); the
        // other policies replace any weighted set that is left.
        var written = steering.Policy == SteeringPolicy.Weighted ? SteeringSwitcher.WrittenByAll(records) : SteeringSwitcher.WrittenOf(records);
        var decision = SteeringDecider.Decide(new SteeringSituation(steering.Policy, thresholds, candidates, steering.ActiveProviderAccountId,
            steering.PinnedProviderAccountId, steering.ChallengerAccountId, steering.ChallengerRounds, steering.AlertOpen,
            WeightedSets.ReadConfigured(steering.Weights), written));

        steering.ChallengerAccountId = decision.Challenger;
        steering.ChallengerRounds = decision.ChallengerRounds;
        steering.AlertOpen = decision.AlertOpen;
        steering.Health = JsonSerializer.Serialize(candidates.Select(c => Report(c)).ToList());
        steering.DecidedAt = now;
        steering.UpdatedAt = now;
        var figures = Figures(candidates, thresholds, steering);
        var audit = services.GetRequiredService<AuditLog>();
        SteeringEventKind? outcome = null;
        if (decision.RaiseAlert || decision.ClearAlert)
        {
            var kind = decision.RaiseAlert ? SteeringEventKind.Alert : SteeringEventKind.AlertCleared;
            db.Add(Event(steering, records, kind, decision.Reason, figures, round, now, null));
            audit.Record(steering.ProjectId, AuditEntityTypes.Service, serviceId.ToString(), decision.RaiseAlert ? "steering-alert" : "steering-alert-cleared",
                decision.RaiseAlert ? $"Steering alert: {decision.Reason}" : "Steering alert cleared: a provider is healthy again");
            outcome = decision.RaiseAlert ? SteeringEventKind.Alert : null;
        }

        if (decision.WriteWeights is { } weights)
        {
            return await WriteWeightsAsync(services, db, steering, records, service, written, weights, decision.Reason, figures, round, now, cancellationToken) ?? outcome;
        }

        steering.DryRunWeights = null;
        if (decision.SwitchTo is not { } to)
        {
            steering.DryRunTarget = null;
            await db.SaveChangesAsync(cancellationToken);
            return outcome;
        }
        if (steering.Mode == SteeringMode.DryRun)
        {
            if (steering.DryRunTarget != to)
            {
                steering.DryRunTarget = to;
                db.Add(Event(steering, records, SteeringEventKind.WouldSwitch, decision.Reason, figures, round, now,
                    service.Providers.FirstOrDefault(p => p.ProviderAccountId == to)));
                outcome = SteeringEventKind.WouldSwitch;
            }
            await db.SaveChangesAsync(cancellationToken);
            return outcome;
        }

        await db.SaveChangesAsync(cancellationToken);
        var switcher = services.GetRequiredService<SteeringSwitcher>();
        var done = await switcher.SwitchAsync(steering, records, service.Providers, new SwitchRequest(to, decision.Reason, figures, ActorName, round), cancellationToken);
        if (done is not null)
        {
            LogSwitched(serviceId, done.FromProvider, done.ToProvider, done.Reason);
        }
        return done is null ? outcome : SteeringEventKind.Switch;
    }

    /// <summary><c>weighted</c>: records a would-be change once (dry run), or writes the set; the outcome for the round's counts.</summary>
    private async Task<SteeringEventKind?> WriteWeightsAsync(IServiceProvider services, PortalDbContext db, ServiceSteering steering,
        List<ServiceDnsRecord> records, CdnService service, List<ProviderWeight>? written, IReadOnlyList<ProviderWeight> weights, string reason, object figures,
        long round, DateTimeOffset now, CancellationToken cancellationToken)
    {
        steering.DryRunTarget = null;
        if (steering.Mode == SteeringMode.DryRun)
        {
            var words = WeightedSets.Describe(weights);
            SteeringEventKind? recorded = null;
            if (steering.DryRunWeights != words)
            {
                steering.DryRunWeights = words;
                var heaviest = WeightedSets.Heaviest(weights);
                var e = Event(steering, records, SteeringEventKind.WouldSwitch, reason, figures, round, now,
                    service.Providers.FirstOrDefault(p => p.ProviderAccountId == heaviest.ProviderAccountId));
                e.FromWeights = written is null ? null : WeightedSets.Describe(written);
                e.ToWeights = words;
                db.Add(e);
                recorded = SteeringEventKind.WouldSwitch;
            }

            await db.SaveChangesAsync(cancellationToken);
            return recorded;
        }

        steering.DryRunWeights = null;
        await db.SaveChangesAsync(cancellationToken);
        var done = await services.GetRequiredService<SteeringSwitcher>().WriteWeightsAsync(steering, records, service.Providers, weights,
            new SwitchRequest(WeightedSets.Heaviest(weights).ProviderAccountId, reason, figures, ActorName, round), cancellationToken);
        if (done is not null)
        {
            LogSwitched(steering.ServiceId, done.FromWeights ?? done.FromProvider, done.ToWeights, done.Reason);
        }

        return done is null ? null : SteeringEventKind.Switch;
    }

    /// <summary>
    /// The providers steering may point at, in priority order (the service's own order, else the flavor's): deployed, with
    /// a host name for every domain; each with its health and p95 from the probes of the lookback.
    /// </summary>
    internal static async Task<List<SteeringCandidate>> CandidatesAsync(PortalDbContext db, CdnService service, ServiceSteering steering,
        IReadOnlyList<ServiceDnsRecord> records, SteeringThresholds thresholds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var order = await PriorityOrderAsync(db, service, steering, cancellationToken);
        var providers = order.Select(id => service.Providers.FirstOrDefault(p => p.ProviderAccountId == id)).OfType<ServiceProviderState>()
            .Where(p => p.Status is ProviderStatus.Deployed or ProviderStatus.UpdateInProgress
                && records.All(r => DnsRecordWriter.TargetOf(p, r.Domain) is not null))
            .ToList();
        var since = now - thresholds.Lookback;
        var samples = await db.Set<ProbeSample>().AsNoTracking()
            .Where(s => s.ServiceId == service.Id && s.At >= since && s.At <= now && s.Outcome != ProbeOutcome.Skipped)
            .OrderBy(s => s.At).ThenBy(s => s.Id)
            .Select(s => new { s.ProviderAccountId, s.At, s.Outcome, s.TotalMs })
            .ToListAsync(cancellationToken);
        var fastestFrom = now - TimeSpan.FromSeconds(thresholds.FastestWindowSeconds);
        return providers.Select(p =>
        {
            var probes = samples.Where(s => s.ProviderAccountId == p.ProviderAccountId)
                .Select(s => new ProbeResult(s.At, s.Outcome == ProbeOutcome.Ok, s.TotalMs)).ToList();
            var (state, reason, rate) = ProviderHealth.Evaluate(probes, thresholds, now);
            var latency = new LatencyHistogram();
            foreach (var probe in probes.Where(x => x.Ok && x.At >= fastestFrom && x.TotalMs is not null))
            {
                latency.Record(probe.TotalMs!.Value);
            }
            return new SteeringCandidate(p.ProviderAccountId, p.ProviderName, state, reason, latency.Percentile(95), (int)latency.Count, probes.Count, rate,
                latency.Percentile(50));
        }).ToList();
    }

    /// <summary>The service's own provider order when it set one, else its flavor's order (then any other provider it has).</summary>
    internal static async Task<List<Guid>> PriorityOrderAsync(PortalDbContext db, CdnService service, ServiceSteering? steering, CancellationToken cancellationToken)
    {
        if (steering?.ProviderOrder is { } own)
        {
            return JsonSerializer.Deserialize<List<Guid>>(own) ?? [];
        }
        var flavor = await db.Set<FlavorProvider>().AsNoTracking().Where(f => f.FlavorId == service.FlavorId)
            .OrderBy(f => f.Position).Select(f => f.ProviderAccountId).ToListAsync(cancellationToken);
        return flavor.Concat(service.Providers.Select(p => p.ProviderAccountId).Order()).Distinct().ToList();
    }

    private static ProviderHealthReport Report(SteeringCandidate c) => new(c.ProviderAccountId, c.Name, c.Health, c.HealthReason, c.Samples, c.ErrorRate, c.P95Ms, c.LatencySamples);

    private static object Figures(IReadOnlyList<SteeringCandidate> candidates, SteeringThresholds thresholds, ServiceSteering steering) => new
    {
        policy = steering.Policy.WireName(),
        weights = steering.Policy == SteeringPolicy.Weighted
            ? WeightedSets.ReadConfigured(steering.Weights).ToDictionary(w => candidates.FirstOrDefault(c => c.ProviderAccountId == w.Key)?.Name ?? w.Key.ToString(), w => w.Value)
            : null,
        providers = candidates.Select(c => new { provider = c.Name, health = c.Health.ToString().ToLowerInvariant(), reason = c.HealthReason, samples = c.Samples, error_rate = c.ErrorRate, p95_ms = c.P95Ms, latency_samples = c.LatencySamples }),
        thresholds,
    };

    private static SteeringEvent Event(ServiceSteering steering, IReadOnlyList<ServiceDnsRecord> records, SteeringEventKind kind, string reason, object figures,
        long round, DateTimeOffset at, ServiceProviderState? to) => new()
    {
        ServiceId = steering.ServiceId, ProjectId = steering.ProjectId, At = at, Kind = kind, Domains = string.Join(",", records.Select(r => r.Domain)),
        FromProviderAccountId = steering.ActiveProviderAccountId, FromProvider = records.FirstOrDefault()?.ProviderName,
        ToProviderAccountId = to?.ProviderAccountId, ToProvider = to?.ProviderName, Policy = steering.Policy,
        Reason = reason.Length <= 1000 ? reason : reason[..997] + "...", Figures = JsonSerializer.Serialize(figures, SteeringSwitcher.FigureJson),
        Actor = ActorName, Round = round,
        Confirmation = kind == SteeringEventKind.WouldSwitch ? "dry run: DNS not changed" : DnsConfirmations.NotApplicable,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Steering switched service {ServiceId} from {From} to {To}: {Reason}")]
    private partial void LogSwitched(Guid serviceId, string? from, string? to, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Steering could not decide for service {ServiceId} in round {Round}")]
    private partial void LogDecisionFailed(Exception exception, Guid serviceId, long round);
}
