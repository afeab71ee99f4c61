using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;

namespace Poppy.Portal.Core.Features.Audit;

/// <summary>
/// What to list. Every filter is optional; text filters match case-insensitively. Paging is by keyset: pass the id of
/// the last entry shown as <see cref="OlderThan"/> (or the first as <see cref="NewerThan"/>) to get the next page.
/// </summary>
public sealed record AuditFilter
{
    public Guid? ProjectId { get; init; }

    /// <summary>Exact entity type, e.g. "user" (see <see cref="AuditEntityTypes"/>).</summary>
    public string? EntityType { get; init; }

    public string? EntityId { get; init; }

    /// <summary>Exact verb, e.g. "create".</summary>
    public string? Action { get; init; }

    /// <summary>Part of the actor's e-mail (or "system").</summary>
    public string? Actor { get; init; }

    /// <summary>Part of the summary.</summary>
    public string? Text { get; init; }

    /// <summary>Entries at or after this instant.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Entries strictly before this instant.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Keyset cursor: entries that come after this one in newest-first order.</summary>
    public long? OlderThan { get; init; }

    /// <summary>Keyset cursor: entries that come before this one in newest-first order (the previous page).</summary>
    public long? NewerThan { get; init; }
}

/// <summary>An entry as listed: everything but the snapshots, with the project's name.</summary>
public sealed record AuditEntrySummary(
    long Id, DateTimeOffset At, string ActorName, string? ActorId, Guid? ProjectId, string? ProjectName,
    string EntityType, string EntityId, string Action, string Summary);

/// <summary>One page, newest first; a cursor is null when there is nothing further in that direction.</summary>
public sealed record AuditListing(IReadOnlyList<AuditEntrySummary> Entries, long? OlderCursor, long? NewerCursor);

public sealed record AuditEntryDetail(AuditEntrySummary Entry, string? Before, string? After)
{
    public IReadOnlyList<AuditDiffLine> Diff() => AuditDiff.Compare(Before, After);
}

/// <summary>
/// Reads the audit log. Administrators see every entry, global ones (users, flavors, ...) included; everyone else sees
/// only the entries of the projects they are a member of.
/// </summary>
public sealed class AuditQuery(PortalDbContext db, AccessPolicy access)
{
    public const int PageSize = 50;

    /// <summary>Every entity type the portal records, for a filter list (read from <see cref="AuditEntityTypes"/>'s constants).</summary>
    public static IReadOnlyList<string> EntityTypes { get; } = typeof(AuditEntityTypes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Order(StringComparer.Ordinal)
        .ToList();

    public async Task<AuditListing> ListAsync(AuditFilter filter, CancellationToken cancellationToken)
    {
        var visible = await VisibleAsync(cancellationToken);
        if (visible is null)
        {
            return new AuditListing([], null, null);
        }
        var matching = Apply(visible, filter);

        // The cursor is an entry id; its time and id together are the keyset position (ids break ties in time). Each
        // condition repeats the bare bound on At so that the database can seek the At index instead of scanning from the top.
        var newer = filter.NewerThan is { } newerId ? await PositionAsync(newerId, cancellationToken) : null;
        var older = newer is null && filter.OlderThan is { } olderId ? await PositionAsync(olderId, cancellationToken) : null;

        List<AuditEntry> rows;
        bool hasOlder, hasNewer;
        if (newer is { } after)
        {
            rows = await Project(matching.Where(e => e.At >= after.At && (e.At > after.At || e.Id > after.Id))
                    .OrderBy(e => e.At).ThenBy(e => e.Id))
                .Take(PageSize + 1).ToListAsync(cancellationToken);
            hasNewer = rows.Count > PageSize;
            rows = rows.Take(PageSize).Reverse().ToList();
            hasOlder = await matching.AnyAsync(e => e.At <= after.At && (e.At < after.At || e.Id <= after.Id), cancellationToken);
        }
        else
        {
            var page = older is { } before
                ? matching.Where(e => e.At <= before.At && (e.At < before.At || e.Id < before.Id))
                : matching;
            rows = await Project(page.OrderByDescending(e => e.At).ThenByDescending(e => e.Id))
                .Take(PageSize + 1).ToListAsync(cancellationToken);
            hasOlder = rows.Count > PageSize;
            rows = rows.Take(PageSize).ToList();
            hasNewer = older is { } start
                && await matching.AnyAsync(e => e.At >= start.At && (e.At > start.At || e.Id >= start.Id), cancellationToken);
        }

        var entries = await SummarizeAsync(rows, cancellationToken);
        return new AuditListing(
            entries,
            hasOlder && entries.Count > 0 ? entries[^1].Id : null,
            hasNewer && entries.Count > 0 ? entries[0].Id : null);
    }

    /// <summary>One entry with its snapshots, or null when it does not exist or the reader may not see it.</summary>
    public async Task<AuditEntryDetail?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var visible = await VisibleAsync(cancellationToken);
        if (visible is null)
        {
            return null;
        }
        var entry = await visible.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (entry is null)
        {
            return null;
        }
        return new AuditEntryDetail((await SummarizeAsync([entry], cancellationToken))[0], entry.Before, entry.After);
    }

    /// <summary>
    /// The entries the actor may see, or null for none at all: everything for an unrestricted admin; otherwise only the
    /// entries of visible projects (a token restricted to one project sees that project's alone, never global ones).
    /// </summary>
    private async Task<IQueryable<AuditEntry>?> VisibleAsync(CancellationToken cancellationToken)
    {
        var entries = db.Set<AuditEntry>().AsNoTracking();
        // A handful of ids: reading them first keeps the page query a plain IN list over the (ProjectId, At) index.
        var projectIds = (await access.VisibleProjectIdsAsync(cancellationToken))?.Select(id => (Guid?)id).ToList();
        if (projectIds is null)
        {
            return entries;
        }
        return projectIds.Count == 0 ? null : entries.Where(e => projectIds.Contains(e.ProjectId));
    }

    private static IQueryable<AuditEntry> Apply(IQueryable<AuditEntry> entries, AuditFilter filter)
    {
        if (filter.ProjectId is { } projectId)
        {
            entries = entries.Where(e => e.ProjectId == projectId);
        }
        if (Present(filter.EntityType) is { } entityType)
        {
            entries = entries.Where(e => e.EntityType == entityType);
        }
        if (Present(filter.EntityId) is { } entityId)
        {
            entries = entries.Where(e => e.EntityId == entityId);
        }
        if (Present(filter.Action) is { } action)
        {
            entries = entries.Where(e => e.Action == action);
        }
        // ToLower on both sides: LIKE is case-insensitive on SQLite but not on PostgreSQL.
        if (Present(filter.Actor)?.ToLowerInvariant() is { } actor)
        {
            entries = entries.Where(e => e.ActorName.ToLower().Contains(actor));
        }
        if (Present(filter.Text)?.ToLowerInvariant() is { } text)
        {
            entries = entries.Where(e => e.Summary.ToLower().Contains(text));
        }
        if (filter.From is { } from)
        {
            var fromUtc = from.ToUniversalTime();
            entries = entries.Where(e => e.At >= fromUtc);
        }
        if (filter.Until is { } until)
        {
            var untilUtc = until.ToUniversalTime();
            entries = entries.Where(e => e.At < untilUtc);
        }
        return entries;
    }

    private static string? Present(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private async Task<(DateTimeOffset At, long Id)?> PositionAsync(long id, CancellationToken cancellationToken)
    {
        var at = await db.Set<AuditEntry>().Where(e => e.Id == id).Select(e => (DateTimeOffset?)e.At).FirstOrDefaultAsync(cancellationToken);
        return at is { } value ? (value, id) : null;
    }

    // Everything but the snapshots, which can be large and are only needed on the detail page.
    private static IQueryable<AuditEntry> Project(IQueryable<AuditEntry> entries) => entries.Select(e => new AuditEntry
    {
        Id = e.Id,
        At = e.At,
        ActorId = e.ActorId,
        ActorName = e.ActorName,
        ProjectId = e.ProjectId,
        EntityType = e.EntityType,
        EntityId = e.EntityId,
        Action = e.Action,
        Summary = e.Summary,
    });

    private async Task<IReadOnlyList<AuditEntrySummary>> SummarizeAsync(IReadOnlyList<AuditEntry> rows, CancellationToken cancellationToken)
    {
        var projectIds = rows.Where(e => e.ProjectId is not null).Select(e => e.ProjectId!.Value).Distinct().ToList();
        var names = projectIds.Count == 0
            ? []
            : await db.Projects.Where(p => projectIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Name, cancellationToken);
        return rows.Select(e => new AuditEntrySummary(
                e.Id, e.At, e.ActorName, e.ActorId, e.ProjectId,
                e.ProjectId is { } projectId ? names.GetValueOrDefault(projectId) : null,
                e.EntityType, e.EntityId, e.Action, e.Summary))
            .ToList();
    }
}
