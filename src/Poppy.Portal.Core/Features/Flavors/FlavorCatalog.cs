using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Flavors;

/// <summary>A flavor with its providers in order, each with the account it provisions to.</summary>
public sealed record FlavorDetails(string Id, DateTimeOffset CreatedAt, IReadOnlyList<FlavorProviderDetails> Providers,
    UnsupportedSettingsPolicy UnsupportedSettings = UnsupportedSettingsPolicy.Warn);

/// <param name="Provider">The account's name: Poppy's <c>provider</c>.</param>
/// <param name="ProviderUrl">The <c>href</c> of Poppy's <c>provider_url</c> link.</param>
public sealed record FlavorProviderDetails(
    string Provider, string ProviderUrl, Guid AccountId, ProviderKind Kind, string ApiEndpoint, bool IsEnabled);

/// <summary>
/// The flavors (Poppy's <c>/v1.0/flavors</c>): named sets of provider accounts that services are provisioned to. Global,
/// changed by administrators; the admin pages and the REST API both go through here.
/// </summary>
public sealed class FlavorCatalog(PortalDbContext db, AccessPolicy access, AuditLog auditLog, TimeProvider clock)
{
    private IQueryable<Flavor> Flavors => db.Set<Flavor>();

    public Task<IReadOnlyList<FlavorDetails>> ListAsync(CancellationToken cancellationToken)
    {
        access.RequireSignedIn();
        return DescribeAsync(Flavors, cancellationToken);
    }

    public async Task<FlavorDetails?> FindAsync(string id, CancellationToken cancellationToken)
    {
        access.RequireSignedIn();
        return (await DescribeAsync(Flavors.Where(f => f.Id == id), cancellationToken)).SingleOrDefault();
    }

    private static async Task<IReadOnlyList<FlavorDetails>> DescribeAsync(IQueryable<Flavor> selection, CancellationToken cancellationToken) =>
        await selection.AsNoTracking()
            .OrderBy(f => f.Id)
            .Select(f => new FlavorDetails(f.Id, f.CreatedAt, f.Providers.OrderBy(p => p.Position)
                .Select(p => new FlavorProviderDetails(p.ProviderAccount.Name, p.ProviderUrl, p.ProviderAccountId,
                    p.ProviderAccount.Kind, p.ProviderAccount.ApiEndpoint, p.ProviderAccount.IsEnabled))
                .ToList(), f.UnsupportedSettings))
            .ToListAsync(cancellationToken);

    /// <summary>
    /// Creates a flavor after Poppy's checks: id of 3–64 characters and not taken; one or more providers, each the name of
    /// a configured provider account, listed once, with exactly one <c>provider_url</c> link.
    /// </summary>
    public async Task<ChangeResult<FlavorDetails>> CreateAsync(FlavorSpec spec, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var accounts = await db.Set<ProviderAccount>().AsNoTracking()
            .ToDictionaryAsync(a => a.Name, a => a.Id, StringComparer.Ordinal, cancellationToken);
        var errors = FlavorRules.Check(spec, accounts.ContainsKey);
        var id = spec.Id!;
        if (errors.All(e => e.Path != "id") && await Flavors.AnyAsync(f => f.Id == id, cancellationToken))
        {
            errors.Add(IdTakenError(id));
        }
        if (errors.Count > 0)
        {
            return ChangeResult.Invalid(errors);
        }

        var providers = spec.Providers!.Select((p, position) => new FlavorProvider
        {
            FlavorId = id,
            Position = position,
            ProviderAccountId = accounts[p!.Provider!],
            ProviderUrl = p.Links![0]!.Href!,
        }).ToList();
        var policy = UnsupportedSettingsPolicies.Parse(spec.UnsupportedSettings) ?? UnsupportedSettingsPolicy.Warn;
        // A deleted flavor of this id (kept for the archived services naming it) is taken over rather than duplicated.
        var flavor = await db.Set<Flavor>().IgnoreQueryFilters().SingleOrDefaultAsync(f => f.Id == id && f.DeletedAt != null, cancellationToken);
        if (flavor is null)
        {
            flavor = new Flavor { Id = id };
            db.Add(flavor);
        }
        flavor.CreatedAt = clock.GetUtcNow();
        flavor.DeletedAt = null;
        flavor.UnsupportedSettings = policy;
        flavor.Providers = providers;
        auditLog.Record(null, AuditEntityTypes.Flavor, flavor.Id, "create", $"Created flavor {flavor.Id}", after: Snapshot(spec));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Created by someone else between the check and the save: the primary key refused ours.
            if (await Flavors.AnyAsync(f => f.Id == id, cancellationToken))
            {
                return ChangeResult.Invalid([IdTakenError(id)]);
            }
            throw;
        }
        return ChangeResult.Success((await FindAsync(id, cancellationToken))!);
    }

    /// <summary>
    /// Changes a flavor's providers (their order too) and its <c>unsupported_settings</c>, with the checks of
    /// <see cref="CreateAsync"/>; the id stays (services name it). Services are not touched now: their next change is
    /// provisioned to the new providers and removed from those that left (ProviderOperationRunner).
    /// </summary>
    public async Task<ChangeResult<FlavorDetails>> UpdateAsync(string id, FlavorSpec spec, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var flavor = await Flavors.Include(f => f.Providers).ThenInclude(p => p.ProviderAccount)
            .SingleOrDefaultAsync(f => f.Id == id, cancellationToken);
        if (flavor is null)
        {
            return ChangeResult.NotFound;
        }
        var accounts = await db.Set<ProviderAccount>().AsNoTracking()
            .ToDictionaryAsync(a => a.Name, a => a.Id, StringComparer.Ordinal, cancellationToken);
        var changed = spec with { Id = id };
        var errors = FlavorRules.Check(changed, accounts.ContainsKey);
        if (errors.Count > 0)
        {
            return ChangeResult.Invalid(errors);
        }

        var before = Snapshot(SpecOf(flavor));
        // Rows are keyed by position: the ones kept are changed in place, so no key is removed and added in one save.
        var rows = flavor.Providers.OrderBy(p => p.Position).ToList();
        var wanted = changed.Providers!;
        for (var position = 0; position < wanted.Count; position++)
        {
            var row = position < rows.Count ? rows[position] : null;
            if (row is null)
            {
                row = new FlavorProvider { FlavorId = id, Position = position };
                flavor.Providers.Add(row);
            }
            row.ProviderAccountId = accounts[wanted[position]!.Provider!];
            row.ProviderUrl = wanted[position]!.Links![0]!.Href!;
        }
        db.RemoveRange(rows.Skip(wanted.Count));
        flavor.UnsupportedSettings = UnsupportedSettingsPolicies.Parse(changed.UnsupportedSettings) ?? flavor.UnsupportedSettings;
        auditLog.Record(null, AuditEntityTypes.Flavor, id, "update", $"Updated flavor {id}", before, Snapshot(changed with
        {
            UnsupportedSettings = flavor.UnsupportedSettings.WireName(),
        }));
        await db.SaveChangesAsync(cancellationToken);
        return ChangeResult.Success((await FindAsync(id, cancellationToken))!);
    }

    /// <summary>
    /// Deletes a flavor that no live service uses (<see cref="ChangeResult.IsConflict"/> while one does, with how many;
    /// <see cref="ChangeResult.NotFound"/> for an id that does not exist). Archived services keep naming it, so the row
    /// stays, marked deleted and hidden; its providers go, so the accounts it listed can be deleted.
    /// </summary>
    public async Task<ChangeResult> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var flavor = await Flavors.Include(f => f.Providers).ThenInclude(p => p.ProviderAccount)
            .SingleOrDefaultAsync(f => f.Id == id, cancellationToken);
        if (flavor is null)
        {
            return ChangeResult.NotFound;
        }
        var usedBy = await db.Set<CdnService>().CountAsync(s => s.FlavorId == id && s.ArchivedAt == null, cancellationToken);
        if (usedBy > 0)
        {
            return ChangeResult.Conflict("id", $"Flavor '{id}' is used by {usedBy} service{(usedBy == 1 ? "" : "s")}; move {(usedBy == 1 ? "it" : "them")} "
                + "to another flavor or delete them first.");
        }

        var before = Snapshot(SpecOf(flavor));
        db.RemoveRange(flavor.Providers);
        flavor.DeletedAt = clock.GetUtcNow();
        auditLog.Record(null, AuditEntityTypes.Flavor, id, "delete", $"Deleted flavor {id}", before: before);
        await db.SaveChangesAsync(cancellationToken);
        return ChangeResult.Ok;
    }

    private static FlavorSpec SpecOf(Flavor flavor) => new(flavor.Id, flavor.Providers.OrderBy(p => p.Position)
        .Select(p => FlavorProviderSpec.WithProviderUrl(p.ProviderAccount.Name, p.ProviderUrl)).ToList(), flavor.UnsupportedSettings.WireName());

    private static ValidationError IdTakenError(string id) => new("id", $"A flavor with id '{id}' already exists.");

    /// <summary>The audit view, in the API's shape.</summary>
    private static object Snapshot(FlavorSpec spec) => new
    {
        spec.Id,
        Providers = spec.Providers!.Select(p => new { p!.Provider, ProviderUrl = p.Links![0]!.Href }).ToList(),
        UnsupportedSettings = spec.UnsupportedSettings ?? UnsupportedSettingsPolicy.Warn.WireName(),
    };
}
