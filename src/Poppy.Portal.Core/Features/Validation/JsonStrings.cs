using System.Text.Json;

namespace Poppy.Portal.Core.Features.Validation;

/// <summary>
/// System.Text.Json parses a string holding invalid UTF-8 or an escaped lone surrogate (<c>"\ud800"</c>) without
/// complaint and throws only when the string is read; read deep inside a handler that became a 500. This finds such a
/// string (value or property name) up front, so a request can be refused with 400 before anything reads it.
/// </summary>
public static class JsonStrings
{
    /// <summary>The path of the first string that is not valid Unicode (<c>$</c>, <c>$.domains[0].domain</c>), or null.</summary>
    public static string? FindInvalid(JsonElement element) => FindInvalid(element, "$");

    private static string? FindInvalid(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsReadable(element) ? null : path;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindInvalid(item, $"{path}[{index++}]") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.Object:
                var position = 0;
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return $"{path} (the name of member {position})";
                    }
                    if (FindInvalid(property.Value, $"{path}.{name}") is { } found)
                    {
                        return found;
                    }
                    position++;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool IsReadable(JsonElement text)
    {
        try
        {
            _ = text.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
