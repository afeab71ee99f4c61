using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Poppy.Portal.Providers.Signing;

/// <summary>
/// The SigV4 algorithm itself (canonical request, string to sign, signing key), shared by the signer and the verifier
/// so that both sides canonicalize a request the same way. Follows AWS's published description and test suite, for
/// non-S3 services: the path is normalized and each segment URI-encoded once more (S3 signs the path as sent).
/// </summary>
internal static class AwsSigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string Terminator = "aws4_request";
    public const string DateHeader = "x-amz-date";
    public const string ContentSha256Header = "x-amz-content-sha256";
    public const string SecurityTokenHeader = "x-amz-security-token";
    public const string BasicDateTimeFormat = "yyyyMMdd'T'HHmmss'Z'";
    public const string DateFormat = "yyyyMMdd";

    public static readonly string EmptyBodySha256 = HexSha256([]);

    public static string FormatDateTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(BasicDateTimeFormat, CultureInfo.InvariantCulture);

    public static string FormatDate(DateTimeOffset time) =>
        time.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture);

    public static bool TryParseDateTime(string value, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(value, BasicDateTimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    public static string Scope(string date, string region, string service) => $"{date}/{region}/{service}/{Terminator}";

    public static string HexSha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>
    /// The canonical request: method, canonical URI, canonical query, canonical headers, signed header names and the
    /// payload hash, one per line. <paramref name="headers"/> must hold exactly the headers to sign.
    /// </summary>
    public static (string CanonicalRequest, string SignedHeaders) CanonicalRequest(
        string method, string rawPath, string rawQuery, IEnumerable<KeyValuePair<string, string>> headers, string payloadHash)
    {
        var (canonicalHeaders, signedHeaders) = CanonicalHeaders(headers);
        var request = string.Join('\n',
            method, CanonicalUri(rawPath), CanonicalQuery(rawQuery), canonicalHeaders, signedHeaders, payloadHash);
        return (request, signedHeaders);
    }

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        string.Join('\n', Algorithm, amzDate, scope, HexSha256(Encoding.UTF8.GetBytes(canonicalRequest)));

    /// <summary>kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").</summary>
    public static byte[] SigningKey(string secretAccessKey, string date, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(Terminator));
    }

    public static string Signature(byte[] signingKey, string stringToSign) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    public static string Authorization(string accessKeyId, string scope, string signedHeaders, string signature) =>
        $"{Algorithm} Credential={accessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}";

    /// <summary>
    /// Removes empty, "." and ".." segments (AWS normalizes the path for every service but S3), then URI-encodes each
    /// segment of the already percent-encoded wire path once more, so "%20" signs as "%2520" as the AWS SDKs do.
    /// </summary>
    public static string CanonicalUri(string rawPath)
    {
        var kept = new List<string>();
        foreach (var segment in rawPath.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..")
            {
                if (kept.Count > 0) kept.RemoveAt(kept.Count - 1);
                continue;
            }
            kept.Add(UriEncode(Encoding.UTF8.GetBytes(segment)));
        }
        if (kept.Count == 0) return "/";
        var path = "/" + string.Join('/', kept);
        // A trailing slash names a different resource; keep it unless the path ended in a dot segment.
        return rawPath.EndsWith('/') ? path + "/" : path;
    }

    /// <summary>
    /// Decodes each name and value of the raw query (a "+" stays a plus), re-encodes them the SigV4 way and sorts the
    /// pairs by name, then by value, comparing the encoded bytes.
    /// </summary>
    public static string CanonicalQuery(string rawQuery)
    {
        var pairs = new List<(string Name, string Value)>();
        foreach (var part in rawQuery.Split('&'))
        {
            if (part.Length == 0) continue;
            var eq = part.IndexOf('=');
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            pairs.Add((UriEncode(PercentDecode(name)), UriEncode(PercentDecode(value))));
        }
        pairs.Sort((a, b) =>
        {
            var byName = string.CompareOrdinal(a.Name, b.Name);
            return byName != 0 ? byName : string.CompareOrdinal(a.Value, b.Value);
        });
        return string.Join('&', pairs.Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>
    /// Lower-cased names sorted ordinally; the values of a repeated name joined with "," in the order they came, each
    /// trimmed with inner runs of spaces collapsed to one.
    /// </summary>
    public static (string CanonicalHeaders, string SignedHeaders) CanonicalHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var byName = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            var lower = name.Trim().ToLowerInvariant();
            if (!byName.TryGetValue(lower, out var values)) byName[lower] = values = [];
            values.Add(CollapseSpaces(value));
        }
        var canonical = new StringBuilder();
        foreach (var (name, values) in byName)
            canonical.Append(name).Append(':').AppendJoin(',', values).Append('\n');
        return (canonical.ToString(), string.Join(';', byName.Keys));
    }

    private static string CollapseSpaces(string value)
    {
        var trimmed = value.Trim();
        var result = new StringBuilder(trimmed.Length);
        var previousWasSpace = false;
        foreach (var c in trimmed)
        {
            var isSpace = c is ' ' or '\t';
            if (isSpace && previousWasSpace) continue;
            result.Append(isSpace ? ' ' : c);
            previousWasSpace = isSpace;
        }
        return result.ToString();
    }

    /// <summary>RFC 3986 encoding of raw bytes: unreserved characters stay, everything else becomes %XX (upper case).</summary>
    private static string UriEncode(ReadOnlySpan<byte> bytes)
    {
        var result = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9'
                or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
                result.Append((char)b);
            else
                result.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return result.ToString();
    }

    /// <summary>Percent-decodes to bytes; a "%" not followed by two hex digits is kept as a literal "%".</summary>
    private static byte[] PercentDecode(string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        var result = new List<byte>(utf8.Length);
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'%' && i + 2 < utf8.Length && IsHex(utf8[i + 1]) && IsHex(utf8[i + 2]))
            {
                result.Add((byte)(HexValue(utf8[i + 1]) * 16 + HexValue(utf8[i + 2])));
                i += 2;
            }
            else
            {
                result.Add(utf8[i]);
            }
        }
        return [.. result];
    }

    private static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
