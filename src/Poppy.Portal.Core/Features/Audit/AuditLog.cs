using System.Text.Json;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;

namespace Poppy.Portal.Core.Features.Audit;

/// <summary>
/// Adds audit entries to the request's unit of work: the entry is saved by the same SaveChanges as the change it
/// describes, so a change is never stored without its record (and a failed change leaves no record). The actor is the
/// unit of work's <see cref="ICurrentActor"/>, so an entry names who acted whether the change came through HTTP, a
/// circuit (no HttpContext) or a tool.
/// </summary>
public sealed class AuditLog(PortalDbContext db, TimeProvider clock, ICurrentActor current)
{
    private static readonly JsonSerializerOptions SnapshotJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Records a change; <paramref name="before"/> and <paramref name="after"/> are serialised to JSON as given.
    /// Returns the pending entry, for a caller that must name the actor itself (a password reset by e-mail link).
    /// </summary>
    public AuditEntry Record(Guid? projectId, string entityType, string entityId, string action, string summary,
        object? before = null, object? after = null)
    {
        var actor = current.Actor;
        var entry = new AuditEntry
        {
            At = clock.GetUtcNow(),
            ActorId = actor.UserId,
            ActorName = actor.Name,
            ProjectId = projectId,
            EntityType = entityType,
            EntityId = entityId,
            Action = action,
            Summary = summary.Length > 500 ? summary[..500] : summary,
            Before = Snapshot(before),
            After = Snapshot(after),
        };
        db.Add(entry);
        return entry;
    }

    private static string? Snapshot(object? state) => state switch
    {
        null => null,
        string json => json,
        _ => JsonSerializer.Serialize(state, state.GetType(), SnapshotJson),
    };
}
