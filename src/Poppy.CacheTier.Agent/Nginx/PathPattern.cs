using System.Globalization;
using System.Text;

namespace Poppy.CacheTier.Agent.Nginx;

/// <summary>
/// Turns a request path pattern (<c>/images/*</c>, <c>*.jpg</c>, <c>/a%20b</c>) into a PCRE body matching nginx's
/// <c>$uri</c>, which is percent-decoded: <c>*</c> becomes <c>.*</c>, a <c>%XX</c> escape the byte it stands for.
/// Everything but letters, digits and <c>/ _ -</c> is written as <c>\xHH</c>, so no character of the pattern can
/// mean anything to nginx's parser or to PCRE.
/// </summary>
internal static class PathPattern
{
    public static bool IsCatchAll(string pattern) => pattern is "/*" or "*";

    /// <summary>Anchored regex for <paramref name="pattern"/>: <c>^...$</c>.</summary>
    public static string ToRegex(string pattern) => "^" + ToRegexBody(pattern) + "$";

    public static string ToRegexBody(string pattern)
    {
        var regex = new StringBuilder(pattern.Length * 2);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*')
            {
                regex.Append(".*");
            }
            else if (c == '%' && i + 2 < pattern.Length && byte.TryParse(pattern.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var escaped))
            {
                AppendByte(regex, escaped);
                i += 2;
            }
            else
            {
                foreach (var b in Encoding.UTF8.GetBytes(c.ToString()))
                {
                    AppendByte(regex, b);
                }
            }
        }
        return regex.ToString();
    }

    /// <summary>A literal (a host name) in the same safe form.</summary>
    public static string Literal(string value)
    {
        var regex = new StringBuilder(value.Length * 2);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            AppendByte(regex, b);
        }
        return regex.ToString();
    }

    private static void AppendByte(StringBuilder regex, byte b)
    {
        var c = (char)b;
        if (char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-')
        {
            regex.Append(c);
        }
        else
        {
            regex.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
        }
    }
}
