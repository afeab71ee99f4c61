using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Poppy.Portal.Core.Features.Audit;

public enum AuditChange
{
    Unchanged,
    Changed,
    Added,
    Removed,
}

/// <summary>One leaf of a snapshot, e.g. <c>domains[0].domain</c>, with its JSON value before and after (null when absent).</summary>
public sealed record AuditDiffLine(string Path, AuditChange Change, string? Before, string? After);

/// <summary>
/// Field-by-field comparison of an audit entry's two JSON snapshots. Each snapshot is flattened to leaf paths
/// (<c>name</c>, <c>origin.host</c>, <c>domains[0].domain</c>); an empty object or array is a leaf of its own so that
/// "became empty" stays visible. Values are compared as JSON, so a type change ("5" → 5) counts as a change.
/// </summary>
public static partial class AuditDiff
{
    /// <summary>The path shown for a snapshot that is a single value rather than an object or array.</summary>
    public const string RootPath = "(value)";

    // Relaxed escaping keeps "é" readable; the page HTML-encodes whatever it shows.
    private static readonly JsonSerializerOptions LeafJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex(@"\A[A-Za-z_$][A-Za-z0-9_$-]*\z")]
    private static partial Regex PlainName();

    /// <summary>Compares two snapshots (null meaning "did not exist") in the order their fields appear.</summary>
    public static IReadOnlyList<AuditDiffLine> Compare(string? beforeJson, string? afterJson)
    {
        var before = Flatten(beforeJson);
        var after = Flatten(afterJson);
        var beforeValues = before.ToDictionary(leaf => leaf.Path, leaf => leaf.Value, StringComparer.Ordinal);
        var afterPaths = after.Select(leaf => leaf.Path).ToHashSet(StringComparer.Ordinal);

        // Walk the "after" order; a removed field is placed right after the field that preceded it before.
        var lines = new List<AuditDiffLine>(after.Count + before.Count);
        var removedAfter = RemovedFieldsByPredecessor(before, afterPaths);
        if (removedAfter.TryGetValue("", out var leading))
        {
            lines.AddRange(leading);
        }
        foreach (var (path, value) in after)
        {
            lines.Add(beforeValues.TryGetValue(path, out var old)
                ? new AuditDiffLine(path, old == value ? AuditChange.Unchanged : AuditChange.Changed, old, value)
                : new AuditDiffLine(path, AuditChange.Added, null, value));
            if (removedAfter.TryGetValue(path, out var removed))
            {
                lines.AddRange(removed);
            }
        }
        return lines;
    }

    /// <summary>Groups the fields that only "before" has under the nearest earlier field that "after" still has ("" for none).</summary>
    private static Dictionary<string, List<AuditDiffLine>> RemovedFieldsByPredecessor(
        IReadOnlyList<(string Path, string Value)> before, HashSet<string> afterPaths)
    {
        var groups = new Dictionary<string, List<AuditDiffLine>>(StringComparer.Ordinal);
        var anchor = "";
        foreach (var (path, value) in before)
        {
            if (afterPaths.Contains(path))
            {
                anchor = path;
                continue;
            }
            if (!groups.TryGetValue(anchor, out var group))
            {
                groups[anchor] = group = [];
            }
            group.Add(new AuditDiffLine(path, AuditChange.Removed, value, null));
        }
        return groups;
    }

    /// <summary>The leaves of a JSON document as (path, JSON value) in document order; text that is not JSON is one string leaf.</summary>
    public static IReadOnlyList<(string Path, string Value)> Flatten(string? json)
    {
        var leaves = new List<(string, string)>();
        if (json is null)
        {
            return leaves;
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            Walk(document.RootElement, "", leaves);
        }
        catch (JsonException)
        {
            leaves.Add((RootPath, JsonSerializer.Serialize(json, LeafJson)));
        }
        return leaves;
    }

    private static void Walk(JsonElement element, string path, List<(string, string)> leaves)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object when element.EnumerateObject().Any():
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, Child(path, property.Name), leaves);
                }
                break;
            case JsonValueKind.Array when element.GetArrayLength() > 0:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, $"{path}[{index++}]", leaves);
                }
                break;
            default:
                leaves.Add((path.Length == 0 ? RootPath : path, Leaf(element)));
                break;
        }
    }

    private static string Child(string path, string name)
    {
        var segment = PlainName().IsMatch(name) ? name : $"[{JsonSerializer.Serialize(name, LeafJson)}]";
        return path.Length == 0 || segment.StartsWith('[') ? path + segment : $"{path}.{segment}";
    }

    /// <summary>A leaf in a canonical JSON spelling, so that "\u00e9" and "é" compare equal.</summary>
    private static string Leaf(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => JsonSerializer.Serialize(element.GetString(), LeafJson),
        JsonValueKind.Object => "{}",
        JsonValueKind.Array => "[]",
        _ => element.GetRawText(),
    };
}
