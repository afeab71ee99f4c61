using System.Collections.Immutable;

namespace Poppy.Portal.Simulators.MaxCdn;

/// <summary>A pull zone with its RWS fields as strings (as the API prints most of them).</summary>
public sealed record MaxCdnPullZone(int Id, ImmutableDictionary<string, string> Fields, ImmutableList<MaxCdnCustomDomain> CustomDomains, DateTimeOffset CreatedAt)
{
    public string Name => Fields["name"];

    public string Url => Fields["url"];

    public string this[string field] => Fields.GetValueOrDefault(field, "");
}

public sealed record MaxCdnCustomDomain(int Id, string Domain);

/// <param name="Files">The files purged; empty for the whole zone.</param>
public sealed record MaxCdnPurge(int ZoneId, IReadOnlyList<string> Files, int ObjectsPurged, DateTimeOffset At);
