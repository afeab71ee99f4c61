using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>A DNS account ready for driver calls: the driver, the call, and the server that confirms a change.</summary>
public sealed record DnsAccountHandle(DnsAccount Account, IDnsDriver Driver, DnsCall Call, System.Net.IPEndPoint? Nameserver);

/// <summary>
/// The portal's side of the DNS drivers for steering: finds the account that serves a service, and makes the calls
/// through the account's resilience lane (retries, timeout, circuit), as provisioning calls CDN vendors. Used by jobs and
/// by a switch by hand alike, so it reads the account itself rather than through <see cref="DnsAccountDirectory"/>
/// (which hands credentials to global administrators only).
/// </summary>
public sealed class DnsRecordWriter(
    IEnumerable<IDnsDriver> drivers, ProviderResilience resilience, IDataProtectionProvider dataProtection,
    IOptions<ServiceDnsOptions> options, TimeProvider clock)
{
    private readonly CredentialProtector vault = new(dataProtection, DnsAccountDirectory.CredentialsPurpose);

    /// <summary>The account configured for services of <paramref name="flavorId"/>, or null (none configured, or it does not exist).</summary>
    public async Task<DnsAccount?> AccountForFlavorAsync(PortalDbContext db, string flavorId, CancellationToken cancellationToken) =>
        options.Value.AccountFor(flavorId) is { } name
            ? await db.Set<DnsAccount>().AsNoTracking().FirstOrDefaultAsync(a => a.Name == name, cancellationToken)
            : null;

    /// <summary>The account ready for calls; or why it cannot be called.</summary>
    public async Task<(DnsAccountHandle? Handle, string? Problem)> OpenAsync(PortalDbContext db, Guid accountId, CancellationToken cancellationToken)
    {
        var account = await db.Set<DnsAccount>().AsNoTracking().FirstOrDefaultAsync(a => a.Id == accountId, cancellationToken);
        if (account is null)
        {
            return (null, "The DNS account no longer exists.");
        }
        var driver = drivers.FirstOrDefault(d => d.Kind == account.Kind);
        if (driver is null)
        {
            return (null, $"The portal has no driver for {account.Kind}.");
        }
        if (vault.TryUnprotect(account.ProtectedCredentials) is not { } credentials)
        {
            return (null, $"The credentials of DNS account '{account.Name}' cannot be read (the Data Protection keys changed).");
        }
        var call = new DnsCall(account.ApiBaseUri(), account.Zone, credentials, resilience.HttpClientFor(account.Id), clock);
        return (new DnsAccountHandle(account, driver, call, NameserverOf(account.Name)), null);
    }

    public System.Net.IPEndPoint? NameserverOf(string accountName) =>
        options.Value.Nameservers.TryGetValue(accountName, out var server) ? DnsConfirmation.ParseEndpoint(server) : null;

    public Task SetAsync(DnsAccountHandle handle, string name, string target, int ttl, CancellationToken cancellationToken) =>
        resilience.ExecuteAsync(handle.Account.Id, async token =>
        {
            await handle.Driver.SetCnameAsync(handle.Call, name, target, ttl, token);
            return true;
        }, () => { }, cancellationToken);

    /// <summary>Writes a weighted set (replacing a plain CNAME of the name), through the account's lane.</summary>
    public Task SetWeightedAsync(DnsAccountHandle handle, string name, IReadOnlyList<DnsWeightedTarget> targets, int ttl, CancellationToken cancellationToken) =>
        resilience.ExecuteAsync(handle.Account.Id, async token =>
        {
            await handle.Driver.SetWeightedAsync(handle.Call, name, targets, ttl, token);
            return true;
        }, () => { }, cancellationToken);

    /// <summary>The weighted set the vendor holds for the name (to confirm a write by reading it back).</summary>
    public Task<DnsWeightedSet?> GetWeightedAsync(DnsAccountHandle handle, string name, CancellationToken cancellationToken) =>
        resilience.ExecuteAsync(handle.Account.Id, token => handle.Driver.GetWeightedAsync(handle.Call, name, token), () => { }, cancellationToken);

    /// <summary>Null when the account's driver writes weighted sets; else why not, naming the account (for a refusal of <c>weighted</c>).</summary>
    public string? WeightedRefusal(DnsAccount account) =>
        drivers.FirstOrDefault(d => d.Kind == account.Kind) is not { } driver
            ? $"DNS account '{account.Name}' ({account.Kind}) has no driver in this portal"
            : driver.WeightedUnsupportedReason is { } reason
                ? $"DNS account '{account.Name}' ({account.Kind}) cannot hold weighted records: {reason}"
                : null;

    public Task DeleteAsync(DnsAccountHandle handle, string name, CancellationToken cancellationToken) =>
        resilience.ExecuteAsync(handle.Account.Id, async token =>
        {
            await handle.Driver.DeleteCnameAsync(handle.Call, name, token);
            return true;
        }, () => { }, cancellationToken);

    /// <summary>The host name a domain's CNAME points at for a provider: the host of its access URL for the domain.</summary>
    public static string? TargetOf(ServiceProviderState provider, string domain)
    {
        var urls = AccessUrlJson.Read(provider.AccessUrls);
        var url = urls.FirstOrDefault(u => string.Equals(u.Domain, domain, StringComparison.OrdinalIgnoreCase));
        return url is null ? null : Benchmarks.ProbeRound.EdgeHostOf(url.ProviderUrl)?.ToLowerInvariant();
    }

    /// <summary>When to try a failed call again: soon for a transient failure (doubling), later for a refusal.</summary>
    public DateTimeOffset RetryAt(Exception error, int attempts, DateTimeOffset now)
    {
        var settings = options.Value;
        if (!ProviderResilience.IsTransient(error))
        {
            return now + settings.RefusedRetryDelay;
        }
        var backoff = settings.RetryDelay * Math.Pow(2, Math.Min(Math.Max(attempts - 1, 0), 6));
        var cap = TimeSpan.FromMinutes(5);
        var wait = backoff > cap ? cap : backoff;
        return now + (ProviderResilience.SuggestedDelay(error) is { } suggested && suggested > wait ? suggested : wait);
    }

    public static string Describe(Exception e) => e switch
    {
        Polly.Timeout.TimeoutRejectedException => "The DNS vendor did not answer in time.",
        Polly.CircuitBreaker.BrokenCircuitException => "The DNS account's circuit is open after repeated failures; calls resume shortly.",
        CdnDriverException => e.Message,
        _ => $"Unexpected error: {e.Message}",
    };
}
