using System.Collections.Immutable;

namespace Poppy.Portal.Simulators.Fastly;

// Immutable snapshots: the simulator swaps whole records under its lock, so a test reads a consistent state.

public sealed record FastlyService(
    string Id,
    string Name,
    string Type,
    string Comment,
    string CustomerId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    ImmutableList<FastlyVersion> Versions,
    ImmutableList<FastlyAclEntry> AclEntries)
{
    public FastlyVersion? ActiveVersion => Versions.FirstOrDefault(v => v.Active);

    public FastlyVersion LatestVersion => Versions[^1];

    public FastlyVersion? Version(int number) => Versions.FirstOrDefault(v => v.Number == number);
}

public sealed record FastlyVersion(
    int Number,
    bool Active,
    bool Locked,
    bool Deployed,
    string Comment,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    ImmutableList<FastlyObject> Objects,
    ImmutableDictionary<string, string> Settings)
{
    public IReadOnlyList<FastlyObject> Domains => Of(FastlyKinds.Domain);
    public IReadOnlyList<FastlyObject> Backends => Of(FastlyKinds.Backend);
    public IReadOnlyList<FastlyObject> Conditions => Of(FastlyKinds.Condition);
    public IReadOnlyList<FastlyObject> CacheSettings => Of(FastlyKinds.CacheSettings);
    public IReadOnlyList<FastlyObject> Headers => Of(FastlyKinds.Header);
    public IReadOnlyList<FastlyObject> ResponseObjects => Of(FastlyKinds.ResponseObject);
    public IReadOnlyList<FastlyObject> Acls => Of(FastlyKinds.Acl);

    /// <summary>The version's <c>general.default_ttl</c> setting (Fastly's default is 3600 s).</summary>
    public int DefaultTtlSeconds =>
        int.TryParse(Settings.GetValueOrDefault("general.default_ttl"), out var ttl) ? ttl : 3600;

    public IReadOnlyList<FastlyObject> Of(string kind) => [.. Objects.Where(o => o.Kind == kind)];

    public FastlyObject? Find(string kind, string name) => Objects.FirstOrDefault(o => o.Kind == kind && o.Name == name);
}

/// <summary>A versioned configuration object (domain, backend, condition, …) with the fields as Fastly stores them.</summary>
public sealed record FastlyObject(
    string Kind,
    string Name,
    string? Id,
    ImmutableDictionary<string, string?> Fields,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public string? this[string field] => Fields.GetValueOrDefault(field);
}

/// <summary>ACL entries are versionless: they belong to the ACL id, which clones keep.</summary>
public sealed record FastlyAclEntry(
    string Id,
    string AclId,
    string Ip,
    int? Subnet,
    bool Negated,
    string Comment,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public enum FastlyPurgeKind
{
    Url,
    All,
    SurrogateKey,
}

public sealed record FastlyPurge(
    string Id,
    FastlyPurgeKind Kind,
    string? ServiceId,
    string Target,
    bool Soft,
    int ObjectsPurged,
    DateTimeOffset At);
