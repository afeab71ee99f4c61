using System.Globalization;

namespace Poppy.Portal.Core.Features.Validation;

/// <summary>
/// The one rule every free-text field shares: no control characters. A NUL or a line break in a service name reaches
/// vendors that fail on it (CloudFront ends such a service <c>failed</c>, two simulators answered 500), and a line break
/// or separator in a stored value forges lines in logs, mails and exports.
/// </summary>
public static class TextRules
{
    /// <summary>
    /// C0 controls (NUL, TAB, CR, LF, ...), DEL, C1 controls (U+0080–U+009F, NEL among them) and the Unicode line and
    /// paragraph separators U+2028 and U+2029, which JavaScript and many log readers treat as line breaks.
    /// </summary>
    public static bool IsControl(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';

    /// <summary>The first control character of <paramref name="value"/>, or null when it has none.</summary>
    public static char? FirstControl(string? value)
    {
        if (value is null)
        {
            return null;
        }
        foreach (var c in value)
        {
            if (IsControl(c))
            {
                return c;
            }
        }
        return null;
    }

    public static bool HasControl(string? value) => FirstControl(value) is not null;

    /// <summary>The error for a field holding a control character, or null when it holds none.</summary>
    public static ValidationError? ControlError(string? value, string path) =>
        FirstControl(value) is { } c
            ? new ValidationError(path, $"Must not contain control characters such as NUL, TAB or line breaks (found {Describe(c)}).")
            : null;

    /// <summary>"U+000A" — a control character cannot be shown as itself.</summary>
    public static string Describe(char c) => "U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);
}
