using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Providers;

namespace Poppy.Portal.Providers.Cdn.CacheTier;

/// <summary>The nodes of one cache-tier account and how each is; <paramref name="Problem"/> when its node list cannot be read.</summary>
public sealed record CacheTierAccountHealth(Guid AccountId, string AccountName, bool IsEnabled, IReadOnlyList<CacheTierNodeStatus> Nodes, string? Problem);

/// <summary>
/// The health of every cache-tier account's nodes, for the Providers page: each node is asked at once, all side by side,
/// and one that does not answer within the timeout is shown as unreachable (with when it last answered). Everyone
/// signed in may see it, like the accounts themselves; the tokens it uses never leave this class.
/// </summary>
public sealed class CacheTierHealth(
    PortalDbContext db, AccessPolicy access, ProviderAccountDirectory accounts, CacheTierNodeMonitor monitor, TimeProvider clock)
{
    /// <summary>Short: a page waits for it.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Every cache-tier account's nodes, asked with <see cref="DefaultTimeout"/>.</summary>
    public Task<IReadOnlyList<CacheTierAccountHealth>> CheckAsync(CancellationToken cancellationToken) =>
        CheckAsync(DefaultTimeout, cancellationToken);

    /// <summary>Every cache-tier account's nodes, each given <paramref name="timeout"/> to answer.</summary>
    public async Task<IReadOnlyList<CacheTierAccountHealth>> CheckAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        access.RequireSignedIn();
        var cacheTiers = await db.Set<ProviderAccount>().AsNoTracking()
            .Where(a => a.Kind == ProviderKind.CacheTier)
            .OrderBy(a => a.Name)
            .ToListAsync(cancellationToken);
        return await Task.WhenAll(cacheTiers.Select(async account =>
        {
            var credentials = accounts.CredentialsOf(account);
            if (credentials is null)
            {
                return new CacheTierAccountHealth(account.Id, account.Name, account.IsEnabled, [],
                    "The stored node list cannot be read (the Data Protection keys changed): enter the nodes again.");
            }
            var nodes = CacheTierNodes.From(credentials);
            if (nodes.Count == 0)
            {
                return new CacheTierAccountHealth(account.Id, account.Name, account.IsEnabled, [], "The account lists no valid node.");
            }
            var statuses = await Task.WhenAll(nodes.Select(n => monitor.ProbeAsync(n, timeout, clock, cancellationToken)));
            return new CacheTierAccountHealth(account.Id, account.Name, account.IsEnabled, statuses, null);
        }));
    }
}
