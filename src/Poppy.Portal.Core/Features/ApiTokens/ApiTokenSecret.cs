using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Poppy.Portal.Core.Features.ApiTokens;

/// <summary>
/// The token format: <c>ppy_</c> + base64url of 32 random bytes (256 bits). The marker makes a leaked token easy to
/// recognise (secret scanners, logs); the prefix after it identifies the token in lists without revealing it.
/// </summary>
public static class ApiTokenSecret
{
    public const string Marker = "ppy_";
    public const int PrefixLength = 8;
    private const int RandomBytes = 32;

    private static readonly int TokenLength = Marker.Length + Base64Url.GetEncodedLength(RandomBytes);
    private static readonly SearchValues<char> Base64UrlAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public static string NewToken() => Marker + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RandomBytes));

    public static string PrefixOf(string token) => token.Substring(Marker.Length, PrefixLength);

    /// <summary>How a token is shown after its creation: marker, prefix and an ellipsis.</summary>
    public static string Display(string prefix) => Marker + prefix + "…";

    /// <summary>
    /// SHA-256 of the whole token. A fast, unsalted hash is right here, unlike for passwords: the token is 256 bits of
    /// randomness, so there is nothing to guess or precompute, and the lookup runs on every API request.
    /// </summary>
    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    /// <summary>Rejects anything that cannot be a token before it costs a database query.</summary>
    public static bool IsWellFormed(string token) =>
        token.Length == TokenLength
        && token.StartsWith(Marker, StringComparison.Ordinal)
        && !token.AsSpan(Marker.Length).ContainsAnyExcept(Base64UrlAlphabet);
}
