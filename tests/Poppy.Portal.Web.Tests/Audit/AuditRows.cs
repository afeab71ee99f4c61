using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.Audit;

namespace Poppy.Portal.Web.Tests.Audit;

/// <summary>One row of the audit list as a person reads it (times and projects written as the pages write them).</summary>
public sealed record AuditRow(long Id, string Time, string Actor, string Project, string EntityType, string EntityId, string Action, string Summary);

public static class AuditPages
{
    /// <summary>The first page of the audit list as the portal's administrator sees it through <see cref="AuditQuery"/>.</summary>
    public static async Task<IReadOnlyList<AuditRow>> RowsAsync(this PortalFactory portal, AuditFilter? filter = null)
    {
        await using var scope = await portal.AdminScopeAsync();
        var listing = await scope.ServiceProvider.GetRequiredService<AuditQuery>().ListAsync(filter ?? new AuditFilter(), CancellationToken.None);
        return listing.Entries.Select(e => new AuditRow(e.Id, AuditFormat.Time(e.At), e.ActorName, AuditFormat.Project(e), e.EntityType, e.EntityId,
            e.Action, e.Summary)).ToList();
    }

    /// <summary>The changed/added/removed lines of an entry as (path, change, before, after), as the entry page shows them.</summary>
    public static async Task<IReadOnlyList<(string Path, string Change, string? Before, string? After)>> ChangesAsync(this PortalFactory portal, long id) =>
        (await DiffAsync(portal, id)).Where(l => l.Change != AuditChange.Unchanged)
            .Select(l => (l.Path, l.Change.ToString().ToLowerInvariant(), l.Before, l.After)).ToList();

    public static async Task<IReadOnlyList<string>> UnchangedPathsAsync(this PortalFactory portal, long id) =>
        (await DiffAsync(portal, id)).Where(l => l.Change == AuditChange.Unchanged).Select(l => l.Path).ToList();

    private static async Task<IReadOnlyList<AuditDiffLine>> DiffAsync(PortalFactory portal, long id)
    {
        await using var scope = await portal.AdminScopeAsync();
        var detail = await scope.ServiceProvider.GetRequiredService<AuditQuery>().GetAsync(id, CancellationToken.None);
        return Assert.IsType<AuditEntryDetail>(detail).Diff();
    }

    /// <summary>A scope acting as the first administrator (what the admin pages' calls do in a circuit).</summary>
    public static async Task<AsyncServiceScope> AdminScopeAsync(this PortalFactory portal)
    {
        string adminId;
        await using (var system = portal.Services.CreateAsyncScope(Actor.System()))
        {
            adminId = (await system.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync(PortalFactory.AdminEmail))!.Id;
        }
        return portal.Services.CreateAsyncScope(Actor.User(adminId, PortalFactory.AdminEmail, PortalRoles.Admin));
    }

    /// <summary>Every stored entry, straight from the database (to count what a failed change left behind).</summary>
    public static async Task<List<AuditEntry>> StoredEntriesAsync(this PortalFactory portal)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<AuditEntry>().AsNoTracking().OrderBy(e => e.Id).ToListAsync();
    }
}
