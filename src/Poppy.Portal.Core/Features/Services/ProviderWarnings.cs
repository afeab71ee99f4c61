using System.Text.Json;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// The settings a provider could not express, stored on its <see cref="ServiceProviderState.Warnings"/> as a JSON list
/// of strings. A service whose providers report some is deployed <i>with warnings</i>: the API, the list and the
/// service page say how many, so "deployed" never hides what a vendor dropped.
/// </summary>
public static class ProviderWarnings
{
    /// <summary>The list; nothing (rather than a broken page or answer) for anything that is not a JSON list of strings.</summary>
    public static IReadOnlyList<string> Read(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }
        try
        {
            return JsonSerializer.Deserialize<List<string>>(json) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>How many warnings the providers of a service report, all together.</summary>
    public static int Count(IEnumerable<string?> providerWarnings) => providerWarnings.Sum(w => Read(w).Count);

    public static int Count(CdnService service) => Count(service.Providers.Select(p => p.Warnings));
}
