using System.Text.RegularExpressions;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Providers;

/// <summary>The checks on a provider account that need no database, and the masked hint; kept apart so they are unit-tested.</summary>
internal static partial class ProviderAccountRules
{
    public const int MaxEndpointLength = 2048;
    public const int MaxCredentialLength = 4096;
    public const int MaxHintLength = 200;

    /// <summary>Secrets shorter than this are masked completely: showing 4 of a short secret gives too much of it away.</summary>
    public const int MinSecretLengthToShowTail = 12;

    /// <summary>Lowercase, URL- and config-safe; it is what flavors name as their "provider".</summary>
    [GeneratedRegex(@"\A[a-z0-9][a-z0-9_-]{0,63}\z")]
    private static partial Regex NamePattern();

    public static IEnumerable<ValidationError> CheckName(string name)
    {
        if (name.Length == 0)
        {
            yield return new("name", "Enter a name.");
        }
        else if (TextRules.ControlError(name, "name") is { } control)
        {
            yield return control;
        }
        else if (!NamePattern().IsMatch(name))
        {
            yield return new("name", "Name: 1–64 characters, lowercase letters, digits, '-' or '_', starting with a letter or digit.");
        }
    }

    public static IEnumerable<ValidationError> CheckKind(ProviderKind kind)
    {
        if (!Enum.IsDefined(kind))
        {
            yield return new("kind", "Choose a provider kind.");
        }
    }

    public static IEnumerable<ValidationError> CheckEndpoint(string endpoint)
    {
        if (endpoint.Length == 0)
        {
            yield return new("apiEndpoint", "Enter the API endpoint, e.g. https://api.fastly.com.");
        }
        else if (endpoint.Length > MaxEndpointLength)
        {
            yield return new("apiEndpoint", $"The API endpoint has at most {MaxEndpointLength} characters.");
        }
        // Uri.TryCreate drops some control characters silently; they must not reach the stored endpoint.
        else if (TextRules.ControlError(endpoint, "apiEndpoint") is { } control)
        {
            yield return control;
        }
        else if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                 || string.IsNullOrEmpty(uri.Host))
        {
            yield return new("apiEndpoint", "The API endpoint must be an absolute http:// or https:// URL.");
        }
    }

    /// <summary>
    /// The credentials to store: each field of <paramref name="kind"/> takes the value typed in <paramref name="entered"/>,
    /// or, left empty, the stored value (edits keep what was not retyped). A field with neither is an error.
    /// </summary>
    /// <param name="stored">The account's current credentials when it keeps its kind; null on create or a change of kind.</param>
    public static (Dictionary<string, string> Credentials, IReadOnlyList<string> Replaced, List<ValidationError> Errors) MergeCredentials(
        ProviderKind kind, IReadOnlyDictionary<string, string?>? entered, IReadOnlyDictionary<string, string>? stored)
    {
        var merged = MergeCredentials(ProviderCredentialFields.For(kind), ProviderCredentialFields.DisplayName(kind), entered, stored);
        if (kind == ProviderKind.CacheTier && merged.Replaced.Contains(CacheTierNodes.CredentialKey))
        {
            // Stored normalized, with the tokens of lines written "*" taken from the stored list.
            var storedNodes = stored is null ? null : CacheTierNodes.From(stored);
            var (nodes, nodeErrors) = CacheTierNodes.Parse(merged.Credentials[CacheTierNodes.CredentialKey], storedNodes);
            merged.Errors.AddRange(nodeErrors.Select(e => new ValidationError($"credentials.{CacheTierNodes.CredentialKey}", e)));
            merged.Credentials[CacheTierNodes.CredentialKey] = CacheTierNodes.Format(nodes);
        }
        return merged;
    }

    /// <summary>The same for any table of fields (DNS accounts have their own); <paramref name="vendor"/> names it in errors.</summary>
    public static (Dictionary<string, string> Credentials, IReadOnlyList<string> Replaced, List<ValidationError> Errors) MergeCredentials(
        IReadOnlyList<CredentialField> fields, string vendor, IReadOnlyDictionary<string, string?>? entered, IReadOnlyDictionary<string, string>? stored)
    {
        var errors = new List<ValidationError>();
        var credentials = new Dictionary<string, string>(StringComparer.Ordinal);
        var replaced = new List<string>();
        foreach (var key in (entered?.Keys ?? []).Where(k => fields.All(f => f.Key != k)))
        {
            errors.Add(new($"credentials.{key}", $"{vendor} accounts have no credential '{key}'."));
        }
        foreach (var field in fields)
        {
            var value = entered?.GetValueOrDefault(field.Key)?.Trim() ?? "";
            if (value.Length > MaxCredentialLength)
            {
                errors.Add(new($"credentials.{field.Key}", $"{field.Label}: at most {MaxCredentialLength} characters."));
            }
            // A multi-line field (a cache tier's nodes, one a line) may break lines; each line is split into parts that
            // hold no whitespace, so no part can carry a line break into a request.
            else if (TextRules.ControlError(field.Multiline ? value.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal) : value,
                         $"credentials.{field.Key}") is { } control)
            {
                // A line break in a key would forge a header line on the vendor request.
                errors.Add(control);
            }
            else if (value.Length > 0)
            {
                credentials[field.Key] = value;
                replaced.Add(field.Key);
            }
            else if (stored?.GetValueOrDefault(field.Key) is { Length: > 0 } kept)
            {
                credentials[field.Key] = kept;
            }
            else
            {
                errors.Add(new($"credentials.{field.Key}", $"Enter the {field.Label.ToLowerInvariant()}."));
            }
        }
        return (credentials, replaced, errors);
    }

    /// <summary>
    /// What may be shown of the credentials, e.g. "api_key ••••3f9a": the last 4 characters of long secrets, nothing of
    /// short ones, other fields (region, alias) in full.
    /// </summary>
    public static string Hint(ProviderKind kind, IReadOnlyDictionary<string, string> credentials) =>
        kind == ProviderKind.CacheTier && CacheTierNodes.From(credentials) is { Count: > 0 } nodes
            ? Fit(CacheTierNodes.Hint(nodes, MaskSecret))
            : Hint(ProviderCredentialFields.For(kind), credentials);

    /// <summary>The same for any table of fields.</summary>
    public static string Hint(IReadOnlyList<CredentialField> fields, IReadOnlyDictionary<string, string> credentials)
    {
        var parts = fields
            .Where(f => credentials.ContainsKey(f.Key))
            .Select(f => $"{f.Key} {Mask(f, credentials[f.Key])}");
        return Fit(string.Join(", ", parts));
    }

    private static string Fit(string hint) => hint.Length <= MaxHintLength ? hint : hint[..(MaxHintLength - 1)] + "…";

    private static string Mask(CredentialField field, string value) => field.IsSecret ? MaskSecret(value) : value;

    private static string MaskSecret(string value) => value.Length >= MinSecretLengthToShowTail ? "••••" + value[^4..] : "••••••••";
}
