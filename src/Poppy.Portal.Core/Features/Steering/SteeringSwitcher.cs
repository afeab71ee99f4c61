using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>What a switch is asked to do, and why.</summary>
/// <param name="Actor">"steering" for the rounds, else the user who pinned a provider.</param>
/// <param name="Round">The round that decided it; null for a switch by hand.</param>
public sealed record SwitchRequest(Guid To, string Reason, object Figures, string Actor, long? Round);

/// <summary>
/// Points every steering record of a service at another provider's access host: one vendor call per record, then a
/// query of the authoritative server (where one is configured) to confirm, then the event and its audit entry, saved with
/// the records and the new active provider. A vendor failure leaves the records' last error and changes nothing else; the
/// next round tries again. On the caller's scope, so the audit entry names its actor.
/// </summary>
public sealed class SteeringSwitcher(PortalDbContext db, DnsRecordWriter writer, AuditLog audit, SteeringEvents events, TimeProvider clock)
{
    public static readonly JsonSerializerOptions FigureJson = new(JsonSerializerDefaults.Web);

    /// <summary>Switches; returns the event, or null when the DNS change failed (the records say why).</summary>
    public async Task<SteeringEvent?> SwitchAsync(ServiceSteering steering, IReadOnlyList<ServiceDnsRecord> records,
        IReadOnlyList<ServiceProviderState> providers, SwitchRequest request, CancellationToken cancellationToken)
    {
        var to = providers.First(p => p.ProviderAccountId == request.To);
        var from = providers.FirstOrDefault(p => p.ProviderAccountId == steering.ActiveProviderAccountId);
        var fromWeights = WrittenOf(records);
        var confirmations = new List<string>();
        foreach (var account in records.GroupBy(r => r.DnsAccountId))
        {
            var (handle, problem) = await writer.OpenAsync(db, account.Key, cancellationToken);
            foreach (var record in account)
            {
                var now = clock.GetUtcNow();
                var target = DnsRecordWriter.TargetOf(to, record.Domain);
                try
                {
                    if (handle is null || target is null)
                    {
                        throw new InvalidOperationException(problem ?? $"{to.ProviderName} has no host name for {record.Domain}.");
                    }
                    await writer.SetAsync(handle, record.Name, target, record.TtlSeconds, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    await FailAsync(steering, record, $"Switch to {to.ProviderName} failed: {DnsRecordWriter.Describe(e)}", now, cancellationToken);
                    return null;
                }
                MarkLive(record, to, target, weights: null, now);
            }
            confirmations.Add(handle!.Nameserver is null
                ? DnsConfirmations.NotChecked
                : await ConfirmAllAsync(handle.Nameserver, account.ToList(), cancellationToken));
        }

        return await RecordAsync(steering, records, from, to, fromWeights, null, request, confirmations, "dns-switch",
            $"DNS switched from {from?.ProviderName ?? "none"} to {to.ProviderName} ({steering.Policy.WireName()}): {request.Reason}",
            before: new { provider = from?.ProviderName },
            after: e => new { provider = to.ProviderName, e.Confirmation, domains = e.Domains }, cancellationToken);
    }

    /// <summary>A vendor refused the change: the record keeps its last error and nothing else of the switch is stored.</summary>
    private async Task FailAsync(ServiceSteering steering, ServiceDnsRecord record, string error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        record.LastError = error;
        record.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        events.Raise(steering.ServiceId);
    }

    /// <summary>The record as written: pointing at <paramref name="to"/> (the heaviest, for a weighted set), live.</summary>
    private static void MarkLive(ServiceDnsRecord record, ServiceProviderState to, string target, string? weights, DateTimeOffset now)
    {
        record.Target = target;
        record.ProviderAccountId = to.ProviderAccountId;
        record.ProviderName = to.ProviderName;
        record.Weights = weights;
        record.State = DnsRecordState.Live;
        record.LastError = null;
        record.UpdatedAt = now;
    }

    /// <summary>
    /// Writes a weighted set for every steering record of a service (each domain to its providers' access hosts), then
    /// confirms it: by asking the authoritative server where one is configured (the answer must be one of the targets),
    /// else by reading the set back from the vendor. Then the event (from/to weights) and its audit entry. A vendor failure
    /// leaves the records' last error and changes nothing else. Returns the event, or null when the DNS change failed.
    /// </summary>
    public async Task<SteeringEvent?> WriteWeightsAsync(ServiceSteering steering, IReadOnlyList<ServiceDnsRecord> records,
        IReadOnlyList<ServiceProviderState> providers, IReadOnlyList<ProviderWeight> weights, SwitchRequest request, CancellationToken cancellationToken)
    {
        var fromWeights = WrittenOf(records);
        var from = providers.FirstOrDefault(p => p.ProviderAccountId == steering.ActiveProviderAccountId);
        var heaviest = WeightedSets.Heaviest(weights);
        var to = providers.First(p => p.ProviderAccountId == heaviest.ProviderAccountId);
        var confirmations = new List<string>();
        foreach (var account in records.GroupBy(r => r.DnsAccountId))
        {
            var (handle, problem) = await writer.OpenAsync(db, account.Key, cancellationToken);
            foreach (var record in account)
            {
                var now = clock.GetUtcNow();
                var written = weights.Select(w => (Weight: w, Target: DnsRecordWriter.TargetOf(providers.First(p => p.ProviderAccountId == w.ProviderAccountId), record.Domain)))
                    .ToList();
                try
                {
                    if (handle is null || written.Any(w => w.Target is null))
                    {
                        throw new InvalidOperationException(problem ?? $"{written.First(w => w.Target is null).Weight.Name} has no host name for {record.Domain}.");
                    }

                    var targets = written.Select(w => new DnsWeightedTarget(w.Weight.Name, w.Target!, w.Weight.Weight)).ToList();
                    await writer.SetWeightedAsync(handle, record.Name, targets, record.TtlSeconds, cancellationToken);
                    confirmations.Add(await ConfirmWeightedAsync(handle, record.Name, targets, record.TtlSeconds, cancellationToken));
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    await FailAsync(steering, record, $"Writing weights {WeightedSets.Describe(weights)} failed: {DnsRecordWriter.Describe(e)}", now, cancellationToken);
                    return null;
                }

                MarkLive(record, to, DnsRecordWriter.TargetOf(to, record.Domain)!,
                    WeightedSets.WriteWritten(written.Select(w => new WrittenWeight(w.Weight.ProviderAccountId, w.Weight.Name, w.Target!, w.Weight.Weight))), now);
            }
        }

        var toWords = WeightedSets.Describe(weights);
        return await RecordAsync(steering, records, from, to, fromWeights, toWords, request, confirmations, "dns-weights",
            $"DNS weights set to {toWords} (was {(fromWeights is null ? $"one CNAME to {from?.ProviderName ?? "none"}" : WeightedSets.Describe(fromWeights))}): {request.Reason}",
            before: new { weights = fromWeights is null ? null : WeightedSets.Describe(fromWeights), provider = from?.ProviderName },
            after: e => new { weights = toWords, e.Confirmation, domains = e.Domains }, cancellationToken);
    }

    /// <summary>The switch event (records already changed), the new active provider and the audit entry, saved together.</summary>
    private async Task<SteeringEvent> RecordAsync(ServiceSteering steering, IReadOnlyList<ServiceDnsRecord> records,
        ServiceProviderState? from, ServiceProviderState to, List<ProviderWeight>? fromWeights, string? toWeights, SwitchRequest request,
        List<string> confirmations, string auditAction, string auditMessage, object before, Func<SteeringEvent, object> after,
        CancellationToken cancellationToken)
    {
        var at = clock.GetUtcNow();
        var recorded = new SteeringEvent
        {
            ServiceId = steering.ServiceId, ProjectId = steering.ProjectId, At = at, Kind = SteeringEventKind.Switch,
            Domains = string.Join(",", records.Select(r => r.Domain)),
            FromProviderAccountId = from?.ProviderAccountId, FromProvider = from?.ProviderName,
            ToProviderAccountId = to.ProviderAccountId, ToProvider = to.ProviderName,
            FromWeights = fromWeights is null ? null : Clip(WeightedSets.Describe(fromWeights), 1000),
            ToWeights = toWeights is null ? null : Clip(toWeights, 1000),
            Policy = steering.Policy, Reason = Clip(request.Reason, 1000), Figures = JsonSerializer.Serialize(request.Figures, FigureJson),
            Actor = request.Actor, Round = request.Round,
            Confirmation = Clip(confirmations.FirstOrDefault(c => c != DnsConfirmations.Confirmed) ?? DnsConfirmations.Confirmed, 600),
        };
        db.Add(recorded);
        steering.ActiveProviderAccountId = to.ProviderAccountId;
        steering.ChallengerAccountId = null;
        steering.ChallengerRounds = 0;
        steering.UpdatedAt = at;
        audit.Record(steering.ProjectId, AuditEntityTypes.Service, steering.ServiceId.ToString(), auditAction, auditMessage, before: before, after: after(recorded));
        await db.SaveChangesAsync(cancellationToken);
        events.Raise(steering.ServiceId);
        return recorded;
    }

    /// <summary>The weighted set the records hold now (the first record's; every record gets the same weights); null for plain CNAMEs.</summary>
    internal static List<ProviderWeight>? WrittenOf(IReadOnlyList<ServiceDnsRecord> records) =>
        records.Select(r => WeightedSets.ReadWritten(r.Weights)).FirstOrDefault(w => w is not null)
            ?.Select(w => new ProviderWeight(w.ProviderAccountId, w.Provider, w.Weight)).ToList();

    /// <summary>The weighted set every record holds; null when one of them is a plain CNAME or holds other weights.</summary>
    internal static List<ProviderWeight>? WrittenByAll(IReadOnlyList<ServiceDnsRecord> records)
    {
        var sets = records.Select(r => WeightedSets.ReadWritten(r.Weights)?.Select(w => new ProviderWeight(w.ProviderAccountId, w.Provider, w.Weight)).ToList()).ToList();
        return sets.Count > 0 && sets.All(set => WeightedSets.Same(set, sets[0])) ? sets[0] : null;
    }

    private async Task<string> ConfirmWeightedAsync(DnsAccountHandle handle, string name, IReadOnlyList<DnsWeightedTarget> targets, int ttl,
        CancellationToken cancellationToken)
    {
        if (handle.Nameserver is { } server)
        {
            // The server picks one target per query: the answer must be one of them.
            try
            {
                var answered = await DnsConfirmation.QueryCnameAsync(server, name, cancellationToken);
                return targets.Any(t => t.Weight > 0 && string.Equals(t.Target, answered, StringComparison.OrdinalIgnoreCase))
                    ? DnsConfirmations.Confirmed
                    : $"{DnsConfirmations.NotConfirmed}: {server} answered {name} → {answered ?? "no CNAME"}, not one of the weighted targets";
            }
            catch (DnsClient.DnsResponseException e)
            {
                return $"{DnsConfirmations.NotConfirmed}: {server} answered {name}: {e.Message}";
            }
        }

        // No server to ask (Route 53): read the set back from the vendor.
        var read = await writer.GetWeightedAsync(handle, name, cancellationToken);
        var expected = targets.Where(t => t.Weight > 0).OrderBy(t => t.Id, StringComparer.Ordinal).ToList();
        var got = read?.Targets.Where(t => t.Weight > 0).OrderBy(t => t.Id, StringComparer.Ordinal).ToList();
        return got is not null && got.SequenceEqual(expected) && read!.TtlSeconds == ttl
            ? DnsConfirmations.Confirmed
            : $"{DnsConfirmations.NotConfirmed}: the vendor holds {(got is null ? "no weighted set" : Drivers.DnsWeights.Describe(got.Select(t => (t.Id, t.Weight))))} for {name}";
    }

    private static async Task<string> ConfirmAllAsync(System.Net.IPEndPoint server, List<ServiceDnsRecord> records, CancellationToken cancellationToken)
    {
        foreach (var group in records.GroupBy(r => r.Target))
        {
            var result = await DnsConfirmation.ConfirmAsync(server, group.Select(r => r.Name), group.Key, cancellationToken);
            if (result != DnsConfirmations.Confirmed)
            {
                return result;
            }
        }
        return DnsConfirmations.Confirmed;
    }

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 3)] + "...";
}
