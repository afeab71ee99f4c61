using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Flavors;

/// <summary>Poppy's flavor rules that need no database beyond the names of the configured accounts; unit-tested on their own.</summary>
internal static class FlavorRules
{
    public const int MinIdLength = 3;
    public const int MaxIdLength = 64;
    public const int MinProviderUrlLength = 2;
    public const int MaxProviderUrlLength = 2048;

    /// <param name="isConfigured">Whether a provider account of that name exists.</param>
    public static List<ValidationError> Check(FlavorSpec spec, Func<string, bool> isConfigured)
    {
        var errors = CheckId(spec.Id).ToList();
        if (spec.UnsupportedSettings is not null && UnsupportedSettingsPolicies.Parse(spec.UnsupportedSettings) is null)
        {
            errors.Add(new("unsupported_settings", "unsupported_settings is \"warn\" (accept a service and report what a vendor cannot express) or \"refuse\"."));
        }
        if (spec.Providers is not { Count: > 0 } providers)
        {
            errors.Add(new("providers", "A flavor needs at least one provider."));
            return errors;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < providers.Count; i++)
        {
            var path = $"providers[{i}]";
            if (providers[i] is not { } provider)
            {
                errors.Add(new(path, "Each provider needs a \"provider\" and a \"links\" list."));
                continue;
            }
            errors.AddRange(CheckProviderName(provider.Provider, $"{path}.provider", isConfigured, seen));
            errors.AddRange(CheckLinks(provider.Links, $"{path}.links"));
        }
        return errors;
    }

    private static IEnumerable<ValidationError> CheckId(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            yield return new("id", "Enter a flavor id.");
        }
        else if (id.Length is < MinIdLength or > MaxIdLength)
        {
            yield return new("id", $"The flavor id has {MinIdLength}–{MaxIdLength} characters.");
        }
        // The id is a path segment of /v1.0/flavors/{id}: a '/' would make the flavor unreachable.
        else if (id.Contains('/') || TextRules.HasControl(id))
        {
            yield return new("id", "The flavor id may not contain '/' or control characters.");
        }
    }

    private static IEnumerable<ValidationError> CheckProviderName(string? name, string path, Func<string, bool> isConfigured, HashSet<string> seen)
    {
        if (string.IsNullOrEmpty(name))
        {
            yield return new(path, "Enter the provider: the name of a provider account.");
        }
        else if (TextRules.ControlError(name, path) is { } control)
        {
            yield return control;
        }
        else if (!isConfigured(name))
        {
            yield return new(path, $"Provider '{name}' is not configured.");
        }
        else if (!seen.Add(name))
        {
            yield return new(path, $"Provider '{name}' is listed twice; a flavor names each provider once.");
        }
    }

    private static IEnumerable<ValidationError> CheckLinks(IReadOnlyList<FlavorLinkSpec?>? links, string path)
    {
        if (links is not [{ } link])
        {
            yield return new(path, $"Each provider needs exactly one link, with rel \"{FlavorProviderSpec.ProviderUrlRel}\".");
            yield break;
        }
        if (TextRules.ControlError(link.Href, $"{path}[0].href") is { } control)
        {
            yield return control;
            yield break;
        }
        if (link.Rel != FlavorProviderSpec.ProviderUrlRel)
        {
            yield return new($"{path}[0].rel", $"The link's rel must be \"{FlavorProviderSpec.ProviderUrlRel}\".");
        }
        if (link.Href is null || link.Href.Length < MinProviderUrlLength)
        {
            yield return new($"{path}[0].href", $"Enter the provider URL ({MinProviderUrlLength} characters or more).");
        }
        else if (link.Href.Length > MaxProviderUrlLength)
        {
            yield return new($"{path}[0].href", $"The provider URL has at most {MaxProviderUrlLength} characters.");
        }
    }
}
