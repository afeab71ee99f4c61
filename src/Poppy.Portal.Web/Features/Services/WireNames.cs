using System.Text.Json;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>
/// An enum of the service document by the names the API uses ("https", "redirect-to-https", "client_ip"), so the forms
/// post and show exactly what the JSON would hold. The names come from <see cref="ServiceSpec.Json"/> itself.
/// </summary>
public static class WireNames<TEnum> where TEnum : struct, Enum
{
    private static readonly Dictionary<TEnum, string> NameByValue =
        Enum.GetValues<TEnum>().ToDictionary(v => v, v => JsonSerializer.Serialize(v, ServiceSpec.Json).Trim('"'));

    private static readonly Dictionary<string, TEnum> ValueByName = NameByValue.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    public static IReadOnlyList<string> All { get; } = NameByValue.Values.ToList();

    public static string Of(TEnum value) => NameByValue[value];

    public static bool TryParse(string? name, out TEnum value) => ValueByName.TryGetValue(name ?? "", out value);
}

public static class WireNameExtensions
{
    /// <summary>The API's name of a document enum value, e.g. "redirect-to-https".</summary>
    public static string ToWireName<TEnum>(this TEnum value) where TEnum : struct, Enum => WireNames<TEnum>.Of(value);
}
