using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
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
                    record.LastError = $"Switch to {to.ProviderName} failed: {DnsRecordWriter.Describe(e)}";
                    record.UpdatedAt = now;
                    await db.SaveChangesAsync(cancellationToken);
                    events.Raise(steering.ServiceId);
                    return null;
                }
                record.Target = target;
                record.ProviderAccountId = to.ProviderAccountId;
                record.ProviderName = to.ProviderName;
                record.State = DnsRecordState.Live;
                record.LastError = null;
                record.UpdatedAt = now;
            }
            confirmations.Add(handle!.Nameserver is null
                ? DnsConfirmations.NotChecked
                : await ConfirmAllAsync(handle.Nameserver, account.ToList(), cancellationToken));
        }

        var at = clock.GetUtcNow();
        var switched = new SteeringEvent
        {
            ServiceId = steering.ServiceId, ProjectId = steering.ProjectId, At = at, Kind = SteeringEventKind.Switch,
            Domains = string.Join(",", records.Select(r => r.Domain)),
            FromProviderAccountId = from?.ProviderAccountId, FromProvider = from?.ProviderName,
            ToProviderAccountId = to.ProviderAccountId, ToProvider = to.ProviderName,
            Policy = steering.Policy, Reason = Clip(request.Reason, 1000), Figures = JsonSerializer.Serialize(request.Figures, FigureJson),
            Actor = request.Actor, Round = request.Round,
            Confirmation = Clip(confirmations.FirstOrDefault(c => c != DnsConfirmations.Confirmed) ?? DnsConfirmations.Confirmed, 600),
        };
        db.Add(switched);
        steering.ActiveProviderAccountId = to.ProviderAccountId;
        steering.ChallengerAccountId = null;
        steering.ChallengerRounds = 0;
        steering.UpdatedAt = at;
        audit.Record(steering.ProjectId, AuditEntityTypes.Service, steering.ServiceId.ToString(), "dns-switch",
            $"DNS switched from {from?.ProviderName ?? "none"} to {to.ProviderName} ({steering.Policy.WireName()}): {request.Reason}",
            before: new { provider = from?.ProviderName }, after: new { provider = to.ProviderName, switched.Confirmation, domains = switched.Domains });
        await db.SaveChangesAsync(cancellationToken);
        events.Raise(steering.ServiceId);
        return switched;
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
