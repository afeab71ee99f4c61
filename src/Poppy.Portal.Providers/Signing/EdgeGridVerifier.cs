using System.Security.Cryptography;
using System.Text;

namespace Poppy.Portal.Providers.Signing;

/// <summary>
/// Checks EdgeGrid <c>Authorization</c> headers the way Akamai's API gateway does, for the simulators: recomputes the
/// signature over the request as received (with the exact header text the client sent) and compares it in constant
/// time. A failure carries Akamai's status, title and detail so the simulator can answer with the same problem JSON.
/// </summary>
public sealed class EdgeGridVerifier
{
    private readonly Func<string, EdgeGridCredentials?> findCredentials;
    private readonly EdgeGridOptions options;

    /// <summary>A verifier for one API's settings.</summary>
    /// <param name="findCredentials">The credentials of a client token, or null when the client is unknown.</param>
    /// <param name="options">The API's signed headers and body limit; <see cref="EdgeGridOptions.Default"/> when null.</param>
    public EdgeGridVerifier(Func<string, EdgeGridCredentials?> findCredentials, EdgeGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(findCredentials);
        this.findCredentials = findCredentials;
        this.options = options ?? EdgeGridOptions.Default;
    }

    /// <summary>How far the request's timestamp may be from the verifier's clock, either way. Akamai allows about 30 seconds.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Verifies <paramref name="request"/> at the moment <paramref name="now"/> (from the caller's <see cref="TimeProvider"/>).</summary>
    public EdgeGridVerification Verify(SignedRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Header("Authorization");
        if (string.IsNullOrWhiteSpace(header))
            return new(EdgeGridFailureReason.MissingAuthorization, null);

        // The signature covers the header text up to "signature=" exactly as sent, so keep that text as it came.
        var at = header.LastIndexOf(";signature=", StringComparison.Ordinal);
        if (!header.StartsWith(EdgeGrid.Scheme + " ", StringComparison.Ordinal) || at < 0)
            return new(EdgeGridFailureReason.MalformedAuthorization, null);
        var unsigned = header[..(at + 1)];
        var signature = header[(at + ";signature=".Length)..];
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in unsigned[(EdgeGrid.Scheme.Length + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = field.IndexOf('=');
            if (eq <= 0) return new(EdgeGridFailureReason.MalformedAuthorization, null);
            fields[field[..eq]] = field[(eq + 1)..];
        }
        if (!fields.TryGetValue("client_token", out var clientToken) || !fields.TryGetValue("access_token", out var accessToken)
            || !fields.TryGetValue("timestamp", out var timestamp) || !fields.TryGetValue("nonce", out var nonce)
            || nonce.Length == 0 || signature.Length == 0)
            return new(EdgeGridFailureReason.MalformedAuthorization, null);

        var known = findCredentials(clientToken);
        if (known is null || !string.Equals(known.ClientToken, clientToken, StringComparison.Ordinal))
            return new(EdgeGridFailureReason.InvalidClientToken, clientToken);
        if (!FixedTimeEquals(known.AccessToken, accessToken))
            return new(EdgeGridFailureReason.InvalidAccessToken, clientToken);
        if (!EdgeGrid.TryParseTimestamp(timestamp, out var requestTime) || (requestTime - now).Duration() > MaxClockSkew)
            return new(EdgeGridFailureReason.InvalidTimestamp, clientToken);

        var canonicalHeaders = EdgeGrid.CanonicalHeaders(options.HeadersToSign, name =>
            request.HeaderValues(name).ToList() is { Count: > 0 } values ? string.Join(',', values) : null);
        var data = EdgeGrid.DataToSign(request.Method, request.Scheme, request.Host, request.PathAndQuery, canonicalHeaders,
            EdgeGrid.ContentHash(request.Method, request.Body, options.MaxBody), unsigned);
        var expected = EdgeGrid.Signature(EdgeGrid.SigningKey(known.ClientSecret, timestamp), data);
        return FixedTimeEquals(expected, signature)
            ? new(EdgeGridFailureReason.None, clientToken)
            : new(EdgeGridFailureReason.SignatureDoesNotMatch, clientToken);
    }

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}

/// <summary>Why <see cref="EdgeGridVerifier"/> refused a request.</summary>
public enum EdgeGridFailureReason
{
    /// <summary>The request was accepted.</summary>
    None,
    /// <summary>No <c>Authorization</c> header (400).</summary>
    MissingAuthorization,
    /// <summary>Not an <c>EG1-HMAC-SHA256</c> header with all of its fields (400).</summary>
    MalformedAuthorization,
    /// <summary>Unknown client token (401).</summary>
    InvalidClientToken,
    /// <summary>The access token does not belong to the client (401).</summary>
    InvalidAccessToken,
    /// <summary>Unreadable timestamp, or further than <see cref="EdgeGridVerifier.MaxClockSkew"/> from now (400).</summary>
    InvalidTimestamp,
    /// <summary>Wrong secret, or the request changed after signing (401).</summary>
    SignatureDoesNotMatch,
}

/// <summary>The outcome of <see cref="EdgeGridVerifier.Verify"/>, with the fields of Akamai's problem JSON.</summary>
/// <param name="Reason"><see cref="EdgeGridFailureReason.None"/> when the request was accepted.</param>
/// <param name="ClientToken">The client token the request named, when it could be read.</param>
public sealed record EdgeGridVerification(EdgeGridFailureReason Reason, string? ClientToken)
{
    /// <summary>True when the signature is valid and fresh.</summary>
    public bool Succeeded => Reason == EdgeGridFailureReason.None;

    /// <summary>The HTTP status Akamai answers with: 400 for a bad request, 401 when not authorized, 200 on success.</summary>
    public int HttpStatus => Reason switch
    {
        EdgeGridFailureReason.None => 200,
        EdgeGridFailureReason.MissingAuthorization or EdgeGridFailureReason.MalformedAuthorization
            or EdgeGridFailureReason.InvalidTimestamp => 400,
        _ => 401,
    };

    /// <summary>The problem <c>title</c>: "Bad request" or "Not authorized"; empty on success.</summary>
    public string Title => HttpStatus switch { 200 => "", 400 => "Bad request", _ => "Not authorized" };

    /// <summary>The last part of the problem <c>type</c> URL (after the API host), e.g. <c>/-/pep-authn/deny</c>.</summary>
    public string ProblemTypePath => HttpStatus switch { 200 => "", 400 => "/-/pep-authn/request-error", _ => "/-/pep-authn/deny" };

    /// <summary>The problem <c>detail</c>, as Akamai words it; empty on success.</summary>
    public string Detail => Reason switch
    {
        EdgeGridFailureReason.None => "",
        EdgeGridFailureReason.MissingAuthorization => "Missing authorization header",
        EdgeGridFailureReason.MalformedAuthorization => "Invalid authorization header",
        EdgeGridFailureReason.InvalidClientToken => "Invalid authorization client_token",
        EdgeGridFailureReason.InvalidAccessToken => "Invalid authorization access_token",
        EdgeGridFailureReason.InvalidTimestamp => "Invalid timestamp",
        _ => "The signature does not match",
    };
}
