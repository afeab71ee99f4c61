using System.Text.Json.Serialization;

namespace Poppy.Portal.Core.Features.Flavors;

/// <summary>
/// A flavor as Poppy's API receives it: <c>{"id":"cdn","providers":[{"provider":"fastly","links":[{"href":"www.fastly.com","rel":"provider_url"}]}]}</c>.
/// Every part may be missing (as deserialised JSON can be); <see cref="FlavorCatalog.CreateAsync"/> says what is wrong with it.
/// </summary>
/// <param name="UnsupportedSettings">
/// The portal's addition: "warn" (the default) accepts a service with settings one of the flavor's vendors cannot
/// express and reports them; "refuse" refuses such a service.
/// </param>
public sealed record FlavorSpec(
    string? Id,
    IReadOnlyList<FlavorProviderSpec?>? Providers,
    [property: JsonPropertyName("unsupported_settings")] string? UnsupportedSettings = null);

/// <param name="Provider">The name of a configured provider account.</param>
public sealed record FlavorProviderSpec(string? Provider, IReadOnlyList<FlavorLinkSpec?>? Links)
{
    public const string ProviderUrlRel = "provider_url";

    /// <summary>A provider with its one <c>provider_url</c> link, as the admin form enters it.</summary>
    public static FlavorProviderSpec WithProviderUrl(string? provider, string? providerUrl) =>
        new(provider, [new FlavorLinkSpec(providerUrl, ProviderUrlRel)]);
}

public sealed record FlavorLinkSpec(string? Href, string? Rel);
