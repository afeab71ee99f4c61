using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Poppy.Portal.Core.Features.Audit;

/// <summary>One recorded change: who did what to which entity, and its state before and after (JSON).</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>The user's id, or null for the system and the command line.</summary>
    public string? ActorId { get; set; }

    /// <summary>E-mail of the user at the time, or "system" / "cli".</summary>
    public string ActorName { get; set; } = "";

    /// <summary>The project the change belongs to; null for global things (users, flavors, provider accounts).</summary>
    public Guid? ProjectId { get; set; }

    /// <summary>What kind of thing changed, e.g. "service", "flavor", "user" (see <see cref="AuditEntityTypes"/>).</summary>
    public string EntityType { get; set; } = "";

    public string EntityId { get; set; } = "";

    /// <summary>A verb: "create", "update", "delete", "purge", "revoke", ...</summary>
    public string Action { get; set; } = "";

    /// <summary>One human sentence for the list, e.g. "Created service mysite".</summary>
    public string Summary { get; set; } = "";

    /// <summary>JSON of the entity before the change (null on create). Never contains secrets.</summary>
    public string? Before { get; set; }

    /// <summary>JSON of the entity after the change (null on delete). Never contains secrets.</summary>
    public string? After { get; set; }
}

public static class AuditEntityTypes
{
    public const string Service = "service";
    public const string Flavor = "flavor";
    public const string ProviderAccount = "provider-account";
    public const string DnsAccount = "dns-account";
    public const string User = "user";
    public const string Project = "project";
    public const string ProjectLimit = "project-limit";
    public const string ApiToken = "api-token";
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> entry)
    {
        entry.ToTable("AuditEntries");
        entry.Property(e => e.ActorId).HasMaxLength(450);
        entry.Property(e => e.ActorName).HasMaxLength(256);
        entry.Property(e => e.EntityType).HasMaxLength(64);
        entry.Property(e => e.EntityId).HasMaxLength(256);
        entry.Property(e => e.Action).HasMaxLength(64);
        entry.Property(e => e.Summary).HasMaxLength(500);
        entry.HasIndex(e => e.At);
        entry.HasIndex(e => new { e.ProjectId, e.At });
        entry.HasIndex(e => new { e.EntityType, e.EntityId });
    }
}
