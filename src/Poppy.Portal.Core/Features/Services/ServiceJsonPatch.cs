using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// RFC 6902 JSON Patch over the editable part of a service document. Unlike Poppy, which never enforced its patch
/// schema (so <c>/project_id</c> was patchable), only the fields of <see cref="EditablePaths"/> may be touched.
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
        var index = 0;
        foreach (var operation in patch.EnumerateArray())
        {
            var error = ApplyOne(document, operation);
            if (error is not null)
            {
                errors.Add(new ValidationError($"[{index}]", error));
                return null;
            }
            index++;
        }
        return document;
    }

    private static string? ApplyOne(JsonObject document, JsonElement operation)
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
                return hasValue ? Add(document, target, JsonNode.Parse(valueElement.GetRawText())) : "\"add\" needs a \"value\".";
            case "remove":
                return Remove(document, target);
            case "replace":
                if (!hasValue)
                {
                    return "\"replace\" needs a \"value\".";
                }
                return Remove(document, target) ?? Add(document, target, JsonNode.Parse(valueElement.GetRawText()));
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
                return (op == "move" ? Remove(document, from) : null) ?? Add(document, target, moved);
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

    private static string? Add(JsonObject document, string[] tokens, JsonNode? value)
    {
        var parent = tokens.Length == 1 ? document : Get(document, tokens[..^1])?.Value;
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                return null;
            case JsonArray array when last == "-":
                array.Add(value);
                return null;
            case JsonArray array when ArrayIndex(last, array.Count) is { } index:
                array.Insert(index, value);
                return null;
            default:
                return $"'/{string.Join('/', tokens)}' cannot be added: its parent does not exist or the index is out of range.";
        }
    }

    private static string? Remove(JsonObject document, string[] tokens)
    {
        if (Get(document, tokens) is not { } found)
        {
            return $"'/{string.Join('/', tokens)}' does not exist.";
        }
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
