using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// RFC 6902 JSON Patch over the editable part of a service document. Unlike Poppy, which never enforced its patch
/// schema (so <c>/project_id</c> was patchable), only the fields of <see cref="EditablePaths"/> may be touched.
/// The result is held to the limits of a service document sent whole (<see cref="ServiceLimits.MaxDocumentBytes"/>,
/// <see cref="ServiceLimits.MaxDocumentDepth"/>, the domain and origin counts) while each operation is applied, not
/// after: <c>{"op":"copy","from":"/caching","path":"/caching/-"}</c> doubles the document, and twenty of them in a
/// 1.2 KB body once took the portal from 559 to 1,271 MiB.
/// </summary>
public static class ServiceJsonPatch
{
    /// <summary>The top-level members a patch may add, remove, replace, move, copy or test.</summary>
    public static readonly IReadOnlySet<string> EditablePaths = new HashSet<string>(StringComparer.Ordinal)
    {
        "name", "flavor_id", "domains", "origins", "caching", "restrictions", "log_delivery", "delivery",
    };

    private const int MaxOperations = 200;

    /// <summary>Applies <paramref name="patch"/> to <paramref name="document"/> in place; on any error nothing is returned.</summary>
    public static JsonObject? Apply(JsonObject document, JsonElement patch, out List<ValidationError> errors)
    {
        errors = [];
        if (patch.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new ValidationError("", "A JSON Patch must be an array of operations (RFC 6902)."));
            return null;
        }
        if (patch.GetArrayLength() > MaxOperations)
        {
            errors.Add(new ValidationError("", $"A patch may hold at most {MaxOperations} operations."));
            return null;
        }
        if (JsonStrings.FindInvalid(patch) is { } invalid)
        {
            errors.Add(new ValidationError("", $"The patch holds a string that is not valid Unicode (invalid UTF-8 or a lone surrogate) at {invalid}."));
            return null;
        }
        var budget = new ResultBudget(Measure(document).Bytes);
        var index = 0;
        foreach (var operation in patch.EnumerateArray())
        {
            var error = ApplyOne(document, operation, budget) ?? CheckCounts(document);
            if (error is not null)
            {
                errors.Add(new ValidationError($"[{index}]", error));
                return null;
            }
            index++;
        }
        return document;
    }

    /// <summary>The estimated size of the document as it is being patched, kept up to date by every change.</summary>
    private sealed class ResultBudget(long bytes)
    {
        public long Bytes { get; set; } = bytes;
    }

    private static readonly JsonSerializerOptions MeasureJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The UTF-8 size and nesting depth of a value (a scalar has depth 0, <c>[]</c> and <c>{}</c> depth 1).</summary>
    private static (long Bytes, int Depth) Measure(JsonNode? node) =>
        (node is null ? 4 : Encoding.UTF8.GetByteCount(node.ToJsonString(MeasureJson)), Depth(node));

    private static int Depth(JsonNode? node) => node switch
    {
        JsonObject obj => 1 + obj.Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonArray array => 1 + array.Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };

    /// <summary>What a member's name, quotes, colon and comma add to its value; an array item adds its comma.</summary>
    private static long Overhead(JsonNode parent, string token) =>
        parent is JsonObject ? Encoding.UTF8.GetByteCount(token) + 4 : 1;

    /// <summary>The element counts the validator allows a document sent whole, checked after every operation.</summary>
    private static string? CheckCounts(JsonObject document)
    {
        foreach (var (field, max) in new[] { ("domains", ServiceLimits.MaxDomains), ("origins", ServiceLimits.MaxOrigins) })
        {
            if (document[field] is JsonArray list && list.Count > max)
            {
                return $"A service has at most {max} {field}; this operation makes {list.Count}.";
            }
        }
        return null;
    }

    private static string? ApplyOne(JsonObject document, JsonElement operation, ResultBudget budget)
    {
        if (operation.ValueKind != JsonValueKind.Object)
        {
            return "Each operation must be an object with \"op\" and \"path\".";
        }
        var op = Text(operation, "op");
        var path = Text(operation, "path");
        if (op is null || path is null)
        {
            return "Each operation needs \"op\" and \"path\" strings.";
        }
        if (Pointer(path) is not { } target)
        {
            return $"'{path}' is not a JSON pointer to an editable field ({string.Join(", ", EditablePaths.Select(p => "/" + p))}).";
        }
        var hasValue = operation.TryGetProperty("value", out var valueElement);
        switch (op)
        {
            case "add":
                return hasValue ? Add(document, target, JsonNode.Parse(valueElement.GetRawText()), budget) : "\"add\" needs a \"value\".";
            case "remove":
                return Remove(document, target, budget);
            case "replace":
                if (!hasValue)
                {
                    return "\"replace\" needs a \"value\".";
                }
                return Remove(document, target, budget) ?? Add(document, target, JsonNode.Parse(valueElement.GetRawText()), budget);
            case "move":
            case "copy":
                var fromPath = Text(operation, "from");
                if (fromPath is null || Pointer(fromPath) is not { } from)
                {
                    return $"\"{op}\" needs a \"from\" pointer to an editable field.";
                }
                if (op == "move" && path.StartsWith(fromPath + "/", StringComparison.Ordinal))
                {
                    return "Cannot move a value into itself.";
                }
                if (Get(document, from) is not { } found)
                {
                    return $"'{fromPath}' does not exist.";
                }
                var moved = found.Value?.DeepClone();
                return (op == "move" ? Remove(document, from, budget) : null) ?? Add(document, target, moved, budget);
            case "test":
                if (!hasValue)
                {
                    return "\"test\" needs a \"value\".";
                }
                return Get(document, target) is { } actual && JsonNode.DeepEquals(actual.Value, JsonNode.Parse(valueElement.GetRawText()))
                    ? null
                    : $"Test failed: '{path}' does not have the given value.";
            default:
                return $"'{op}' is not an operation; use add, remove, replace, move, copy or test.";
        }
    }

    private static string? Text(JsonElement operation, string name) =>
        operation.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Splits a pointer into unescaped tokens; null if it is malformed or outside the editable fields.</summary>
    private static string[]? Pointer(string path)
    {
        if (!path.StartsWith('/'))
        {
            return null;
        }
        var tokens = path[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToArray();
        return EditablePaths.Contains(tokens[0]) ? tokens : null;
    }

    private static (JsonNode? Value, JsonNode Parent, string Token)? Get(JsonObject document, string[] tokens)
    {
        JsonNode current = document;
        for (var i = 0; i < tokens.Length; i++)
        {
            JsonNode? child;
            switch (current)
            {
                case JsonObject obj when obj.TryGetPropertyValue(tokens[i], out child):
                    break;
                case JsonArray array when ArrayIndex(tokens[i], array.Count - 1) is { } index:
                    child = array[index];
                    break;
                default:
                    return null;
            }
            if (i == tokens.Length - 1)
            {
                return (child, current, tokens[i]);
            }
            if (child is null)
            {
                return null;
            }
            current = child;
        }
        return null;
    }

    /// <summary>
    /// Whether <paramref name="size"/> placed at <paramref name="tokens"/> keeps the document within the limits; the
    /// error to answer otherwise. A value at a pointer of n tokens is nested n deep.
    /// </summary>
    private static string? Admit(string[] tokens, (long Bytes, int Depth) size, ResultBudget budget, long freed = 0)
    {
        if (tokens.Length + size.Depth > ServiceLimits.MaxDocumentDepth)
        {
            return $"The patched document would nest {tokens.Length + size.Depth} levels deep; a service document nests at most {ServiceLimits.MaxDocumentDepth}.";
        }
        if (budget.Bytes - freed + size.Bytes + tokens[^1].Length + 4 > ServiceLimits.MaxDocumentBytes)
        {
            return $"The patched document would be larger than {ServiceLimits.MaxDocumentBytes / 1024} KiB, the limit of a service document.";
        }
        return null;
    }

    private static string? Add(JsonObject document, string[] tokens, JsonNode? value, ResultBudget budget)
    {
        var parent = tokens.Length == 1 ? document : Get(document, tokens[..^1])?.Value;
        var last = tokens[^1];
        if (parent is not (JsonObject or JsonArray))
        {
            return CannotAdd(tokens);
        }
        var size = Measure(value);
        // Adding to an object replaces a member of that name, whose size is freed.
        var freed = parent is JsonObject existing && existing.TryGetPropertyValue(last, out var old) ? Measure(old).Bytes + Overhead(existing, last) : 0;
        if (Admit(tokens, size, budget, freed) is { } tooMuch)
        {
            return tooMuch;
        }
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                break;
            case JsonArray array when last == "-":
                array.Add(value);
                break;
            case JsonArray array when ArrayIndex(last, array.Count) is { } index:
                array.Insert(index, value);
                break;
            default:
                return CannotAdd(tokens);
        }
        budget.Bytes += size.Bytes + Overhead(parent, last) - freed;
        return null;
    }

    private static string CannotAdd(string[] tokens) =>
        $"'/{string.Join('/', tokens)}' cannot be added: its parent does not exist or the index is out of range.";

    private static string? Remove(JsonObject document, string[] tokens, ResultBudget budget)
    {
        if (Get(document, tokens) is not { } found)
        {
            return $"'/{string.Join('/', tokens)}' does not exist.";
        }
        budget.Bytes -= Measure(found.Value).Bytes + Overhead(found.Parent, found.Token);
        switch (found.Parent)
        {
            case JsonObject obj:
                obj.Remove(found.Token);
                break;
            case JsonArray array:
                array.RemoveAt(int.Parse(found.Token, CultureInfo.InvariantCulture));
                break;
        }
        return null;
    }

    /// <summary>RFC 6901 array index: digits without leading zeros, at most <paramref name="max"/>.</summary>
    private static int? ArrayIndex(string token, int max) =>
        token.Length > 0 && token.All(char.IsAsciiDigit) && (token == "0" || token[0] != '0') && token.Length < 10
        && int.Parse(token, CultureInfo.InvariantCulture) is var index && index <= max
            ? index
            : null;
}
