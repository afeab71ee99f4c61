using System.Text.Json;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>
/// Reads <see cref="ServiceProviderState.AccessUrls"/> for display. Provisioning (a later issue) writes it; this accepts
/// the snake_case of the service document and .NET's own casing alike, and shows nothing rather than failing the page
/// on anything else.
/// </summary>
public static class AccessUrls
{
    public static IReadOnlyList<AccessUrl> Read(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return [];
            }
            return document.RootElement.EnumerateArray()
                .Where(e => e.ValueKind == JsonValueKind.Object)
                .Select(e => new AccessUrl(Text(e, "domain") ?? "", Text(e, "provider_url", "providerUrl") ?? "", Text(e, "operator_url", "operatorUrl")))
                .Where(u => u.ProviderUrl.Length > 0 || u.OperatorUrl is not null)
                .ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string? Text(JsonElement element, params string[] names)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (names.Any(n => string.Equals(n, property.Name, StringComparison.OrdinalIgnoreCase)) && property.Value.ValueKind == JsonValueKind.String)
            {
                return property.Value.GetString();
            }
        }
        return null;
    }
}
