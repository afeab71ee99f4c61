using System.Text.Json;
using System.Text.Json.Serialization;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>A provider's weight in a weighted set (configured, decided or written).</summary>
public sealed record ProviderWeight(Guid ProviderAccountId, string Name, int Weight);

/// <summary>One target of the weighted set a steering record holds at its vendor (kept as JSON on <see cref="ServiceDnsRecord.Weights"/>).</summary>
public sealed record WrittenWeight(
    [property: JsonPropertyName("provider_account_id")] Guid ProviderAccountId,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("weight")] int Weight);

/// <summary>
/// The <c>weighted</c> policy's weights: 0..255 per provider for every DNS vendor (Route 53's range; PowerDNS takes any
/// positive integer, so the narrower range holds for both), at least one positive. A weight of 0, or a provider taken out
/// by health gating, is left out of the set written.
/// </summary>
public static class WeightedSets
{
    public const int MinWeight = 0;
    public const int MaxWeight = Drivers.DnsWeightedTarget.MaxWeight;

    public static Dictionary<Guid, int> ReadConfigured(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<Dictionary<Guid, int>>(json) ?? [];

    public static string WriteConfigured(IReadOnlyDictionary<Guid, int> weights) => JsonSerializer.Serialize(weights);

    /// <summary>The set a record holds; null when it is a plain CNAME.</summary>
    public static List<WrittenWeight>? ReadWritten(string? json) =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize<List<WrittenWeight>>(json);

    public static string WriteWritten(IEnumerable<WrittenWeight> weights) => JsonSerializer.Serialize(weights.ToList());

    /// <summary>"fastly 3, akamai 1", in the order given.</summary>
    public static string Describe(IEnumerable<ProviderWeight> weights) => Drivers.DnsWeights.Describe(weights.Select(w => (w.Name, w.Weight)));

    /// <summary>Same providers with the same weights, in any order.</summary>
    public static bool Same(IReadOnlyList<ProviderWeight>? a, IReadOnlyList<ProviderWeight>? b) =>
        a is not null && b is not null && a.Count == b.Count
        && a.All(x => b.Any(y => y.ProviderAccountId == x.ProviderAccountId && y.Weight == x.Weight));

    /// <summary>The heaviest provider of a set (the first in priority order on a tie): the record's "active" provider.</summary>
    public static ProviderWeight Heaviest(IReadOnlyList<ProviderWeight> weights) =>
        weights.Aggregate((best, next) => next.Weight > best.Weight ? next : best);
}
