using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>Where a service domain's steering CNAME stands at its DNS vendor.</summary>
public enum DnsRecordState
{
    /// <summary>To be created (or set to <see cref="ServiceDnsRecord.Target"/>); tried again at NextAttemptAt after a failure.</summary>
    Pending,

    /// <summary>The vendor holds the CNAME with <see cref="ServiceDnsRecord.Target"/>.</summary>
    Live,

    /// <summary>To be removed (the service is being deleted, or the domain left it); the row goes once the vendor removed it.</summary>
    Removing,
}

/// <summary>
/// The steering CNAME of one service domain (<c>www-example-com.cdn.operator.test</c> → the active provider's access host),
/// in the DNS account that serves the service. Made by the provisioning step when the service is first deployed, moved
/// by steering, removed when the service is deleted. A failed vendor call leaves <see cref="LastError"/> for the pages.
/// </summary>
public sealed class ServiceDnsRecord
{
    public long Id { get; set; }
    public Guid ServiceId { get; set; }
    public Guid ProjectId { get; set; }
    public string Domain { get; set; } = "";

    /// <summary>The record's full name in the account's zone (<see cref="Dns.DnsRecordNames.For"/>).</summary>
    public string Name { get; set; } = "";

    public Guid DnsAccountId { get; set; }
    public string DnsAccountName { get; set; } = "";

    /// <summary>The access host name the CNAME points at (or is to point at while Pending).</summary>
    public string Target { get; set; } = "";

    /// <summary>The provider whose access host <see cref="Target"/> is.</summary>
    public Guid ProviderAccountId { get; set; }
    public string ProviderName { get; set; } = "";

    public int TtlSeconds { get; set; }

    /// <summary>
    /// The weighted set the vendor holds for the name (JSON list of <see cref="WrittenWeight"/>); null while it is one plain
    /// CNAME to <see cref="Target"/>. With weights, Target and the provider are the heaviest target's.
    /// </summary>
    public string? Weights { get; set; }

    public DnsRecordState State { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The vendor's words for the last failed call; cleared by a success.</summary>
    public string? LastError { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum SteeringPolicy { Manual, Failover, Fastest, Weighted }

public enum SteeringMode { Enforce, DryRun }

public static class SteeringNames
{
    public static string WireName(this SteeringPolicy policy) => policy.ToString().ToLowerInvariant();

    public static string WireName(this SteeringMode mode) => mode == SteeringMode.DryRun ? "dry_run" : "enforce";

    public static SteeringPolicy? ParsePolicy(string? name) => name switch
    {
        "manual" => SteeringPolicy.Manual,
        "failover" => SteeringPolicy.Failover,
        "fastest" => SteeringPolicy.Fastest,
        "weighted" => SteeringPolicy.Weighted,
        _ => null,
    };

    public static SteeringMode? ParseMode(string? name) => name switch
    {
        "enforce" => SteeringMode.Enforce,
        "dry_run" => SteeringMode.DryRun,
        _ => null,
    };
}

/// <summary>
/// A service's steering: what the operator chose (policy, mode, provider order, pin, thresholds) and what steering
/// remembers between rounds (the active provider, a challenger's streak, an open alert, the last round decided). The row
/// is made with the service's DNS records; a service without one is steered by the defaults.
/// </summary>
public sealed class ServiceSteering
{
    public Guid ServiceId { get; set; }
    public Guid ProjectId { get; set; }
    public SteeringPolicy Policy { get; set; } = SteeringPolicy.Failover;
    public SteeringMode Mode { get; set; } = SteeringMode.Enforce;

    /// <summary>JSON list of provider account ids in priority order; null follows the flavor's order.</summary>
    public string? ProviderOrder { get; set; }

    public Guid? PinnedProviderAccountId { get; set; }

    /// <summary><see cref="SteeringThresholds"/> as JSON; null takes the defaults.</summary>
    public string? Thresholds { get; set; }

    /// <summary>The provider the records point at.</summary>
    public Guid? ActiveProviderAccountId { get; set; }

    /// <summary>
    /// The last steering round that decided for this service. A node takes a round only by raising it with a conditional
    /// update, so two nodes never decide (or switch) twice for one round.
    /// </summary>
    public long LastRound { get; set; }

    /// <summary>The provider <c>fastest</c> is watching as better than the active one, and for how many rounds in a row.</summary>
    public Guid? ChallengerAccountId { get; set; }
    public int ChallengerRounds { get; set; }

    /// <summary>In dry-run mode, the switch last recorded (so a would-be switch is recorded once, not every round).</summary>
    public Guid? DryRunTarget { get; set; }

    /// <summary><c>weighted</c>: the operator's weights, JSON object of provider account id → weight (0..255).</summary>
    public string? Weights { get; set; }

    /// <summary><c>weighted</c> in dry-run mode: the set last recorded as a would-be change (as <see cref="WeightedSets.Describe"/> words it).</summary>
    public string? DryRunWeights { get; set; }

    /// <summary>Set while every provider is unhealthy (an alert event was raised); cleared when one is healthy again.</summary>
    public bool AlertOpen { get; set; }

    /// <summary>The last round's health per provider (JSON list of <see cref="ProviderHealthReport"/>), for the pages.</summary>
    public string? Health { get; set; }

    public DateTimeOffset? DecidedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum SteeringEventKind
{
    /// <summary>The records were pointed at another provider.</summary>
    Switch,

    /// <summary>Dry-run: what steering would have done; nothing changed.</summary>
    WouldSwitch,

    /// <summary>Every provider is unhealthy: steering stays where it is and says so.</summary>
    Alert,

    /// <summary>A provider is healthy again after an alert.</summary>
    AlertCleared,
}

/// <summary>Whether the authoritative server answered the new target after a switch.</summary>
public static class DnsConfirmations
{
    public const string Confirmed = "confirmed";
    public const string NotConfirmed = "not_confirmed";
    public const string NotChecked = "not checked";
    public const string NotApplicable = "n/a";
}

/// <summary>One steering event: a switch (done or, in dry-run, only decided) or an alert, with the figures that decided it.</summary>
public sealed class SteeringEvent
{
    public long Id { get; set; }
    public Guid ServiceId { get; set; }
    public Guid ProjectId { get; set; }
    public DateTimeOffset At { get; set; }
    public SteeringEventKind Kind { get; set; }

    /// <summary>The domains whose records it concerns, comma-separated.</summary>
    public string Domains { get; set; } = "";

    public Guid? FromProviderAccountId { get; set; }
    public string? FromProvider { get; set; }
    public Guid? ToProviderAccountId { get; set; }
    public string? ToProvider { get; set; }

    /// <summary>Weighted sets before and after ("fastly 3, akamai 1"); null where a side was one plain CNAME.</summary>
    public string? FromWeights { get; set; }
    public string? ToWeights { get; set; }

    public SteeringPolicy Policy { get; set; }
    public string Reason { get; set; } = "";

    /// <summary>The figures the decision read (health, p95, error rates), as JSON.</summary>
    public string Figures { get; set; } = "{}";

    /// <summary>"steering" for the rounds, else the user who acted.</summary>
    public string Actor { get; set; } = "";

    /// <summary>One of <see cref="DnsConfirmations"/>, with what the server answered when it differs.</summary>
    public string Confirmation { get; set; } = DnsConfirmations.NotApplicable;

    /// <summary>The steering round that decided it; null for a switch by hand.</summary>
    public long? Round { get; set; }
}

internal sealed class ServiceDnsRecordConfiguration : IEntityTypeConfiguration<ServiceDnsRecord>
{
    public void Configure(EntityTypeBuilder<ServiceDnsRecord> record)
    {
        record.ToTable("ServiceDnsRecords");
        record.Property(r => r.Domain).HasMaxLength(253);
        record.Property(r => r.Name).HasMaxLength(253);
        record.Property(r => r.DnsAccountName).HasMaxLength(64);
        record.Property(r => r.Target).HasMaxLength(253);
        record.Property(r => r.ProviderName).HasMaxLength(64);
        record.Property(r => r.State).HasConversion<string>().HasMaxLength(16);
        record.Property(r => r.LastError).HasMaxLength(4000);
        record.HasOne<CdnService>().WithMany().HasForeignKey(r => r.ServiceId).HasPrincipalKey(s => s.Id).OnDelete(DeleteBehavior.Cascade);
        record.HasIndex(r => new { r.ServiceId, r.Domain }).IsUnique();
        record.HasIndex(r => new { r.State, r.NextAttemptAt });
    }
}

internal sealed class ServiceSteeringConfiguration : IEntityTypeConfiguration<ServiceSteering>
{
    public void Configure(EntityTypeBuilder<ServiceSteering> steering)
    {
        steering.ToTable("ServiceSteering");
        steering.HasKey(s => s.ServiceId);
        steering.Property(s => s.Policy).HasConversion<string>().HasMaxLength(16);
        steering.Property(s => s.Mode).HasConversion<string>().HasMaxLength(16);
        steering.HasOne<CdnService>().WithOne().HasForeignKey<ServiceSteering>(s => s.ServiceId).HasPrincipalKey<CdnService>(s => s.Id)
            .OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SteeringEventConfiguration : IEntityTypeConfiguration<SteeringEvent>
{
    public void Configure(EntityTypeBuilder<SteeringEvent> e)
    {
        e.ToTable("SteeringEvents");
        e.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.Policy).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.Domains).HasMaxLength(4000);
        e.Property(x => x.FromProvider).HasMaxLength(64);
        e.Property(x => x.ToProvider).HasMaxLength(64);
        e.Property(x => x.FromWeights).HasMaxLength(1000);
        e.Property(x => x.ToWeights).HasMaxLength(1000);
        e.Property(x => x.Reason).HasMaxLength(1000);
        e.Property(x => x.Actor).HasMaxLength(256);
        e.Property(x => x.Confirmation).HasMaxLength(600);
        e.HasOne<CdnService>().WithMany().HasForeignKey(x => x.ServiceId).HasPrincipalKey(s => s.Id).OnDelete(DeleteBehavior.Cascade);
        e.HasIndex(x => new { x.ServiceId, x.Id });
        // A second guard beside ServiceSteering.LastRound: one event of a kind per service and round.
        e.HasIndex(x => new { x.ServiceId, x.Round, x.Kind }).IsUnique();
    }
}
