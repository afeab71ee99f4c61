namespace Poppy.CacheTier.Agent.Services;

/// <summary>A service the node serves.</summary>
/// <param name="Text">Its rendered nginx configuration.</param>
/// <param name="Warnings">What the node could not express of it, said plainly.</param>
public sealed record HeldService(string Id, ServiceConfig Config, string Text, IReadOnlyList<string> Warnings, DateTimeOffset AppliedAt);

public enum ApplyStatus
{
    /// <summary>nginx serves the new configuration.</summary>
    Applied,

    /// <summary>The node already served exactly this; nothing was reloaded.</summary>
    Unchanged,

    /// <summary>The document is invalid (<see cref="ApplyOutcome.Errors"/>); nothing changed.</summary>
    Invalid,

    /// <summary>Another service on this node holds one of the domains; nothing changed.</summary>
    Conflict,

    /// <summary>nginx refused the configuration (<see cref="ApplyOutcome.NginxError"/>); the node serves the previous one.</summary>
    Refused,
}

public sealed record ApplyOutcome(
    ApplyStatus Status,
    HeldService? Service = null,
    IReadOnlyDictionary<string, string[]>? Errors = null,
    string? NginxError = null,
    string? Message = null,
    IReadOnlyList<string>? Warnings = null);

/// <summary>What a purge did.</summary>
/// <param name="Entries">Cache entries marked stale (soft) or removed (hard).</param>
public sealed record PurgeOutcome(string ServiceId, string? Path, bool Hard, int Entries);

/// <summary>The last reload: when, whether nginx took it, and nginx's error when not.</summary>
public sealed record ReloadRecord(DateTimeOffset At, bool Succeeded, string Generation, string? Error);
