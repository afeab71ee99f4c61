using System.Text;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// What a purge request asks to purge, checked the same way for the API, the service page and the catalog: one
/// normalized absolute path (with an optional query), or everything (Poppy's <c>/*</c>, <c>all=true</c>, or no url).
/// </summary>
/// <remarks>
/// Drivers put the path after a domain of the service (Fastly: <c>purge/{domain}{url}</c>), so a path that a URL
/// parser can shorten reaches another tenant: <c>/../www.victim.example.com/page.html</c> purged a foreign object at
/// Fastly. Hence no <c>.</c> or <c>..</c> segment (also percent-encoded, also twice), no empty segment (<c>//</c>), no
/// backslash (parsers read it as <c>/</c>), no encoded slash, no scheme, no fragment, nothing outside printable ASCII.
/// </remarks>
public static class PurgeTarget
{
    public const int MaxLength = 1024;

    /// <summary>
    /// The path to purge (null: everything) or why the request is invalid. <paramref name="url"/> null means none was
    /// given; an empty one is refused, as Poppy refuses <c>url=</c>.
    /// </summary>
    public static (string? Path, string? Error) Resolve(string? url, bool all)
    {
        if (all && url is not null)
        {
            return (null, "Give either url or all=true, not both.");
        }
        if (url is not null && Check(url) is { } error)
        {
            return (null, error);
        }
        // Poppy purges /* when neither is given; everything is what "/*" means, so both become a purge-all.
        return (all || url is null or "/*" ? null : url, null);
    }

    /// <summary>Null when <paramref name="url"/> is a path that may be purged; otherwise what is wrong with it.</summary>
    public static string? Check(string url)
    {
        if (url.Length is 0 or > MaxLength || url.Any(c => c is <= ' ' or >= '\x7f'))
        {
            // Control characters are outside printable ASCII too.
            return $"url must be an ASCII path of 1 to {MaxLength} characters without spaces.";
        }
        if (!url.StartsWith('/'))
        {
            return "url must be an absolute path starting with '/', such as /images/logo.png (no scheme, host or relative path).";
        }
        if (url.Contains('\\'))
        {
            return "url may not contain a backslash.";
        }
        if (url.Contains('#'))
        {
            return "url may not contain a fragment ('#').";
        }
        var query = url.IndexOf('?');
        var path = query < 0 ? url : url[..query];
        if (path.Contains("//", StringComparison.Ordinal))
        {
            return "url may not contain '//' (an empty path segment).";
        }
        foreach (var segment in path[1..].Split('/'))
        {
            var decoded = FullyDecoded(segment);
            if (decoded.Any(c => c is '/' or '\\' || char.IsControl(c)))
            {
                return "url may not contain an encoded '/', '\\' or control character.";
            }
            // A ';' starts path parameters that some servers strip ("..;/" is ".." to them).
            if (decoded.Split(';')[0] is "." or "..")
            {
                return "url must be a normalized path: no '.' or '..' segments, also not percent-encoded.";
            }
        }
        if (query >= 0 && FullyDecoded(url[(query + 1)..]).Any(char.IsControl))
        {
            return "url may not contain an encoded control character.";
        }
        return null;
    }

    /// <summary>Percent-decodes until nothing changes (at most a few rounds), so <c>%252e</c> is seen as <c>.</c>.</summary>
    private static string FullyDecoded(string text)
    {
        for (var round = 0; round < 4 && text.Contains('%'); round++)
        {
            var decoded = Uri.UnescapeDataString(text);
            if (decoded == text)
            {
                break;
            }
            text = decoded;
        }
        return text;
    }

    /// <summary>
    /// <paramref name="url"/> (already checked) as it goes on the wire after a host: every character outside RFC 3986's
    /// path and query characters is percent-encoded, and existing <c>%XX</c> escapes are kept as they are.
    /// </summary>
    public static string Escape(string url)
    {
        var builder = new StringBuilder(url.Length + 16);
        for (var i = 0; i < url.Length; i++)
        {
            var c = url[i];
            if (c == '%' && i + 2 < url.Length && Uri.IsHexDigit(url[i + 1]) && Uri.IsHexDigit(url[i + 2]))
            {
                builder.Append(c);
            }
            else if (char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=:@/?".Contains(c))
            {
                builder.Append(c);
            }
            else
            {
                foreach (var b in Encoding.UTF8.GetBytes(c.ToString()))
                {
                    builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }
        return builder.ToString();
    }
}
