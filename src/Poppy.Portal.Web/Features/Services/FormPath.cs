using System.Text;
using System.Text.RegularExpressions;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>
/// Maps a document path as <see cref="Core.Features.Validation.ValidationError.Path"/> names it
/// (<c>origins[0].rules[2].request_url</c>) to the name of the form field that edits it
/// (<c>Input.Origins[0].Rules[2].RequestUrl</c>). The service form names its inputs with this too, so a message
/// always lands next to the field it is about.
/// </summary>
public static partial class FormPath
{
    public const string Prefix = "Input";

    // A restriction rule has one value field; the document keeps it under the name of its kind.
    private static readonly Dictionary<string, string> SpecialNames = new(StringComparer.Ordinal)
    {
        ["hostheadertype"] = "HostHeaderType",
        ["hostheadervalue"] = "HostHeaderValue",
        ["referrer"] = "Value",
        ["geography"] = "Value",
        ["client_ip"] = "Value",
    };

    [GeneratedRegex(@"\A(?<name>[a-z_]+)(?<index>(\[\d+\])*)\z", RegexOptions.CultureInvariant)]
    private static partial Regex SegmentPattern();

    /// <summary>The form field name for a document path; "" (the whole form) for an empty path.</summary>
    public static string ToFieldName(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "";
        }
        // The form has one checkbox for log delivery.
        if (path is "log_delivery" or "log_delivery.enabled")
        {
            return Prefix + ".LogDelivery";
        }
        var name = new StringBuilder(Prefix);
        foreach (var segment in path.Split('.'))
        {
            var match = SegmentPattern().Match(segment);
            if (!match.Success)
            {
                // Not a path this form knows: keep it readable rather than guess.
                name.Append('.').Append(segment);
                continue;
            }
            var key = match.Groups["name"].Value;
            name.Append('.').Append(SpecialNames.TryGetValue(key, out var special) ? special : Pascal(key));
            name.Append(match.Groups["index"].Value);
        }
        return name.ToString();
    }

    /// <summary>An HTML id for a field name (ids cannot hold '[', ']' or '.' without escaping in selectors).</summary>
    public static string ToId(string fieldName) =>
        "f-" + new string(fieldName.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());

    private static readonly Dictionary<string, string> Words = new(StringComparer.Ordinal)
    {
        ["Domains"] = "Domain", ["Origins"] = "Origin", ["Caching"] = "Caching rule", ["Restrictions"] = "Restriction",
        ["Rules"] = "rule", ["RequestUrl"] = "request URL", ["Ttl"] = "TTL", ["MinTtl"] = "minimum TTL",
        ["DefaultTtl"] = "default TTL", ["MaxTtl"] = "maximum TTL", ["FlavorId"] = "Flavor", ["Ssl"] = "ssl",
    };

    private static readonly HashSet<string> Collections = ["Domains", "Origins", "Caching", "Restrictions", "Rules"];

    [GeneratedRegex(@"\A(?<name>[A-Za-z]+)(\[(?<index>\d+)\])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex FieldSegmentPattern();

    [GeneratedRegex("(?<=[a-z])(?=[A-Z])", RegexOptions.CultureInvariant)]
    private static partial Regex WordBoundary();

    /// <summary>A field name as people say it, for the error summary: "Origin 2 · rule 1 · request URL".</summary>
    public static string Describe(string fieldName)
    {
        var segments = fieldName.StartsWith(Prefix + ".", StringComparison.Ordinal) ? fieldName[(Prefix.Length + 1)..].Split('.') : fieldName.Split('.');
        var parts = new List<string>();
        foreach (var segment in segments)
        {
            var match = FieldSegmentPattern().Match(segment);
            if (!match.Success)
            {
                parts.Add(segment);
                continue;
            }
            var name = match.Groups["name"].Value;
            var indexed = match.Groups["index"].Success;
            // Collections read as one item when indexed ("Origin 2") and as themselves otherwise ("origins").
            var word = Words.TryGetValue(name, out var known) && (indexed || !Collections.Contains(name))
                ? known
                : WordBoundary().Replace(name, " ").ToLowerInvariant();
            if (parts.Count == 0)
            {
                word = char.ToUpperInvariant(word[0]) + word[1..];
            }
            parts.Add(indexed ? $"{word} {int.Parse(match.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture) + 1}" : word);
        }
        return string.Join(" · ", parts);
    }

    private static string Pascal(string snake) =>
        string.Concat(snake.Split('_', StringSplitOptions.RemoveEmptyEntries).Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}
