using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Poppy.Portal.Simulators.Akamai;

/// <summary>
/// Reads a PAPI rule tree the way the edge applies it to one request: the default rule's behaviors, then every child
/// whose criteria match (path and fileExtension criteria), later rules overriding earlier ones.
/// </summary>
internal static class AkamaiRules
{
    public static IReadOnlyList<JsonNode> Errors(JsonObject? rules) =>
        rules is null || Behaviors(rules).All(b => b.Name != "origin")
            ?
            [
                new JsonObject
                {
                    ["type"] = "https://problems.luna.akamaiapis.net/papi/v0/validation/required_behavior",
                    ["errorLocation"] = "#/rules/behaviors",
                    ["detail"] = "The Origin behavior is required in the default rule.",
                },
            ]
            : [];

    /// <summary>Behavior name → options, after every matching rule has applied.</summary>
    public static Dictionary<string, JsonObject> Evaluate(JsonObject rules, string path)
    {
        var result = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        Apply(rules, path, result);
        return result;
    }

    public static string? CpCode(JsonObject rules) =>
        Behaviors(rules).FirstOrDefault(b => b.Name == "cpCode").Options?["value"]?["id"]?.ToString();

    /// <summary>PAPI durations: <c>30s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c> (a bare number is seconds).</summary>
    public static TimeSpan? Duration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var unit = char.IsLetter(text[^1]) ? char.ToLowerInvariant(text[^1]) : 's';
        var digits = char.IsLetter(text[^1]) ? text[..^1] : text;
        if (!double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }

        return unit switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => null,
        };
    }

    private static void Apply(JsonObject rule, string path, Dictionary<string, JsonObject> result)
    {
        foreach (var (name, options) in Behaviors(rule))
        {
            result[name] = options ?? [];
        }

        foreach (var child in (rule["children"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Matches(child, path))
            {
                Apply(child, path, result);
            }
        }
    }

    private static IEnumerable<(string Name, JsonObject? Options)> Behaviors(JsonObject rule) =>
        (rule["behaviors"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(b => (b["name"]?.ToString() ?? "", b["options"] as JsonObject));

    private static bool Matches(JsonObject rule, string path)
    {
        var criteria = (rule["criteria"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (criteria.Count == 0)
        {
            return true;
        }

        var results = criteria.Select(c => Criterion(c, path));
        return rule["criteriaMustSatisfy"]?.ToString() == "any" ? results.Any(r => r) : results.All(r => r);
    }

    private static bool Criterion(JsonObject criterion, string path)
    {
        var options = criterion["options"] as JsonObject ?? [];
        var values = (options["values"] as JsonArray ?? []).Select(v => v?.ToString() ?? "").ToList();
        var matchOne = criterion["name"]?.ToString() switch
        {
            "path" => values.Any(v => Glob(v, path)),
            "fileExtension" => values.Any(v => path.EndsWith("." + v, StringComparison.OrdinalIgnoreCase)),
            _ => (bool?)null,
        };
        if (matchOne is null)
        {
            return false; // a criterion the simulator cannot evaluate never matches
        }

        return options["matchOperator"]?.ToString() is "DOES_NOT_MATCH_ONE_OF" or "IS_NOT_ONE_OF" ? !matchOne.Value : matchOne.Value;
    }

    private static bool Glob(string pattern, string path) =>
        Regex.IsMatch(path, @"\A" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + @"\z", RegexOptions.None, TimeSpan.FromMilliseconds(100));
}
