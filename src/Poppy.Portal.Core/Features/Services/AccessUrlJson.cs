using System.Text.Json;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// The one contract for <see cref="ServiceProviderState.AccessUrls"/>: a JSON list of
/// <c>{"domain", "provider_url", "operator_url"}</c>, written in the snake_case of the service document. Rows written
/// before this contract used .NET's PascalCase (<c>Domain</c>, <c>ProviderUrl</c>, <c>OperatorUrl</c>); reading accepts
/// both, so those rows show their URLs too without a data migration. Anything unreadable reads as no URLs rather than
/// failing the page or the API answer it is part of.
/// </summary>
public static class AccessUrlJson
{
    public static string Write(IReadOnlyList<AccessUrl> urls) => JsonSerializer.Serialize(urls, ServiceSpec.Json);

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
                .Select(e => new AccessUrl(Text(e, "domain") ?? "", Text(e, "provider_url", "providerurl") ?? "", Text(e, "operator_url", "operatorurl")))
                .Where(u => u.ProviderUrl.Length > 0 || u.OperatorUrl is not null)
                .ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>The first string property named one of <paramref name="names"/>, ignoring case.</summary>
    private static string? Text(JsonElement element, params string[] names)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String && names.Any(n => string.Equals(n, property.Name, StringComparison.OrdinalIgnoreCase)))
            {
                return property.Value.GetString();
            }
        }
        return null;
    }
}
