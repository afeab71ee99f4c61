using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>A provider in a service's steering order.</summary>
public sealed record SteeringProvider(Guid ProviderAccountId, string Name);

/// <summary>A steering CNAME as pages and the API show it.</summary>
/// <param name="Nameserver">The authoritative server to query it at (<c>host:port</c>), where the account names one.</param>
/// <param name="Weights">The weighted set the vendor holds for the name; null while it is one CNAME to <paramref name="Target"/>.</param>
public sealed record SteeringRecordView(string Domain, string Name, string Type, string Target, string Provider, int Ttl, string DnsAccount,
    string? Nameserver, DnsRecordState State, string? LastError, IReadOnlyList<WrittenWeight>? Weights = null);

/// <summary>A provider's health as the last round saw it.</summary>
public sealed record SteeringHealthView(string Provider, bool Healthy, string Reason, double? P95Ms);

/// <param name="FromWeights">Weighted sets before and after ("fastly 3, akamai 1"); null where a side was one CNAME.</param>
public sealed record SteeringEventView(long Id, DateTimeOffset At, SteeringEventKind Kind, IReadOnlyList<string> Domains, string? From, string? To,
    SteeringPolicy Policy, string Reason, string Figures, string Actor, string Confirmation, string? FromWeights = null, string? ToWeights = null);

/// <summary>A service's steering: settings, where its records point, health and the last events.</summary>
/// <param name="DnsConfigured">Whether a DNS account serves the service (else steering can only run dry).</param>
/// <param name="FailoverInEffect">The records point away from the provider the policy prefers, or every provider is down.</param>
/// <param name="Weights"><c>weighted</c>: the operator's weight per provider, in priority order; null for the other policies.</param>
/// <param name="WeightedRefusal">Why the service's DNS account cannot hold weighted records; null when it can (or no account serves it).</param>
public sealed record SteeringView(
    Guid ServiceId, SteeringPolicy Policy, SteeringMode Mode, IReadOnlyList<SteeringProvider> Providers, SteeringProvider? Active,
    SteeringProvider? Pinned, SteeringThresholds Thresholds, IReadOnlyList<SteeringRecordView> Records, IReadOnlyList<SteeringHealthView> Health,
    IReadOnlyList<SteeringEventView> Events, bool DnsConfigured, bool FailoverInEffect, bool AlertOpen, DateTimeOffset? DecidedAt,
    IReadOnlyList<ProviderWeight>? Weights = null, string? WeightedRefusal = null);

/// <summary>What an operator sets; null fields take their defaults (providers: the flavor's order; mode: enforce when a DNS account serves the service).</summary>
/// <param name="Weights"><c>weighted</c> only, and needed there: provider name → weight, 0..255, at least one positive.</param>
public sealed record SteeringChange(string? Policy, string? Mode, IReadOnlyList<string>? Providers, string? PinnedProvider, SteeringThresholds? Thresholds,
    IReadOnlyDictionary<string, int>? Weights = null);

/// <summary>A banner: a service whose traffic is steered away from its preferred provider, or whose providers are all down.</summary>
public sealed record FailoverBanner(Guid ProjectId, Guid ServiceId, string ServiceName, string? ActiveProvider, string? PreferredProvider,
    bool AlertOpen, DateTimeOffset? Since, string? Reason);

/// <summary>A domain's steering name, for the API's provider-less <c>access_url</c> link.</summary>
public sealed record SteeringName(string Domain, string Name);

/// <summary>
/// Steering as users see and change it. Members read (<see cref="ProjectRight.Read"/>); operators change
/// (<see cref="ProjectRight.Change"/>). A pin by hand switches the records at once, in the user's name.
/// </summary>
public sealed class SteeringService(
    PortalDbContext db, AccessPolicy access, AuditLog audit, DnsRecordWriter writer, SteeringSwitcher switcher,
    IOptions<SteeringOptions> options, SteeringEvents events, TimeProvider clock)
{
    public async Task<SteeringView?> GetAsync(Guid projectId, Guid serviceId, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        return await ViewAsync(projectId, serviceId, cancellationToken);
    }

    /// <summary>Replaces the service's steering settings (left-out fields take their defaults); pins switch at once.</summary>
    public async Task<ChangeResult<SteeringView>> UpdateAsync(Guid projectId, Guid serviceId, SteeringChange change, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Change, cancellationToken);
        try
        {
            return await ApplyAsync(projectId, serviceId, change, cancellationToken);
        }
        catch (DbUpdateException) when (db.ChangeTracker.Entries<ServiceSteering>().Any(e => e.State == EntityState.Added))
        {
            // The service's first DNS step (a provisioning job) created its steering row between our read and our
            // insert: apply the same change to that row (the settings replace what is there, so this is no double).
            db.ChangeTracker.Clear();
            return await ApplyAsync(projectId, serviceId, change, cancellationToken);
        }
    }

    private async Task<ChangeResult<SteeringView>> ApplyAsync(Guid projectId, Guid serviceId, SteeringChange change, CancellationToken cancellationToken)
    {
        var service = await LiveService(projectId, serviceId).Include(s => s.Providers).FirstOrDefaultAsync(cancellationToken);
        if (service is null)
        {
            return ChangeResult.NotFound;
        }
        var steering = await db.Set<ServiceSteering>().FirstOrDefaultAsync(s => s.ServiceId == serviceId, cancellationToken);
        var records = await db.Set<ServiceDnsRecord>().Where(r => r.ServiceId == serviceId && r.State != DnsRecordState.Removing)
            .OrderBy(r => r.Domain).ToListAsync(cancellationToken);
        var account = records.Count > 0 ? null : await writer.AccountForFlavorAsync(db, service.FlavorId, cancellationToken);
        var dnsConfigured = records.Count > 0 || account is not null;

        var errors = new List<ValidationError>();
        var pinnedGiven = !string.IsNullOrEmpty(change.PinnedProvider);
        var policy = change.Policy is null ? (pinnedGiven ? SteeringPolicy.Manual : SteeringPolicy.Failover) : SteeringNames.ParsePolicy(change.Policy);
        if (policy is null)
        {
            errors.Add(new("policy", "policy must be one of manual, failover, fastest, weighted."));
        }
        else if (policy == SteeringPolicy.Weighted && await WeightedRefusalAsync(records, account, cancellationToken) is { } refusal)
        {
            errors.Add(new("policy", $"weighted steering is refused: {refusal}. Choose manual, failover or fastest, or serve the service from a " +
                "Route 53 or PowerDNS account."));
        }
        var mode = change.Mode is null ? (dnsConfigured ? SteeringMode.Enforce : SteeringMode.DryRun) : SteeringNames.ParseMode(change.Mode);
        if (mode is null)
        {
            errors.Add(new("mode", "mode must be enforce or dry_run."));
        }
        else if (mode == SteeringMode.Enforce && !dnsConfigured)
        {
            errors.Add(new("mode", "No DNS account serves this service (set Portal:Dns:DefaultAccount or the flavor's account), so steering can only run as dry_run."));
        }

        List<Guid>? order = null;
        if (change.Providers is { } names2)
        {
            order = [];
            if (names2.Count == 0)
            {
                errors.Add(new("providers", "providers lists at least one of the service's providers; leave it out for the flavor's order."));
            }
            foreach (var name in names2)
            {
                var provider = service.Providers.FirstOrDefault(p => string.Equals(p.ProviderName, name, StringComparison.Ordinal));
                if (provider is null)
                {
                    errors.Add(new("providers", $"'{name}' is not a provider of this service (it has {string.Join(", ", service.Providers.Select(p => p.ProviderName).Order())})."));
                }
                else if (order.Contains(provider.ProviderAccountId))
                {
                    errors.Add(new("providers", $"'{name}' is listed twice."));
                }
                else
                {
                    order.Add(provider.ProviderAccountId);
                }
            }
        }

        Guid? pinned = null;
        if (pinnedGiven)
        {
            var provider = service.Providers.FirstOrDefault(p => string.Equals(p.ProviderName, change.PinnedProvider, StringComparison.Ordinal));
            if (provider is null)
            {
                errors.Add(new("pinned_provider", $"'{change.PinnedProvider}' is not a provider of this service."));
            }
            else if (order is not null && !order.Contains(provider.ProviderAccountId))
            {
                errors.Add(new("pinned_provider", $"'{change.PinnedProvider}' is not in providers."));
            }
            else
            {
                pinned = provider.ProviderAccountId;
            }
            if (policy is not null and not SteeringPolicy.Manual)
            {
                errors.Add(new("pinned_provider", "pinned_provider goes with policy manual."));
            }
        }
        else if (policy == SteeringPolicy.Manual)
        {
            errors.Add(new("pinned_provider", "policy manual needs pinned_provider."));
        }
        Dictionary<Guid, int>? weights = null;
        if (change.Weights is { } given)
        {
            if (policy is not null and not SteeringPolicy.Weighted)
            {
                errors.Add(new("weights", "weights go with policy weighted."));
            }
            weights = [];
            foreach (var (name, weight) in given)
            {
                var provider = service.Providers.FirstOrDefault(p => string.Equals(p.ProviderName, name, StringComparison.Ordinal));
                if (provider is null)
                {
                    errors.Add(new("weights", $"'{name}' is not a provider of this service (it has {string.Join(", ", service.Providers.Select(p => p.ProviderName).Order())})."));
                }
                else if (weight is < WeightedSets.MinWeight or > WeightedSets.MaxWeight)
                {
                    errors.Add(new("weights", $"the weight of '{name}' must be a whole number from {WeightedSets.MinWeight} to {WeightedSets.MaxWeight}."));
                }
                else
                {
                    weights[provider.ProviderAccountId] = weight;
                }
            }
            if (given.Count == 0 || given.Values.All(w => w <= 0))
            {
                errors.Add(new("weights", "at least one provider needs a positive weight."));
            }
        }
        else if (policy == SteeringPolicy.Weighted)
        {
            errors.Add(new("weights", "policy weighted needs weights: an object of provider name → weight (0..255), at least one positive."));
        }
        var thresholds = change.Thresholds ?? SteeringThresholds.Default;
        errors.AddRange(thresholds.Problems().Select(p => new ValidationError($"thresholds.{p.Field}", $"{p.Field} must be {p.Message}.")));
        if (errors.Count > 0)
        {
            return ChangeResult.Invalid(errors);
        }

        var now = clock.GetUtcNow();
        if (steering is null)
        {
            steering = new ServiceSteering { ServiceId = serviceId, ProjectId = projectId };
            db.Add(steering);
        }
        var before = Snapshot(steering);
        steering.Policy = policy!.Value;
        steering.Mode = mode!.Value;
        steering.ProviderOrder = order is null ? null : JsonSerializer.Serialize(order);
        steering.PinnedProviderAccountId = pinned;
        steering.Thresholds = change.Thresholds is null ? null : thresholds.Write();
        steering.ChallengerAccountId = null;
        steering.ChallengerRounds = 0;
        steering.DryRunTarget = null;
        steering.Weights = weights is null ? null : WeightedSets.WriteConfigured(weights);
        steering.DryRunWeights = null;
        steering.UpdatedAt = now;
        audit.Record(projectId, AuditEntityTypes.Service, serviceId.ToString(), "steering",
            $"Steering of {service.Name} set to {steering.Policy.WireName()} ({steering.Mode.WireName()})", before, Snapshot(steering));
        await db.SaveChangesAsync(cancellationToken);
        events.Raise(serviceId);

        if (pinned is { } to && to != steering.ActiveProviderAccountId && steering.Mode == SteeringMode.Enforce
            && records.Count > 0 && records.All(r => r.State == DnsRecordState.Live))
        {
            // The operator's pin takes effect now, in their name (health is shown in the figures, not a veto).
            var health = string.IsNullOrEmpty(steering.Health) ? [] : JsonSerializer.Deserialize<List<ProviderHealthReport>>(steering.Health) ?? [];
            await switcher.SwitchAsync(steering, records, service.Providers,
                new SwitchRequest(to, "pinned by hand", new { health }, access.Actor.Name, Round: null), cancellationToken);
        }
        return ChangeResult.Success((await ViewAsync(projectId, serviceId, cancellationToken))!);
    }

    /// <summary>The service's last events, newest first.</summary>
    public async Task<IReadOnlyList<SteeringEventView>> EventsAsync(Guid projectId, Guid serviceId, int limit, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        return await EventsOfAsync(projectId, serviceId, limit, cancellationToken);
    }

    /// <summary>
    /// The services of the visible projects (or of <paramref name="projectId"/>) whose records point away from the
    /// provider their policy prefers, or whose providers are all down: the banners of the service page and the dashboard.
    /// </summary>
    public async Task<IReadOnlyList<FailoverBanner>> FailoversInEffectAsync(Guid? projectId, CancellationToken cancellationToken)
    {
        IReadOnlyCollection<Guid>? visible;
        if (projectId is { } one)
        {
            await access.RequireProjectAsync(one, ProjectRight.Read, cancellationToken);
            visible = [one];
        }
        else
        {
            access.RequireSignedIn();
            visible = await access.VisibleProjectIdsAsync(cancellationToken);
        }
        var rows = await db.Set<ServiceSteering>().AsNoTracking()
            .Where(s => visible == null || visible.Contains(s.ProjectId))
            .Join(db.Set<CdnService>().Where(c => c.ArchivedAt == null), s => s.ServiceId, c => c.Id, (s, c) => new { Steering = s, Service = c })
            .ToListAsync(cancellationToken);
        var banners = new List<FailoverBanner>();
        foreach (var row in rows)
        {
            var providers = await db.Set<ServiceProviderState>().AsNoTracking().Where(p => p.ServiceId == row.Service.Id).ToListAsync(cancellationToken);
            row.Service.Providers = providers;
            var preferred = await PreferredAsync(row.Service, row.Steering, cancellationToken);
            if (!row.Steering.AlertOpen && (preferred is null || preferred == row.Steering.ActiveProviderAccountId))
            {
                continue;
            }
            var last = await db.Set<SteeringEvent>().AsNoTracking()
                .Where(e => e.ServiceId == row.Service.Id && (e.Kind == SteeringEventKind.Switch || e.Kind == SteeringEventKind.Alert))
                .OrderByDescending(e => e.Id).FirstOrDefaultAsync(cancellationToken);
            banners.Add(new FailoverBanner(row.Service.ProjectId, row.Service.Id, row.Service.Name, NameOf(providers, row.Steering.ActiveProviderAccountId),
                NameOf(providers, preferred), row.Steering.AlertOpen, last?.At, last?.Reason));
        }
        return banners;
    }

    /// <summary>The live steering names of the services' domains, for the API's access_url links.</summary>
    public async Task<IReadOnlyDictionary<Guid, IReadOnlyList<SteeringName>>> NamesAsync(Guid projectId, IReadOnlyCollection<Guid> serviceIds,
        CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        var rows = await db.Set<ServiceDnsRecord>().AsNoTracking()
            .Where(r => r.ProjectId == projectId && serviceIds.Contains(r.ServiceId) && r.State == DnsRecordState.Live)
            .Select(r => new { r.ServiceId, r.Domain, r.Name }).ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.ServiceId).ToDictionary(g => g.Key,
            g => (IReadOnlyList<SteeringName>)g.OrderBy(r => r.Domain).Select(r => new SteeringName(r.Domain, r.Name)).ToList());
    }

    private IQueryable<CdnService> LiveService(Guid projectId, Guid serviceId) =>
        db.Set<CdnService>().Where(s => s.Id == serviceId && s.ProjectId == projectId && s.ArchivedAt == null);

    private async Task<SteeringView?> ViewAsync(Guid projectId, Guid serviceId, CancellationToken cancellationToken)
    {
        var service = await LiveService(projectId, serviceId).AsNoTracking().Include(s => s.Providers).FirstOrDefaultAsync(cancellationToken);
        if (service is null)
        {
            return null;
        }
        var steering = await db.Set<ServiceSteering>().AsNoTracking().FirstOrDefaultAsync(s => s.ServiceId == serviceId, cancellationToken);
        var records = await db.Set<ServiceDnsRecord>().AsNoTracking().Where(r => r.ServiceId == serviceId).OrderBy(r => r.Domain).ToListAsync(cancellationToken);
        var dnsConfigured = records.Count > 0 || await writer.AccountForFlavorAsync(db, service.FlavorId, cancellationToken) is not null;
        var order = await SteeringRound.PriorityOrderAsync(db, service, steering, cancellationToken);
        var providers = order.Select(id => service.Providers.FirstOrDefault(p => p.ProviderAccountId == id)).OfType<ServiceProviderState>()
            .Select(p => new SteeringProvider(p.ProviderAccountId, p.ProviderName)).ToList();
        var reports = string.IsNullOrEmpty(steering?.Health) ? [] : JsonSerializer.Deserialize<List<ProviderHealthReport>>(steering.Health) ?? [];
        var health = providers.Select(p => reports.FirstOrDefault(r => r.ProviderAccountId == p.ProviderAccountId) is { } r
                ? new SteeringHealthView(p.Name, r.Healthy, r.Reason, r.P95Ms)
                : new SteeringHealthView(p.Name, false, "not assessed yet (no steering round has seen it deployed with probes)", null))
            .ToList();
        var preferred = steering is null ? null : await PreferredAsync(service, steering, cancellationToken);
        return new SteeringView(
            serviceId,
            steering?.Policy ?? SteeringPolicy.Failover,
            steering?.Mode ?? (dnsConfigured ? SteeringMode.Enforce : SteeringMode.DryRun),
            providers,
            Provider(service, steering?.ActiveProviderAccountId),
            Provider(service, steering?.PinnedProviderAccountId),
            SteeringThresholds.Read(steering?.Thresholds),
            records.Select(r => new SteeringRecordView(r.Domain, r.Name, r.Weights is null ? "CNAME" : "CNAME (weighted)", r.Target, r.ProviderName,
                r.TtlSeconds, r.DnsAccountName, writer.NameserverOf(r.DnsAccountName)?.ToString(), r.State, r.LastError, WeightedSets.ReadWritten(r.Weights))).ToList(),
            health,
            await EventsOfAsync(projectId, serviceId, options.Value.EventsShown, cancellationToken),
            dnsConfigured,
            steering is not null && (steering.AlertOpen || (preferred is not null && preferred != steering.ActiveProviderAccountId)),
            steering?.AlertOpen ?? false,
            steering?.DecidedAt,
            steering?.Policy == SteeringPolicy.Weighted
                ? ConfiguredWeights(service, order, steering.Weights)
                : null,
            await WeightedRefusalAsync(records, records.Count > 0 ? null : await writer.AccountForFlavorAsync(db, service.FlavorId, cancellationToken), cancellationToken));
    }

    /// <summary>The operator's weights by provider, in priority order.</summary>
    private static List<ProviderWeight> ConfiguredWeights(CdnService service, IReadOnlyList<Guid> order, string? json)
    {
        var configured = WeightedSets.ReadConfigured(json);
        return order.Concat(configured.Keys).Distinct().Where(configured.ContainsKey)
            .Select(id => new ProviderWeight(id, service.Providers.FirstOrDefault(p => p.ProviderAccountId == id)?.ProviderName ?? id.ToString(), configured[id]))
            .ToList();
    }

    /// <summary>Why the accounts of the records (or the flavor's account, before there are records) cannot hold weighted sets; null when they can.</summary>
    private async Task<string?> WeightedRefusalAsync(IReadOnlyList<ServiceDnsRecord> records, Dns.DnsAccount? flavorAccount, CancellationToken cancellationToken)
    {
        var ids = records.Select(r => r.DnsAccountId).Distinct().ToList();
        var accounts = ids.Count > 0
            ? await db.Set<Dns.DnsAccount>().AsNoTracking().Where(a => ids.Contains(a.Id)).ToListAsync(cancellationToken)
            : flavorAccount is null ? [] : [flavorAccount];
        var refusals = accounts.Select(writer.WeightedRefusal).OfType<string>().ToList();
        return refusals.Count == 0 ? null : string.Join("; ", refusals);
    }

    /// <summary>Where the policy would rather point: the pin for manual, the first in priority order for failover; none for fastest.</summary>
    private async Task<Guid?> PreferredAsync(CdnService service, ServiceSteering steering, CancellationToken cancellationToken) => steering.Policy switch
    {
        SteeringPolicy.Manual => steering.PinnedProviderAccountId,
        SteeringPolicy.Fastest or SteeringPolicy.Weighted => null,
        _ => (await SteeringRound.PriorityOrderAsync(db, service, steering, cancellationToken))
            .Where(id => service.Providers.Any(p => p.ProviderAccountId == id)).Cast<Guid?>().FirstOrDefault(),
    };

    private async Task<IReadOnlyList<SteeringEventView>> EventsOfAsync(Guid projectId, Guid serviceId, int limit, CancellationToken cancellationToken) =>
        (await db.Set<SteeringEvent>().AsNoTracking().Where(e => e.ServiceId == serviceId && e.ProjectId == projectId)
            .OrderByDescending(e => e.Id).Take(Math.Clamp(limit, 1, 1000)).ToListAsync(cancellationToken))
        .Select(e => new SteeringEventView(e.Id, e.At, e.Kind, e.Domains.Split(',', StringSplitOptions.RemoveEmptyEntries), e.FromProvider, e.ToProvider,
            e.Policy, e.Reason, e.Figures, e.Actor, e.Confirmation, e.FromWeights, e.ToWeights)).ToList();

    private static SteeringProvider? Provider(CdnService service, Guid? id) =>
        service.Providers.FirstOrDefault(p => p.ProviderAccountId == id) is { } p ? new SteeringProvider(p.ProviderAccountId, p.ProviderName) : null;

    private static string? NameOf(IEnumerable<ServiceProviderState> providers, Guid? id) => providers.FirstOrDefault(p => p.ProviderAccountId == id)?.ProviderName;

    private static object Snapshot(ServiceSteering s) => new
    {
        policy = s.Policy.WireName(),
        mode = s.Mode.WireName(),
        s.ProviderOrder,
        s.PinnedProviderAccountId,
        s.Thresholds,
        s.Weights,
    };
}
