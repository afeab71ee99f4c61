using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>The messages of a submitted form by field name, in the order they were found (for the summary at the top).</summary>
public sealed class FormErrors
{
    private readonly Dictionary<string, List<string>> byField = new(StringComparer.Ordinal);
    private readonly List<(string Field, string Message)> all = [];

    public static FormErrors None { get; } = new();

    public bool Any => all.Count > 0;

    /// <summary>Every message with the field it belongs to ("" for the whole form).</summary>
    public IReadOnlyList<(string Field, string Message)> All => all;

    public void Add(string field, string message)
    {
        if (!byField.TryGetValue(field, out var messages))
        {
            byField[field] = messages = [];
        }
        if (!messages.Contains(message))
        {
            messages.Add(message);
            all.Add((field, message));
        }
    }

    /// <summary>Adds document errors at the fields <paramref name="fieldFor"/> names.</summary>
    public void AddAll(IEnumerable<ValidationError> errors, Func<string, string> fieldFor)
    {
        foreach (var error in errors)
        {
            Add(fieldFor(error.Path), error.Message);
        }
    }

    public IReadOnlyList<string> For(string field) => byField.TryGetValue(field, out var messages) ? messages : [];

    public bool Has(string field) => byField.ContainsKey(field);

    /// <summary>The messages of one input as its helper text shows them.</summary>
    public string? Text(string field) => Has(field) ? string.Join(" ", For(field)) : null;
}
