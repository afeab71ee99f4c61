using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Poppy.Portal.Core.Data;

namespace Poppy.Portal.Core.Features.Audit;

/// <summary>
/// Adds audit entries to the request's unit of work: the entry is saved by the same SaveChanges as the change it
/// describes, so a change is never stored without its record (and a failed change leaves no record).
/// </summary>
public sealed class AuditLog(PortalDbContext db, TimeProvider clock, IHttpContextAccessor httpContextAccessor)
{
    private static readonly JsonSerializerOptions SnapshotJson = new(JsonSerializerDefaults.Web);

    /// <summary>Who is acting when there is no signed-in user (set by the command line and background jobs).</summary>
    public string FallbackActorName { get; set; } = "system";

    /// <summary>
    /// Records a change; <paramref name="before"/> and <paramref name="after"/> are serialised to JSON as given.
    /// Returns the pending entry, for a caller that must name the actor itself (a password reset by e-mail link).
    /// </summary>
    public AuditEntry Record(Guid? projectId, string entityType, string entityId, string action, string summary,
        object? before = null, object? after = null)
    {
        var user = httpContextAccessor.HttpContext?.User;
        var signedIn = user?.Identity?.IsAuthenticated == true;
        var entry = new AuditEntry
        {
            At = clock.GetUtcNow(),
            ActorId = signedIn ? user!.FindFirstValue(ClaimTypes.NameIdentifier) : null,
            ActorName = signedIn ? user!.FindFirstValue(ClaimTypes.Email) ?? user!.Identity!.Name ?? "unknown" : FallbackActorName,
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
