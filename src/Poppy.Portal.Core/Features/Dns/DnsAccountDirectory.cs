using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Dns;

/// <summary>A DNS account as pages and other features see it: never its credentials, only their masked hint.</summary>
public sealed record DnsAccountSummary(
    Guid Id, string Name, DnsProviderKind Kind, string ApiEndpoint, string Zone, int TtlSeconds, string CredentialsHint,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>What an administrator enters for a DNS account.</summary>
/// <param name="TtlSeconds">The CNAMEs' TTL; null takes <see cref="DnsRecordNames.DefaultTtlSeconds"/>.</param>
/// <param name="Credentials">Values by <see cref="CredentialField.Key"/>. On update an empty or missing value keeps the stored one.</param>
public sealed record DnsAccountSpec(
    string? Name, DnsProviderKind Kind, string? ApiEndpoint, string? Zone, int? TtlSeconds, IReadOnlyDictionary<string, string?>? Credentials);

/// <summary>
/// The DNS accounts steering writes its CNAMEs through: global administration, like provider accounts. Credentials are
/// stored as JSON protected with Data Protection under <see cref="CredentialsPurpose"/> (not the provider accounts'
/// purpose, so one kind of protected value can never be read as the other), appear in the audit log and on pages only as
/// a hint, and leave this class unprotected only through <see cref="CallForAsync"/>, for the drivers.
/// </summary>
public sealed class DnsAccountDirectory(
    PortalDbContext db, AccessPolicy access, AuditLog auditLog, IDataProtectionProvider dataProtection, TimeProvider clock)
{
    public const string CredentialsPurpose = "Poppy.DnsAccounts.Credentials.v1";

    public const string AuditEntityType = AuditEntityTypes.DnsAccount;

    /// <summary>The longest TTL an account may set: a day (longer ones defeat steering).</summary>
    public const int MaxTtlSeconds = 86400;

    /// <summary>Rackspace Cloud DNS refuses TTLs below 300 s.</summary>
    public const int RackspaceMinimumTtlSeconds = 300;

    private readonly CredentialProtector vault = new(dataProtection, CredentialsPurpose);

    private IQueryable<DnsAccount> Accounts => db.Set<DnsAccount>();

    public Task<IReadOnlyList<DnsAccountSummary>> ListAsync(CancellationToken cancellationToken)
    {
        access.RequireSignedIn();
        return SummarizeAsync(Accounts, cancellationToken);
    }

    public async Task<DnsAccountSummary?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        access.RequireSignedIn();
        return (await SummarizeAsync(Accounts.Where(a => a.Id == id), cancellationToken)).SingleOrDefault();
    }

    /// <summary>
    /// What a driver needs to act in the account (endpoint, zone, unprotected credentials) with <paramref name="http"/>;
    /// null for an unknown account or credentials that can no longer be read (the Data Protection keys changed).
    /// </summary>
    public async Task<DnsCall?> CallForAsync(Guid id, HttpClient http, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var account = await Accounts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        return account is not null && vault.TryUnprotect(account.ProtectedCredentials) is { } credentials
            ? new DnsCall(account.ApiBaseUri(), account.Zone, credentials, http, clock)
            : null;
    }

    /// <summary>The credentials that are not secret (Keystone URL, user), for the edit form; empty when they cannot be read.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetVisibleCredentialsAsync(Guid id, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var account = await Accounts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (account is null || vault.TryUnprotect(account.ProtectedCredentials) is not { } credentials)
        {
            return new Dictionary<string, string>();
        }

        return DnsCredentialFields.For(account.Kind)
            .Where(f => !f.IsSecret && credentials.ContainsKey(f.Key))
            .ToDictionary(f => f.Key, f => credentials[f.Key]);
    }

    public async Task<ChangeResult<DnsAccountSummary>> CreateAsync(DnsAccountSpec spec, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var (name, endpoint, zone, ttl, errors) = await CheckAsync(spec, accountId: null, cancellationToken);
        if (!Enum.IsDefined(spec.Kind))
        {
            return ChangeResult.Invalid(errors);
        }

        var (credentials, _, credentialErrors) = ProviderAccountRules.MergeCredentials(
            DnsCredentialFields.For(spec.Kind), DnsCredentialFields.DisplayName(spec.Kind), spec.Credentials, stored: null);
        errors.AddRange(credentialErrors);
        if (errors.Count > 0)
        {
            return ChangeResult.Invalid(errors);
        }

        var now = clock.GetUtcNow();
        var account = new DnsAccount
        {
            Id = Guid.NewGuid(), Name = name, Kind = spec.Kind, ApiEndpoint = endpoint, Zone = zone, TtlSeconds = ttl,
            CreatedAt = now, UpdatedAt = now,
        };
        StoreCredentials(account, credentials);
        db.Add(account);
        auditLog.Record(null, AuditEntityType, account.Id.ToString(), "create",
            $"Created {DnsCredentialFields.DisplayName(account.Kind)} DNS account {account.Name} for zone {account.Zone}", after: Snapshot(account));
        return await SaveAsync(account, cancellationToken);
    }

    /// <summary>Changes what was entered; empty credential fields keep their value (unless the kind changes).</summary>
    public async Task<ChangeResult<DnsAccountSummary>> UpdateAsync(Guid id, DnsAccountSpec spec, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var account = await Accounts.SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (account is null)
        {
            return ChangeResult.NotFound;
        }

        var (name, endpoint, zone, ttl, errors) = await CheckAsync(spec, account.Id, cancellationToken);
        if (!Enum.IsDefined(spec.Kind))
        {
            return ChangeResult.Invalid(errors);
        }

        var stored = spec.Kind == account.Kind ? vault.TryUnprotect(account.ProtectedCredentials) : null;
        var (credentials, replaced, credentialErrors) = ProviderAccountRules.MergeCredentials(
            DnsCredentialFields.For(spec.Kind), DnsCredentialFields.DisplayName(spec.Kind), spec.Credentials, stored);
        if (spec.Kind == account.Kind && stored is null && credentialErrors.Count > 0)
        {
            errors.Add(new("credentials", "The stored credentials can no longer be read (the Data Protection keys changed): enter every field again."));
        }

        errors.AddRange(credentialErrors);
        if (errors.Count > 0)
        {
            return ChangeResult.Invalid(errors);
        }

        var before = Snapshot(account);
        account.Name = name;
        account.Kind = spec.Kind;
        account.ApiEndpoint = endpoint;
        account.Zone = zone;
        account.TtlSeconds = ttl;
        StoreCredentials(account, credentials);
        account.UpdatedAt = clock.GetUtcNow();
        var what = replaced.Count > 0 ? $" (new {string.Join(", ", replaced)})" : "";
        auditLog.Record(null, AuditEntityType, account.Id.ToString(), "update", $"Updated DNS account {account.Name}{what}", before, Snapshot(account));
        return await SaveAsync(account, cancellationToken);
    }

    public async Task<ChangeResult> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var account = await Accounts.SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (account is null)
        {
            return ChangeResult.NotFound;
        }

        db.Remove(account);
        auditLog.Record(null, AuditEntityType, account.Id.ToString(), "delete", $"Deleted DNS account {account.Name}", before: Snapshot(account));
        await db.SaveChangesAsync(cancellationToken);
        return ChangeResult.Ok;
    }

    private async Task<IReadOnlyList<DnsAccountSummary>> SummarizeAsync(IQueryable<DnsAccount> selection, CancellationToken cancellationToken) =>
        await selection.AsNoTracking()
            .OrderBy(a => a.Name)
            .Select(a => new DnsAccountSummary(a.Id, a.Name, a.Kind, a.ApiEndpoint, a.Zone, a.TtlSeconds, a.CredentialsHint, a.CreatedAt, a.UpdatedAt))
            .ToListAsync(cancellationToken);

    private async Task<(string Name, string Endpoint, string Zone, int Ttl, List<ValidationError> Errors)> CheckAsync(
        DnsAccountSpec spec, Guid? accountId, CancellationToken cancellationToken)
    {
        var name = spec.Name?.Trim() ?? "";
        var endpoint = spec.ApiEndpoint?.Trim() ?? "";
        var zoneText = spec.Zone?.Trim() ?? "";
        var ttl = spec.TtlSeconds ?? DnsRecordNames.DefaultTtlSeconds;
        var errors = ProviderAccountRules.CheckName(name).Concat(ProviderAccountRules.CheckEndpoint(endpoint)).ToList();
        if (!Enum.IsDefined(spec.Kind))
        {
            errors.Add(new("kind", "Choose a DNS provider kind."));
        }

        var zone = "";
        if (zoneText.Length == 0)
        {
            errors.Add(new("zone", "Enter the zone the records go in, e.g. cdn.example.net."));
        }
        else if (TextRules.ControlError(zoneText, "zone") is { } control)
        {
            errors.Add(control);
        }
        else
        {
            try
            {
                zone = DnsRecordNames.NormalizeZone(zoneText);
            }
            catch (ArgumentException)
            {
                errors.Add(new("zone", $"'{zoneText}' is not a zone name (lowercase labels such as cdn.example.net)."));
            }
        }

        if (ttl is < 1 or > MaxTtlSeconds)
        {
            errors.Add(new("ttlSeconds", $"The TTL is between 1 and {MaxTtlSeconds} seconds."));
        }
        else if (spec.Kind == DnsProviderKind.RackspaceDns && ttl < RackspaceMinimumTtlSeconds)
        {
            errors.Add(new("ttlSeconds", $"Rackspace Cloud DNS takes no TTL below {RackspaceMinimumTtlSeconds} seconds."));
        }

        if (errors.All(e => e.Path != "name") && await NameTakenAsync(name, accountId, cancellationToken))
        {
            errors.Add(NameTakenError(name));
        }

        return (name, endpoint, zone, ttl, errors);
    }

    private Task<bool> NameTakenAsync(string name, Guid? accountId, CancellationToken cancellationToken) =>
        Accounts.AnyAsync(a => a.Name == name && a.Id != accountId, cancellationToken);

    private static ValidationError NameTakenError(string name) => new("name", $"A DNS account named '{name}' already exists.");

    private async Task<ChangeResult<DnsAccountSummary>> SaveAsync(DnsAccount account, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another admin took the name between the check and the save: the unique index refused ours.
            if (await NameTakenAsync(account.Name, account.Id, cancellationToken))
            {
                return ChangeResult.Invalid([NameTakenError(account.Name)]);
            }

            throw;
        }

        return ChangeResult.Success((await FindAsync(account.Id, cancellationToken))!);
    }

    private void StoreCredentials(DnsAccount account, IReadOnlyDictionary<string, string> credentials)
    {
        account.ProtectedCredentials = vault.Protect(credentials);
        account.CredentialsHint = ProviderAccountRules.Hint(DnsCredentialFields.For(account.Kind), credentials);
    }


    /// <summary>The audit view of an account: the hint stands for the credentials.</summary>
    private static object Snapshot(DnsAccount account) => new
    {
        account.Name,
        Kind = account.Kind.ToString(),
        account.ApiEndpoint,
        account.Zone,
        account.TtlSeconds,
        account.CredentialsHint,
    };
}
