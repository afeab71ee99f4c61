using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>
/// The provisioning step that keeps a service's steering CNAMEs: once any provider has deployed the service, one record
/// per domain in the DNS account that serves it (<see cref="ServiceDnsOptions"/>), pointing at the first provider of the
/// flavor's order that deployed it (or the one steering made active); a domain that left the service, or every domain of
/// a service being deleted, has its record removed. Each record is a unit of work that retries like a provider
/// operation: a failed call leaves the vendor's words in <see cref="ServiceDnsRecord.LastError"/> and a next attempt
/// time, which the provisioning job comes back for. A DNS failure never fails the CDN deployment.
/// </summary>
public sealed partial class ServiceDnsStep(DnsRecordWriter writer, TimeProvider clock, ILogger<ServiceDnsStep> logger)
{
    /// <summary>Brings the service's records to what it needs now; returns when a record is due again, if one is.</summary>
    public async Task<DateTimeOffset?> RunAsync(PortalDbContext db, Guid serviceId, CancellationToken cancellationToken)
    {
        var records = await db.Set<ServiceDnsRecord>().Where(r => r.ServiceId == serviceId).ToListAsync(cancellationToken);
        var service = await db.Set<CdnService>().AsNoTracking().Include(s => s.Providers).Include(s => s.Domains)
            .FirstOrDefaultAsync(s => s.Id == serviceId, cancellationToken);
        if (service is null)
        {
            return null;
        }
        var now = clock.GetUtcNow();
        var deleting = service.ArchivedAt is not null || await IsBeingDeletedAsync(db, service, cancellationToken);
        var wanted = deleting ? [] : service.Domains.Select(d => d.Domain.ToLowerInvariant()).ToHashSet();

        foreach (var record in records.Where(r => r.State != DnsRecordState.Removing && !wanted.Contains(r.Domain)))
        {
            record.State = DnsRecordState.Removing;
            record.Attempts = 0;
            record.NextAttemptAt = null;
            record.UpdatedAt = now;
        }

        if (!deleting && service.Providers.Any(p => p.Status == ProviderStatus.Deployed))
        {
            await AddMissingAsync(db, service, records, wanted, now, cancellationToken);
        }
        await db.SaveChangesAsync(cancellationToken);

        foreach (var group in records.Where(r => r.State != DnsRecordState.Live && (r.NextAttemptAt is null || r.NextAttemptAt <= now))
                     .GroupBy(r => r.DnsAccountId))
        {
            await ApplyAsync(db, group.Key, group.ToList(), cancellationToken);
        }
        return records.Where(r => db.Entry(r).State != EntityState.Detached && r.State != DnsRecordState.Live)
            .Select(r => r.NextAttemptAt).Min();
    }

    /// <summary>A service is being deleted when the latest change of every provider it has is a delete.</summary>
    private static async Task<bool> IsBeingDeletedAsync(PortalDbContext db, CdnService service, CancellationToken cancellationToken)
    {
        if (service.Status != ServiceStatus.DeleteInProgress && service.Providers.Any(p => p.Status != ProviderStatus.DeleteInProgress))
        {
            return false;
        }
        var latest = (await db.Set<ProvisioningOperation>().AsNoTracking()
                .Where(o => o.ServiceId == service.Id && o.Kind != OperationKind.Purge)
                .Select(o => new { o.Id, o.ProviderAccountId, o.Kind }).ToListAsync(cancellationToken))
            .GroupBy(o => o.ProviderAccountId).Select(g => g.MaxBy(o => o.Id)!).ToList();
        return latest.Count > 0 && latest.All(o => o.Kind == OperationKind.Delete);
    }

    private async Task AddMissingAsync(PortalDbContext db, CdnService service, List<ServiceDnsRecord> records, HashSet<string> wanted,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var missing = wanted.Where(d => records.All(r => r.Domain != d)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count == 0)
        {
            return;
        }
        var account = await writer.AccountForFlavorAsync(db, service.FlavorId, cancellationToken);
        if (account is null)
        {
            return; // No DNS account serves this service: customers use the providers' own host names.
        }

        // The flavor's order; the provider steering made active comes first, so new domains follow the others.
        var order = await db.Set<FlavorProvider>().AsNoTracking().Where(f => f.FlavorId == service.FlavorId)
            .OrderBy(f => f.Position).Select(f => f.ProviderAccountId).ToListAsync(cancellationToken);
        var steering = await db.Set<ServiceSteering>().FirstOrDefaultAsync(s => s.ServiceId == service.Id, cancellationToken);
        var preferred = service.Providers.Where(p => p.Status == ProviderStatus.Deployed)
            .OrderBy(p => p.ProviderAccountId == steering?.ActiveProviderAccountId ? -1 : order.IndexOf(p.ProviderAccountId) is var i and >= 0 ? i : int.MaxValue)
            .ToList();

        foreach (var domain in missing)
        {
            var provider = preferred.FirstOrDefault(p => DnsRecordWriter.TargetOf(p, domain) is not null);
            if (provider is null)
            {
                continue; // No deployed provider gave this domain a host name yet: added by a later run.
            }
            var record = new ServiceDnsRecord
            {
                ServiceId = service.Id, ProjectId = service.ProjectId, Domain = domain, Name = DnsRecordNames.For(domain, account.Zone),
                DnsAccountId = account.Id, DnsAccountName = account.Name, Target = DnsRecordWriter.TargetOf(provider, domain)!,
                ProviderAccountId = provider.ProviderAccountId, ProviderName = provider.ProviderName, TtlSeconds = account.TtlSeconds,
                State = DnsRecordState.Pending, CreatedAt = now, UpdatedAt = now,
            };
            records.Add(record);
            db.Add(record);
            if (steering is null)
            {
                steering = new ServiceSteering
                {
                    ServiceId = service.Id, ProjectId = service.ProjectId, ActiveProviderAccountId = provider.ProviderAccountId, UpdatedAt = now,
                };
                db.Add(steering);
            }
            steering.ActiveProviderAccountId ??= provider.ProviderAccountId;
        }
    }

    private async Task ApplyAsync(PortalDbContext db, Guid accountId, List<ServiceDnsRecord> due, CancellationToken cancellationToken)
    {
        var (handle, problem) = await writer.OpenAsync(db, accountId, cancellationToken);
        foreach (var record in due)
        {
            var now = clock.GetUtcNow();
            if (handle is null)
            {
                if (record.State == DnsRecordState.Removing && problem == "The DNS account no longer exists.")
                {
                    db.Remove(record); // Nothing is left to remove it from.
                }
                else
                {
                    Failed(record, problem!, now + TimeSpan.FromMinutes(5), now);
                }
                continue;
            }
            if (record.State == DnsRecordState.Pending && await NameTakenAsync(db, record, cancellationToken) is { } owner)
            {
                // a-b.example.com and a.b-example.com share a name (as in Poppy): the first service keeps it.
                Failed(record, $"The name {record.Name} is already the steering name of service {owner}'s domain; this domain gets none while it is.",
                    now + TimeSpan.FromMinutes(5), now);
                await db.SaveChangesAsync(cancellationToken);
                continue;
            }
            try
            {
                if (record.State == DnsRecordState.Removing)
                {
                    await writer.DeleteAsync(handle, record.Name, cancellationToken);
                    db.Remove(record);
                }
                else
                {
                    await writer.SetAsync(handle, record.Name, record.Target, record.TtlSeconds, cancellationToken);
                    record.State = DnsRecordState.Live;
                    record.Attempts = 0;
                    record.LastError = null;
                    record.NextAttemptAt = null;
                    record.UpdatedAt = now;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                record.Attempts++;
                var message = DnsRecordWriter.Describe(e);
                Failed(record, message, writer.RetryAt(e, record.Attempts, now), now);
                LogFailed(record.Name, record.DnsAccountName, message);
            }
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>The other service whose record has this name in the same account, if one has.</summary>
    private static async Task<Guid?> NameTakenAsync(PortalDbContext db, ServiceDnsRecord record, CancellationToken cancellationToken) =>
        await db.Set<ServiceDnsRecord>().AsNoTracking()
            .Where(r => r.DnsAccountId == record.DnsAccountId && r.Name == record.Name && r.ServiceId != record.ServiceId && r.Id < record.Id)
            .Select(r => (Guid?)r.ServiceId).FirstOrDefaultAsync(cancellationToken);

    private static void Failed(ServiceDnsRecord record, string message, DateTimeOffset retryAt, DateTimeOffset now)
    {
        record.LastError = message.Length <= 4000 ? message : message[..3997] + "...";
        record.NextAttemptAt = retryAt;
        record.UpdatedAt = now;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "DNS record {Name} in account {Account} failed; it is tried again: {Error}")]
    private partial void LogFailed(string name, string account, string error);
}
