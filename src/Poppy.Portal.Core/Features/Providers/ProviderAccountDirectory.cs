using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Providers;

/// <summary>A provider account as pages and other features see it: never its credentials, only their masked hint.</summary>
/// <param name="FlavorIds">The flavors that provision to this account.</param>
/// <param name="LastConnectionTest">The last Test connection; null when never run since the endpoint or credentials changed.</param>
public sealed record ProviderAccountSummary(
    Guid Id, string Name, ProviderKind Kind, string ApiEndpoint, string CredentialsHint, bool IsEnabled,
    IReadOnlyList<string> FlavorIds, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, ConnectionTestRecord? LastConnectionTest = null);

/// <summary>A recorded Test connection: when it ran, how it ended and what it found.</summary>
public sealed record ConnectionTestRecord(DateTimeOffset At, ConnectionTestOutcome Outcome, string Message)
{
    public bool Ok => Outcome == ConnectionTestOutcome.Ok;
}

/// <summary>What an administrator enters for an account.</summary>
/// <param name="Credentials">Values by <see cref="CredentialField.Key"/>. On update an empty or missing value keeps the stored one.</param>
public sealed record ProviderAccountSpec(
    string? Name, ProviderKind Kind, string? ApiEndpoint, IReadOnlyDictionary<string, string?>? Credentials);

/// <summary>
/// The CDN vendor accounts the portal provisions to. Credentials are stored as JSON protected with Data Protection
/// (keys in the database, so every node can read them) and leave this class unprotected only through
/// <see cref="GetCredentialsAsync"/>, for the drivers.
/// </summary>
public sealed class ProviderAccountDirectory(
    PortalDbContext db, AccessPolicy access, AuditLog auditLog, IDataProtectionProvider dataProtection, TimeProvider clock)
{
    /// <summary>Versioned so a future change of the stored format can keep reading the old one under its own purpose.</summary>
    public const string CredentialsPurpose = "Poppy.ProviderAccounts.Credentials.v1";

    private readonly CredentialProtector vault = new(dataProtection, CredentialsPurpose);

    private IQueryable<ProviderAccount> Accounts => db.Set<ProviderAccount>();

    // Everyone signed in sees the accounts (masked); only global admins read or change their credentials.
    public Task<IReadOnlyList<ProviderAccountSummary>> ListAsync(CancellationToken cancellationToken)
    {
        access.RequireSignedIn();
        return SummarizeAsync(Accounts, cancellationToken);
    }

    public async Task<ProviderAccountSummary?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        access.RequireSignedIn();
        return (await SummarizeAsync(Accounts.Where(a => a.Id == id), cancellationToken)).SingleOrDefault();
    }

    public async Task<ProviderAccountSummary?> FindByNameAsync(string name, CancellationToken cancellationToken)
    {
        access.RequireSignedIn();
        return (await SummarizeAsync(Accounts.Where(a => a.Name == name), cancellationToken)).SingleOrDefault();
    }

    private async Task<IReadOnlyList<ProviderAccountSummary>> SummarizeAsync(IQueryable<ProviderAccount> selection, CancellationToken cancellationToken) =>
        await selection.AsNoTracking()
            .OrderBy(a => a.Name)
            .Select(a => new ProviderAccountSummary(
                a.Id, a.Name, a.Kind, a.ApiEndpoint, a.CredentialsHint, a.IsEnabled,
                db.Set<FlavorProvider>().Where(p => p.ProviderAccountId == a.Id).Select(p => p.FlavorId).OrderBy(f => f).ToList(),
                a.CreatedAt, a.UpdatedAt,
                a.LastConnectionTestAt == null || a.LastConnectionTestOutcome == null
                    ? null
                    : new ConnectionTestRecord(a.LastConnectionTestAt.Value, a.LastConnectionTestOutcome.Value, a.LastConnectionTestMessage ?? "")))
            .ToListAsync(cancellationToken);

    /// <summary>The unprotected credentials, by <see cref="CredentialField.Key"/>, for the drivers; null for an unknown account.</summary>
    public async Task<IReadOnlyDictionary<string, string>?> GetCredentialsAsync(Guid accountId, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var protectedCredentials = await Accounts.Where(a => a.Id == accountId).Select(a => a.ProtectedCredentials).SingleOrDefaultAsync(cancellationToken);
        return protectedCredentials is null ? null : vault.Unprotect(protectedCredentials);
    }

    /// <summary>The unprotected credentials of an account already loaded; null when they cannot be read (keys lost).</summary>
    public IReadOnlyDictionary<string, string>? CredentialsOf(ProviderAccount account) => vault.TryUnprotect(account.ProtectedCredentials);

    /// <summary>The credentials that are not secret (region, alias), to show on the edit form; empty when they cannot be read.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetVisibleCredentialsAsync(Guid accountId, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var account = await Accounts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == accountId, cancellationToken);
        if (account is null || vault.TryUnprotect(account.ProtectedCredentials) is not { } credentials)
        {
            return new Dictionary<string, string>();
        }
        return ProviderCredentialFields.For(account.Kind)
            .Where(f => !f.IsSecret && credentials.ContainsKey(f.Key))
            .ToDictionary(f => f.Key, f => credentials[f.Key]);
    }

    public async Task<ChangeResult<ProviderAccountSummary>> CreateAsync(ProviderAccountSpec spec, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var name = spec.Name?.Trim() ?? "";
        var endpoint = spec.ApiEndpoint?.Trim() ?? "";
        var errors = await CheckAsync(name, spec.Kind, endpoint, accountId: null, cancellationToken);
        if (!Enum.IsDefined(spec.Kind))
        {
            return ChangeResult.Invalid(errors);
        }
        var (credentials, _, credentialErrors) = ProviderAccountRules.MergeCredentials(spec.Kind, spec.Credentials, stored: null);
        errors.AddRange(credentialErrors);
        if (errors.Count > 0)
        {
            return ChangeResult.Invalid(errors);
        }
        endpoint = EndpointOrFirstNode(spec.Kind, endpoint, credentials);

        var now = clock.GetUtcNow();
        var account = new ProviderAccount
        {
            Id = Guid.NewGuid(),
            Name = name,
            Kind = spec.Kind,
            ApiEndpoint = endpoint,
            IsEnabled = true,
            CreatedAt = now,
            UpdatedAt = now,
        };
        StoreCredentials(account, credentials);
        db.Add(account);
        auditLog.Record(null, AuditEntityTypes.ProviderAccount, account.Id.ToString(), "create",
            $"Created {ProviderCredentialFields.DisplayName(account.Kind)} provider account {account.Name}", after: Snapshot(account));
        return await SaveAsync(account, cancellationToken);
    }

    /// <summary>Changes name, kind, endpoint and the credentials that were entered; empty credential fields keep their value.</summary>
    public async Task<ChangeResult<ProviderAccountSummary>> UpdateAsync(Guid id, ProviderAccountSpec spec, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var account = await Accounts.SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (account is null)
        {
            return ChangeResult.NotFound;
        }

        var name = spec.Name?.Trim() ?? "";
        var endpoint = spec.ApiEndpoint?.Trim() ?? "";
        var errors = await CheckAsync(name, spec.Kind, endpoint, account.Id, cancellationToken);
        if (!Enum.IsDefined(spec.Kind))
        {
            return ChangeResult.Invalid(errors);
        }
        // Another kind has other fields: nothing stored can be kept then.
        var stored = spec.Kind == account.Kind ? vault.TryUnprotect(account.ProtectedCredentials) : null;
        var (credentials, replaced, credentialErrors) = ProviderAccountRules.MergeCredentials(spec.Kind, spec.Credentials, stored);
        if (spec.Kind == account.Kind && stored is null && credentialErrors.Count > 0)
        {
            errors.Add(new("credentials", "The stored credentials can no longer be read (the Data Protection keys changed): enter every field again."));
        }
        errors.AddRange(credentialErrors);
        if (errors.Count > 0)
        {
            return ChangeResult.Invalid(errors);
        }
        endpoint = EndpointOrFirstNode(spec.Kind, endpoint, credentials);

        var before = Snapshot(account);
        if (account.Kind != spec.Kind || account.ApiEndpoint != endpoint || replaced.Count > 0)
        {
            account.ForgetConnectionTest(); // it tested what is no longer there
        }
        account.Name = name;
        account.Kind = spec.Kind;
        account.ApiEndpoint = endpoint;
        StoreCredentials(account, credentials);
        account.UpdatedAt = clock.GetUtcNow();
        var what = replaced.Count > 0 ? $" (new {string.Join(", ", replaced)})" : "";
        auditLog.Record(null, AuditEntityTypes.ProviderAccount, account.Id.ToString(), "update",
            $"Updated provider account {account.Name}{what}", before, Snapshot(account));
        return await SaveAsync(account, cancellationToken);
    }

    /// <summary>A disabled account stays in its flavors but is not provisioned to (the provisioning feature honours it).</summary>
    public async Task<ChangeResult> SetEnabledAsync(Guid id, bool enabled, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var account = await Accounts.SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (account is null)
        {
            return ChangeResult.NotFound;
        }
        if (account.IsEnabled == enabled)
        {
            return ChangeResult.Ok;
        }

        var before = Snapshot(account);
        account.IsEnabled = enabled;
        account.UpdatedAt = clock.GetUtcNow();
        auditLog.Record(null, AuditEntityTypes.ProviderAccount, account.Id.ToString(), enabled ? "enable" : "disable",
            $"{(enabled ? "Enabled" : "Disabled")} provider account {account.Name}", before, Snapshot(account));
        await db.SaveChangesAsync(cancellationToken);
        return ChangeResult.Ok;
    }

    /// <summary>Deletes an account no flavor uses; while flavors use it, says which.</summary>
    public async Task<ChangeResult> DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var account = await Accounts.SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (account is null)
        {
            return ChangeResult.NotFound;
        }
        if (await InUseErrorAsync(account, cancellationToken) is { } inUse)
        {
            return inUse;
        }

        db.Remove(account);
        auditLog.Record(null, AuditEntityTypes.ProviderAccount, account.Id.ToString(), "delete",
            $"Deleted provider account {account.Name}", before: Snapshot(account));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A flavor took the account between the check and the delete: the foreign key refused it.
            if (await InUseErrorAsync(account, cancellationToken) is { } addedMeanwhile)
            {
                return addedMeanwhile;
            }
            throw;
        }
        return ChangeResult.Ok;
    }

    private async Task<ChangeResult?> InUseErrorAsync(ProviderAccount account, CancellationToken cancellationToken)
    {
        var flavors = await db.Set<FlavorProvider>().Where(p => p.ProviderAccountId == account.Id)
            .Select(p => p.FlavorId).OrderBy(f => f).ToListAsync(cancellationToken);
        return flavors.Count == 0
            ? null
            : ChangeResult.Invalid("", $"Provider account '{account.Name}' is used by flavor{(flavors.Count == 1 ? "" : "s")} " +
                                       $"{string.Join(", ", flavors)}; remove it from {(flavors.Count == 1 ? "that flavor" : "those flavors")} first.");
    }

    private async Task<List<ValidationError>> CheckAsync(string name, ProviderKind kind, string endpoint, Guid? accountId, CancellationToken cancellationToken)
    {
        var errors = ProviderAccountRules.CheckName(name)
            .Concat(ProviderAccountRules.CheckKind(kind))
            // A cache tier's API is its nodes' agents; an empty endpoint becomes the first node's (EndpointOrFirstNode).
            .Concat(kind == ProviderKind.CacheTier && endpoint.Length == 0 ? [] : ProviderAccountRules.CheckEndpoint(endpoint))
            .ToList();
        if (errors.All(e => e.Path != "name") && await NameTakenAsync(name, accountId, cancellationToken))
        {
            errors.Add(NameTakenError(name));
        }
        return errors;
    }

    private static string EndpointOrFirstNode(ProviderKind kind, string endpoint, IReadOnlyDictionary<string, string> credentials) =>
        kind == ProviderKind.CacheTier && endpoint.Length == 0 && CacheTierNodes.From(credentials) is [var first, ..]
            ? first.AgentUrl.ToString()
            : endpoint;

    private Task<bool> NameTakenAsync(string name, Guid? accountId, CancellationToken cancellationToken) =>
        Accounts.AnyAsync(a => a.Name == name && a.Id != accountId, cancellationToken);

    private static ValidationError NameTakenError(string name) => new("name", $"A provider account named '{name}' already exists.");

    private async Task<ChangeResult<ProviderAccountSummary>> SaveAsync(ProviderAccount account, CancellationToken cancellationToken)
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

    private void StoreCredentials(ProviderAccount account, IReadOnlyDictionary<string, string> credentials)
    {
        account.ProtectedCredentials = vault.Protect(credentials);
        account.CredentialsHint = ProviderAccountRules.Hint(account.Kind, credentials);
    }



    /// <summary>The audit view of an account: the hint stands for the credentials.</summary>
    private static object Snapshot(ProviderAccount account) => new
    {
        account.Name,
        Kind = account.Kind.ToString(),
        account.ApiEndpoint,
        account.CredentialsHint,
        account.IsEnabled,
    };
}
