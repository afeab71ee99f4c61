using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore.Storage;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// The application service for CDN services, called by the REST API and the portal pages alike. Every method is scoped
/// to one project, and refuses what the acting user may not do there (<see cref="AccessPolicy"/>); changes record the desired state, set each provider of the flavor in progress, queue one
/// provisioning operation per provider in the same transaction, and are audited. The provisioning job does the rest.
/// </summary>
public sealed partial class ServiceCatalog(PortalDbContext db, AccessPolicy access, AuditLog audit, ProvisioningScheduler scheduler,
    TimeProvider clock, IOptions<ServiceOptions> options, ILogger<ServiceCatalog> logger, FlavorLimitations limitations)
{
    private readonly ServiceOptions _options = options.Value;

    /// <summary>A live (not archived) service of the project with its provider states, or null.</summary>
    public async Task<CdnService?> FindAsync(Guid projectId, Guid id, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        return await Live(projectId).AsNoTracking().Include(s => s.Providers).FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
    }

    /// <summary>
    /// Poppy's paging: services after <paramref name="marker"/> in creation order. An unknown marker (never a service of
    /// this project) gives an empty page rather than an error, as a random UUID did in Poppy.
    /// </summary>
    public async Task<IReadOnlyList<CdnService>> ListPageAsync(Guid projectId, Guid? marker, int limit, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        var after = 0L;
        if (marker is { } markerId)
        {
            // Archived services still resolve, so paging survives a delete of the marker service.
            var sequence = await db.Set<CdnService>().Where(s => s.ProjectId == projectId && s.Id == markerId)
                .Select(s => (long?)s.Sequence).FirstOrDefaultAsync(cancellationToken);
            if (sequence is null)
            {
                return [];
            }
            after = sequence.Value;
        }
        return await Live(projectId).AsNoTracking().Include(s => s.Providers)
            .Where(s => s.Sequence > after).OrderBy(s => s.Sequence).Take(limit)
            .ToListAsync(cancellationToken);
    }

    /// <summary>The portal's list: search in names and domains, filters, sorting and numbered pages.</summary>
    public async Task<ServiceSearchResult> SearchAsync(Guid projectId, ServiceQuery query, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        var services = Live(projectId);
        if (!string.IsNullOrWhiteSpace(query.Text))
        {
            var text = query.Text.Trim().ToLowerInvariant();
            services = services.Where(s => s.Name.ToLower().Contains(text) || s.Domains.Any(d => d.Domain.Contains(text)));
        }
        if (query.Status is { } status)
        {
            services = services.Where(s => s.Status == status);
        }
        if (!string.IsNullOrEmpty(query.FlavorId))
        {
            services = services.Where(s => s.FlavorId == query.FlavorId);
        }
        var total = await services.CountAsync(cancellationToken);
        var sorted = (query.Sort, query.Descending) switch
        {
            (ServiceSort.Name, false) => services.OrderBy(s => s.Name).ThenBy(s => s.Sequence),
            (ServiceSort.Name, true) => services.OrderByDescending(s => s.Name).ThenByDescending(s => s.Sequence),
            (ServiceSort.Status, false) => services.OrderBy(s => s.Status).ThenBy(s => s.Sequence),
            (ServiceSort.Status, true) => services.OrderByDescending(s => s.Status).ThenByDescending(s => s.Sequence),
            (ServiceSort.Flavor, false) => services.OrderBy(s => s.FlavorId).ThenBy(s => s.Sequence),
            (ServiceSort.Flavor, true) => services.OrderByDescending(s => s.FlavorId).ThenByDescending(s => s.Sequence),
            (ServiceSort.Updated, false) => services.OrderBy(s => s.UpdatedAt).ThenBy(s => s.Sequence),
            (ServiceSort.Updated, true) => services.OrderByDescending(s => s.UpdatedAt).ThenByDescending(s => s.Sequence),
            (_, false) => services.OrderBy(s => s.Sequence),
            (_, true) => services.OrderByDescending(s => s.Sequence),
        };
        var pageSize = Math.Clamp(query.PageSize, 1, 100);
        var page = Math.Max(query.Page, 1);
        var rows = await sorted.Skip((page - 1) * pageSize).Take(pageSize)
            .Select(s => new
            {
                s.Id, s.Name, s.Status, s.FlavorId, Domains = s.Domains.Select(d => d.Domain).ToList(), s.UpdatedAt,
                Warnings = s.Providers.Select(p => p.Warnings).ToList(),
            })
            .ToListAsync(cancellationToken);
        return new ServiceSearchResult(rows.Select(r => new ServiceListItem(r.Id, r.Name, r.Status, r.FlavorId, r.Domains, r.UpdatedAt,
            ProviderWarnings.Count(r.Warnings))).ToList(), total, page, pageSize);
    }

    public async Task<CatalogResult> CreateAsync(Guid projectId, ServiceSpec spec, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Change, cancellationToken);
        (spec, var flavor, var invalid) = await CheckAsync(spec, isCreate: true, cancellationToken);
        if (invalid is not null)
        {
            return invalid;
        }

        // The limit is counted and the service inserted in one transaction that holds the project's lock, so concurrent
        // creates cannot all see room for one more.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await LockProjectAsync(projectId, cancellationToken);
        var limit = await ReadLimitAsync(projectId, cancellationToken);
        var count = await Live(projectId).CountAsync(s => s.Status != ServiceStatus.DeleteInProgress, cancellationToken);
        if (count >= limit)
        {
            return CatalogResult.LimitReached(limit);
        }
        var domainErrors = await ClaimDomainsAsync(spec, current: null, cancellationToken);
        if (domainErrors.Count > 0)
        {
            return CatalogResult.Invalid(domainErrors);
        }

        var now = clock.GetUtcNow();
        var service = new CdnService
        {
            Id = Guid.CreateVersion7(now),
            ProjectId = projectId,
            CreatedAt = now,
        };
        Apply(service, spec, flavor!, now, ProviderStatus.DeployInProgress);
        db.Add(service);
        audit.Record(projectId, AuditEntityTypes.Service, service.Id.ToString(), "create", $"Created service {spec.Name}", after: service.Document);
        return await SaveAsync(service, spec, cancellationToken, transaction);
    }

    /// <summary>
    /// Replaces the configuration of a deployed or failed service (the forms, and PATCH after applying the patch). A
    /// deployed service asked to be what it already is (same document, same providers) is left alone: success, nothing
    /// queued (<see cref="CatalogResult.IsUnchanged"/>). A failed one is provisioned again, which is how a save retries it.
    /// </summary>
    public async Task<CatalogResult> UpdateAsync(Guid projectId, Guid id, ServiceSpec spec, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Change, cancellationToken);
        var service = await Live(projectId).Include(s => s.Domains).Include(s => s.Providers).FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (service is null)
        {
            return CatalogResult.NotFound(id);
        }
        if (service.Status is not (ServiceStatus.Deployed or ServiceStatus.Failed))
        {
            return CatalogResult.Rejected(id, $"Service {id} is {service.Status.WireName()}; it can be changed once it is deployed or has failed.");
        }
        (spec, var flavor, var invalid) = await CheckAsync(spec, isCreate: false, cancellationToken);
        if (invalid is not null)
        {
            return invalid;
        }
        var domainErrors = await ClaimDomainsAsync(spec, service, cancellationToken);
        if (domainErrors.Count > 0)
        {
            return CatalogResult.Invalid(domainErrors);
        }

        if (IsUnchanged(service, spec, flavor!))
        {
            return CatalogResult.Unchanged(id);
        }

        var before = service.Document;
        Apply(service, spec, flavor!, clock.GetUtcNow(), ProviderStatus.UpdateInProgress);
        service.Version++;
        audit.Record(projectId, AuditEntityTypes.Service, id.ToString(), "update", $"Updated service {spec.Name}", before, service.Document);
        return await SaveAsync(service, spec, cancellationToken);
    }

    /// <summary>Applies an RFC 6902 patch to the editable document, then updates as <see cref="UpdateAsync"/> does.</summary>
    public async Task<CatalogResult> PatchAsync(Guid projectId, Guid id, JsonElement patch, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Change, cancellationToken);
        var service = await FindAsync(projectId, id, cancellationToken);
        if (service is null)
        {
            return CatalogResult.NotFound(id);
        }
        var document = EditableDocument(service.ReadSpec());
        if (ServiceJsonPatch.Apply(document, patch, out var patchErrors) is null)
        {
            return CatalogResult.Invalid(patchErrors);
        }
        // The patch is bounded while it is applied; this parse keeps to the same limits in case a bound is ever missed,
        // and answers as a refused patch rather than an exception.
        JsonDocument patched;
        try
        {
            patched = JsonDocument.Parse(document.ToJsonString(), new JsonDocumentOptions { MaxDepth = ServiceLimits.MaxDocumentDepth });
        }
        catch (JsonException)
        {
            return CatalogResult.Invalid("", $"The patched document is not a service document: it nests deeper than {ServiceLimits.MaxDocumentDepth} levels.");
        }
        using (patched)
        {
            var spec = ServiceDocumentReader.Read(patched.RootElement, out var readErrors);
            return spec is null ? CatalogResult.Invalid(readErrors) : await UpdateAsync(projectId, id, spec, cancellationToken);
        }
    }

    /// <summary>
    /// The document a PATCH applies to, as Poppy builds it: shared domains by their first label, and explicit nulls for
    /// an http domain's certificate and an unset host header so that "replace" finds them.
    /// </summary>
    public static JsonObject EditableDocument(ServiceSpec spec)
    {
        var editable = ForEditing(spec);
        var document = JsonSerializer.SerializeToNode(editable, ServiceSpec.Json)!.AsObject();
        foreach (var domain in document["domains"]!.AsArray().OfType<JsonObject>().Where(d => !d.ContainsKey("certificate")))
        {
            domain["certificate"] = null;
        }
        foreach (var origin in document["origins"]!.AsArray().OfType<JsonObject>().Where(o => !o.ContainsKey("hostheadervalue")))
        {
            origin["hostheadervalue"] = null;
        }
        return document;
    }

    /// <summary>The spec as a user edits it: shared-certificate domains by the name they chose, without the shard suffix.</summary>
    public static ServiceSpec ForEditing(ServiceSpec spec)
    {
        var editable = spec.Clone();
        foreach (var domain in editable.Domains.Where(d => d.Certificate == CertificateType.Shared))
        {
            domain.Domain = domain.Domain.Split('.')[0];
        }
        return editable;
    }

    /// <summary>Deletes from every provider (Poppy: a second delete is accepted too).</summary>
    public async Task<CatalogResult> DeleteAsync(Guid projectId, Guid id, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Change, cancellationToken);
        var service = await Live(projectId).Include(s => s.Providers).FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (service is null)
        {
            return CatalogResult.NotFound(id);
        }
        if (service.Status == ServiceStatus.DeleteInProgress)
        {
            return CatalogResult.Ok(id);
        }
        var now = clock.GetUtcNow();
        SetProviders(service, ProviderStatus.DeleteInProgress, now);
        db.AddRange(ProvisioningOperation.For(service, OperationKind.Delete, service.Providers, now));
        service.Version++;
        audit.Record(projectId, AuditEntityTypes.Service, id.ToString(), "delete", $"Deleted service {service.Name}", before: service.Document);
        return await SaveAsync(service, spec: null, cancellationToken);
    }

    /// <summary>Asks every provider to purge one path (or everything); only a deployed service can be purged.</summary>
    public async Task<CatalogResult> PurgeAsync(Guid projectId, Guid id, string? url, bool hard, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Change, cancellationToken);
        if (url is not null && PurgeTarget.Check(url) is { } invalidUrl)
        {
            // The API and the page check first; this keeps any other caller from sending a traversal to the vendors.
            return CatalogResult.Invalid("url", invalidUrl);
        }
        var service = await FindAsync(projectId, id, cancellationToken);
        if (service is null)
        {
            return CatalogResult.NotFound(id);
        }
        if (service.Status != ServiceStatus.Deployed)
        {
            return CatalogResult.Rejected(id, $"Service {id} is {service.Status.WireName()}; only a deployed service can be purged.");
        }
        var purge = new ServicePurge { ServiceId = id, Url = url, Hard = hard, RequestedAt = clock.GetUtcNow() };
        db.Add(purge);
        db.AddRange(ProvisioningOperation.For(service, OperationKind.Purge, service.Providers, purge.RequestedAt, purge));
        var what = url is null ? "everything" : url;
        audit.Record(projectId, AuditEntityTypes.Service, id.ToString(), "purge", $"Requested a {(hard ? "hard" : "soft")} purge of {what} on {service.Name}",
            after: new { url, hard });
        await db.SaveChangesAsync(cancellationToken);
        await ScheduleAsync(id, cancellationToken);
        return CatalogResult.Ok(id);
    }

    /// <summary>Poppy's admin status override: marks every provider deployed or failed.</summary>
    public async Task<CatalogResult> SetStatusAsync(Guid projectId, Guid id, ProviderStatus status, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Administer, cancellationToken);
        var service = await Live(projectId).Include(s => s.Providers).FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (service is null)
        {
            return CatalogResult.NotFound(id);
        }
        var before = service.Status.WireName();
        var now = clock.GetUtcNow();
        SetProviders(service, status, now, status == ProviderStatus.Failed ? "Marked failed by an administrator." : null);
        // The override is the last word: provisioning must not carry on and overwrite it.
        var pending = await db.Set<ProvisioningOperation>()
            .Where(o => o.ServiceId == id && o.Kind != OperationKind.Purge && ProvisioningOperation.PendingStates.Contains(o.State))
            .ToListAsync(cancellationToken);
        foreach (var operation in pending)
        {
            operation.Cancel("Cancelled by an administrator's status override.", now);
        }
        audit.Record(projectId, AuditEntityTypes.Service, id.ToString(), "set-status", $"Set status of {service.Name} to {service.Status.WireName()}",
            new { status = before }, new { status = service.Status.WireName() });
        return await SaveAsync(service, spec: null, cancellationToken);
    }

    public async Task<int> GetLimitAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        return await ReadLimitAsync(projectId, cancellationToken);
    }

    private async Task<int> ReadLimitAsync(Guid projectId, CancellationToken cancellationToken) =>
        await db.Set<ProjectServiceLimit>().Where(l => l.ProjectId == projectId).Select(l => (int?)l.MaxServices).FirstOrDefaultAsync(cancellationToken)
        ?? _options.DefaultServiceLimit;

    /// <summary>
    /// Serializes changes that must see the project's services as a whole. SQLite's transactions here begin IMMEDIATE,
    /// which already holds the database's write lock; PostgreSQL locks the project's row until the transaction ends.
    /// </summary>
    private async Task LockProjectAsync(Guid projectId, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlInterpolatedAsync($@"SELECT 1 FROM ""Projects"" WHERE ""Id"" = {projectId} FOR UPDATE", cancellationToken);
        }
    }

    public async Task SetLimitAsync(Guid projectId, int limit, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Administer, cancellationToken);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var row = await db.Set<ProjectServiceLimit>().FindAsync([projectId], cancellationToken);
        var before = row?.MaxServices ?? _options.DefaultServiceLimit;
        if (row is null)
        {
            db.Add(new ProjectServiceLimit { ProjectId = projectId, MaxServices = limit });
        }
        else
        {
            row.MaxServices = limit;
        }
        audit.Record(projectId, AuditEntityTypes.ProjectLimit, projectId.ToString(), "update", $"Set the service limit to {limit}",
            new { limit = before }, new { limit });
        await db.SaveChangesAsync(cancellationToken);
    }

    private IQueryable<CdnService> Live(Guid projectId) =>
        db.Set<CdnService>().Where(s => s.ProjectId == projectId && s.ArchivedAt == null);

    /// <summary>
    /// The checks a create and an update share, on a copy with Poppy's defaults applied: the document's rules, that the
    /// flavor exists, and, when the flavor refuses what its vendors cannot express, that every vendor can express it.
    /// Returns the copy and its flavor, or the result to answer with.
    /// </summary>
    private async Task<(ServiceSpec Spec, Flavor? Flavor, CatalogResult? Invalid)> CheckAsync(ServiceSpec spec, bool isCreate, CancellationToken cancellationToken)
    {
        spec = spec.Clone();
        ServiceDefaults.Apply(spec, isCreate);
        var errors = ServiceSpecValidator.Validate(spec);
        if (errors.Count > 0)
        {
            return (spec, null, CatalogResult.Invalid(errors));
        }
        var flavor = await FindFlavorAsync(spec.FlavorId, cancellationToken);
        if (flavor is null)
        {
            return (spec, null, CatalogResult.Invalid("flavor_id", $"Flavor '{spec.FlavorId}' does not exist."));
        }
        if (flavor.UnsupportedSettings == UnsupportedSettingsPolicy.Refuse && limitations.Of(flavor, spec) is { Count: > 0 } unsupported)
        {
            return (spec, flavor, CatalogResult.Invalid(unsupported.Select(l => new ValidationError("",
                $"{l.Provider} ({l.Kind}) cannot express this, and flavor '{flavor.Id}' refuses what its vendors cannot express: {l.Setting}")).ToList()));
        }
        return (spec, flavor, null);
    }

    private Task<Flavor?> FindFlavorAsync(string flavorId, CancellationToken cancellationToken) =>
        db.Set<Flavor>().Include(f => f.Providers).ThenInclude(p => p.ProviderAccount)
            .AsNoTracking().FirstOrDefaultAsync(f => f.Id == flavorId, cancellationToken);

    /// <summary>
    /// Gives shared-certificate names their shard (keeping the one a service already has) and checks that no other
    /// service, in any project, holds a domain. The database key settles races between concurrent requests.
    /// </summary>
    private async Task<List<ValidationError>> ClaimDomainsAsync(ServiceSpec spec, CdnService? current, CancellationToken cancellationToken)
    {
        var errors = new List<ValidationError>();
        var ownDomains = current?.Domains.Select(d => d.Domain).ToHashSet() ?? [];
        for (var i = 0; i < spec.Domains.Count; i++)
        {
            var domain = spec.Domains[i];
            if (domain.Certificate != CertificateType.Shared || domain.Domain.Contains('.'))
            {
                continue;
            }
            var kept = ownDomains.FirstOrDefault(d => d.StartsWith(domain.Domain + ".scdn", StringComparison.Ordinal));
            var candidates = kept is not null ? [kept] : Enumerable.Range(1, _options.SharedSslShards)
                .OrderBy(_ => Random.Shared.Next())
                .Select(n => $"{domain.Domain}.scdn{n}.{_options.SharedSslDomainSuffix}").ToList();
            var taken = await db.Set<ServiceDomain>().Where(d => candidates.Contains(d.Domain) && !ownDomains.Contains(d.Domain))
                .Select(d => d.Domain).ToListAsync(cancellationToken);
            var free = candidates.FirstOrDefault(c => !taken.Contains(c));
            if (free is null)
            {
                errors.Add(new ValidationError($"domains[{i}].domain", $"Every shared-certificate shard already has a '{domain.Domain}'; choose another name."));
            }
            else
            {
                domain.Domain = free;
            }
        }

        // Compared in canonical form (lower case, no trailing dot), which is the only form the validator lets be stored,
        // so WWW.Example.com. can never sit next to www.example.com in another project.
        var names = spec.Domains.Select(d => HostNames.Canonical(d.Domain)).ToList();
        var inUse = await db.Set<ServiceDomain>().Where(d => names.Contains(d.Domain) && !ownDomains.Contains(d.Domain))
            .Select(d => d.Domain).ToListAsync(cancellationToken);
        errors.AddRange(inUse.Select(name => new ValidationError($"domains[{names.IndexOf(name)}].domain", $"Domain {name} has already been taken")));
        return errors;
    }

    /// <summary>Whether a deployed service already is <paramref name="spec"/> at exactly the providers of <paramref name="flavor"/>.</summary>
    private static bool IsUnchanged(CdnService service, ServiceSpec spec, Flavor flavor) =>
        service.Status == ServiceStatus.Deployed
        && service.Providers.All(p => p.Status == ProviderStatus.Deployed)
        && service.Providers.Select(p => p.ProviderAccountId).ToHashSet().SetEquals(flavor.Providers.Select(p => p.ProviderAccountId))
        && spec.ToJson() == service.Document;

    /// <summary>Writes the desired state onto the entity and sets every provider of the flavor to <paramref name="progress"/>.</summary>
    private void Apply(CdnService service, ServiceSpec spec, Flavor flavor, DateTimeOffset now, ProviderStatus progress)
    {
        service.Name = spec.Name;
        service.FlavorId = spec.FlavorId;
        service.Document = spec.ToJson();
        service.UpdatedAt = now;

        var wanted = spec.Domains.ToDictionary(d => d.Domain);
        service.Domains.RemoveAll(d => !wanted.ContainsKey(d.Domain));
        foreach (var domain in spec.Domains)
        {
            var row = service.Domains.FirstOrDefault(d => d.Domain == domain.Domain);
            if (row is null)
            {
                service.Domains.Add(row = new ServiceDomain { Domain = domain.Domain, ServiceId = service.Id });
            }
            row.Protocol = domain.Protocol;
            row.Certificate = domain.Certificate;
        }

        // Providers that left the flavor stay until provisioning has removed the service from them.
        var joined = flavor.Providers.Where(p => service.Providers.All(s => s.ProviderAccountId != p.ProviderAccountId))
            .Select(p => new ServiceProviderState { ServiceId = service.Id, ProviderAccountId = p.ProviderAccountId, ProviderName = p.ProviderAccount.Name })
            .ToList();
        // A provider new to the service, or whose create failed before the vendor had anything, is created there.
        var creates = service.Providers
            .Where(p => p.ProviderServiceId is null && p.Status is ProviderStatus.Failed or ProviderStatus.DeployInProgress
                && flavor.Providers.Any(f => f.ProviderAccountId == p.ProviderAccountId))
            .Concat(joined).ToList();
        service.Providers.AddRange(joined);
        SetProviders(service, progress, now);
        creates.ForEach(p => p.Status = ProviderStatus.DeployInProgress);
        service.Status = ServiceStatuses.Derive(service.Providers.Select(p => p.Status).ToList());
        db.AddRange(ProvisioningOperation.For(service, OperationKind.Create, creates, now));
        db.AddRange(ProvisioningOperation.For(service, OperationKind.Update, service.Providers.Except(creates), now));
    }

    private static void SetProviders(CdnService service, ProviderStatus status, DateTimeOffset now, string? error = null)
    {
        foreach (var provider in service.Providers)
        {
            provider.Status = status;
            provider.ErrorMessage = error;
            provider.UpdatedAt = now;
        }
        service.Status = ServiceStatuses.Derive(service.Providers.Select(p => p.Status).ToList());
    }

    private async Task<CatalogResult> SaveAsync(CdnService service, ServiceSpec? spec, CancellationToken cancellationToken,
        IDbContextTransaction? transaction = null)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            if (transaction is not null)
            {
                // Committed before scheduling: the scheduler writes through its own connection.
                await transaction.CommitAsync(cancellationToken);
            }
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return CatalogResult.Rejected(service.Id, $"Service {service.Id} was changed by someone else meanwhile; reload it and try again.");
        }
        catch (DbUpdateException) when (spec is not null)
        {
            // Another request claimed one of the domains between our check and the insert. (PostgreSQL refuses every
            // further statement of a failed transaction: end it before looking.)
            if (transaction is not null)
            {
                await transaction.RollbackAsync(cancellationToken);
            }
            db.ChangeTracker.Clear();
            var names = spec.Domains.Select(d => d.Domain).ToList();
            var taken = await db.Set<ServiceDomain>().Where(d => names.Contains(d.Domain) && d.ServiceId != service.Id)
                .Select(d => d.Domain).ToListAsync(cancellationToken);
            if (taken.Count == 0)
            {
                throw;
            }
            return CatalogResult.Invalid(taken.Select(name => new ValidationError($"domains[{names.IndexOf(name)}].domain", $"Domain {name} has already been taken")).ToList());
        }
        await ScheduleAsync(service.Id, cancellationToken);
        return CatalogResult.Ok(service.Id);
    }

    /// <summary>
    /// Starts the provisioning job. The operations are already saved, so if scheduling fails the recovery sweep
    /// schedules the job shortly; the change is accepted either way.
    /// </summary>
    private async Task ScheduleAsync(Guid serviceId, CancellationToken cancellationToken)
    {
        try
        {
            await scheduler.ScheduleAsync(serviceId, at: null, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogScheduleFailed(e, serviceId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not schedule provisioning of service {ServiceId}; the recovery sweep will")]
    private partial void LogScheduleFailed(Exception exception, Guid serviceId);
}

public enum ServiceSort { Created, Name, Status, Flavor, Updated }

public sealed record ServiceQuery(string? Text = null, ServiceStatus? Status = null, string? FlavorId = null,
    ServiceSort Sort = ServiceSort.Created, bool Descending = true, int Page = 1, int PageSize = 25);

/// <param name="Warnings">How many settings its providers could not express (see <see cref="ProviderWarnings"/>).</param>
public sealed record ServiceListItem(Guid Id, string Name, ServiceStatus Status, string FlavorId, List<string> Domains, DateTimeOffset UpdatedAt,
    int Warnings = 0);

public sealed record ServiceSearchResult(IReadOnlyList<ServiceListItem> Items, int Total, int Page, int PageSize)
{
    public int PageCount => Math.Max(1, (Total + PageSize - 1) / PageSize);
}
