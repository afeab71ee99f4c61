using System.Text.Json;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Flavors;

/// <summary>
/// Reads Poppy's flavor document strictly, as services are read: unknown keys (also the same key in another case,
/// <c>"ID"</c>, which a case-insensitive deserializer took for <c>"id"</c>) and wrong types are errors naming the field.
/// What is missing or out of range is left to <see cref="FlavorRules"/>, through <see cref="FlavorCatalog.CreateAsync"/>.
/// </summary>
public static class FlavorDocumentReader
{
    private static readonly string[] FlavorKeys = ["id", "providers", "unsupported_settings"];
    private static readonly string[] ProviderKeys = ["provider", "links"];
    private static readonly string[] LinkKeys = ["href", "rel"];

    /// <summary>The flavor as sent, or null with the reasons in <paramref name="errors"/>.</summary>
    public static FlavorSpec? Read(JsonElement document, out List<ValidationError> errors)
    {
        var found = new List<ValidationError>();
        errors = found;
        if (!IsObject(document, "", FlavorKeys, found))
        {
            return null;
        }
        var id = String(document, "id", "", found);
        var providers = List(document, "providers", "", found, (json, path) =>
            IsObject(json, path, ProviderKeys, found)
                ? new FlavorProviderSpec(
                    String(json, "provider", path, found),
                    List(json, "links", path, found, (link, linkPath) =>
                        IsObject(link, linkPath, LinkKeys, found) ? new FlavorLinkSpec(String(link, "href", linkPath, found), String(link, "rel", linkPath, found)) : null))
                : null);
        var unsupportedSettings = String(document, "unsupported_settings", "", found);
        return found.Count == 0 ? new FlavorSpec(id, providers, unsupportedSettings) : null;
    }

    private static bool IsObject(JsonElement json, string path, string[] allowedKeys, List<ValidationError> errors)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, "Must be a JSON object."));
            return false;
        }
        foreach (var property in json.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException)
            {
                errors.Add(new(path, "A field name is not valid Unicode (it holds invalid UTF-8 or a lone surrogate)."));
                continue;
            }
            if (!allowedKeys.Contains(name, StringComparer.Ordinal))
            {
                errors.Add(new(Join(path, name), $"Unknown field; allowed here: {string.Join(", ", allowedKeys)}."));
            }
        }
        return true;
    }

    private static string? String(JsonElement json, string name, string path, List<ValidationError> errors)
    {
        if (!json.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(Join(path, name), "Must be a string."));
            return null;
        }
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            errors.Add(new(Join(path, name), "Must be valid Unicode text (it holds invalid UTF-8 or a lone surrogate)."));
            return null;
        }
    }

    private static List<T?>? List<T>(JsonElement json, string name, string path, List<ValidationError> errors, Func<JsonElement, string, T?> readItem)
    {
        if (!json.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        var listPath = Join(path, name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new(listPath, "Must be a JSON array."));
            return null;
        }
        return value.EnumerateArray().Select((item, i) => readItem(item, $"{listPath}[{i}]")).ToList();
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
