using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;

namespace Poppy.Portal.Web.Tests.Audit;

/// <summary>One row of the audit table as a person reads it.</summary>
public sealed record AuditRow(long Id, string Time, string Actor, string Project, string EntityType, string EntityId, string Action, string Summary);

public static class AuditPages
{
    public static IReadOnlyList<AuditRow> Rows(IHtmlDocument page) =>
        page.QuerySelectorAll("[data-testid=audit-table] tbody tr").Select(row =>
        {
            var cells = row.QuerySelectorAll("td").Select(c => c.TextContent.Trim()).ToList();
            return new AuditRow(
                long.Parse(row.GetAttribute("data-entry-id")!), cells[0], cells[1], cells[2],
                row.QuerySelector("td:nth-child(4) .badge")!.TextContent, row.QuerySelector("td:nth-child(4) code")!.TextContent,
                cells[4], cells[5]);
        }).ToList();

    /// <summary>The changed/added/removed lines of a detail page as (path, change, before, after); unchanged ones separately.</summary>
    public static IReadOnlyList<(string Path, string Change, string? Before, string? After)> Changes(IHtmlDocument detail) =>
        detail.QuerySelectorAll("[data-testid=audit-diff] tbody tr").Select(row => (
            row.GetAttribute("data-path")!,
            row.GetAttribute("data-change")!,
            row.QuerySelector("code.audit-before")?.TextContent,
            row.QuerySelector("code.audit-after")?.TextContent)).ToList();

    public static IReadOnlyList<string> UnchangedPaths(IHtmlDocument detail) =>
        detail.QuerySelectorAll("[data-testid=audit-unchanged] tr").Select(r => r.GetAttribute("data-path")!).ToList();

    /// <summary>Every stored entry, straight from the database (to count what a failed change left behind).</summary>
    public static async Task<List<AuditEntry>> StoredEntriesAsync(this PortalFactory portal)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<AuditEntry>().AsNoTracking().OrderBy(e => e.Id).ToListAsync();
    }
}
