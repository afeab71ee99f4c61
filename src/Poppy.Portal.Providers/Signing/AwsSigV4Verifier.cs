using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Poppy.Portal.Providers.Signing;

/// <summary>
/// Checks SigV4 <c>Authorization</c> headers the way an AWS REST endpoint does, for the simulators: recomputes the
/// signature from the request as received and compares it in constant time. On failure it says which error AWS would
/// answer with (<see cref="AwsSigV4Verification.ErrorCode"/>, <see cref="AwsSigV4Verification.HttpStatus"/>,
/// <see cref="AwsSigV4Verification.Message"/>) so the simulator can reply in the service's own error format.
/// </summary>
public sealed class AwsSigV4Verifier
{
    private readonly string region;
    private readonly string service;
    private readonly Func<string, AwsCredentials?> findCredentials;

    /// <summary>A verifier for one endpoint's credential scope.</summary>
    /// <param name="region">The region requests must be scoped to, e.g. <c>us-east-1</c>.</param>
    /// <param name="service">The service signing name requests must be scoped to, e.g. <c>cloudfront</c>.</param>
    /// <param name="findCredentials">
    /// The credentials of an access key id, or null when the key is unknown. When they carry a session token, the
    /// request must send the same one as a signed <c>X-Amz-Security-Token</c>.
    /// </param>
    public AwsSigV4Verifier(string region, string service, Func<string, AwsCredentials?> findCredentials)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentNullException.ThrowIfNull(findCredentials);
        this.region = region;
        this.service = service;
        this.findCredentials = findCredentials;
    }

    /// <summary>How far the request's time may be from the verifier's clock, either way. AWS allows 5 minutes.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Verifies <paramref name="request"/> at the moment <paramref name="now"/> (from the caller's <see cref="TimeProvider"/>).</summary>
    public AwsSigV4Verification Verify(SignedRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Header("Authorization");
        if (string.IsNullOrWhiteSpace(authorization))
            return Fail(AwsSigV4FailureReason.MissingAuthenticationToken, "Missing Authentication Token");

        if (ParseAuthorization(authorization) is not { } auth)
            return Fail(AwsSigV4FailureReason.IncompleteSignature,
                $"Authorization header requires '{AwsSigV4.Algorithm}' with 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization={Redact(authorization)}");
        var credential = auth.Credential.Split('/');
        if (credential.Length != 5 || credential.Any(string.IsNullOrEmpty))
            return Fail(AwsSigV4FailureReason.IncompleteSignature,
                "Credential should have exactly 5 slash-separated components: <access key id>/<date>/<region>/<service>/aws4_request.");
        var (accessKeyId, scopeDate, scopeRegion, scopeService, terminator) =
            (credential[0], credential[1], credential[2], credential[3], credential[4]);

        var signedHeaderNames = auth.SignedHeaders.Split(';');
        var dateHeader = request.Header(AwsSigV4.DateHeader) is not null ? AwsSigV4.DateHeader
            : request.Header("Date") is not null ? "date" : null;
        if (dateHeader is null)
            return Fail(AwsSigV4FailureReason.IncompleteSignature,
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
        if (!TryReadRequestTime(request, dateHeader, out var requestTime, out var amzDate))
            return Fail(AwsSigV4FailureReason.IncompleteSignature, $"Date must be in ISO-8601 'basic format'. Got '{request.Header(dateHeader)}'.");

        var known = findCredentials(accessKeyId);
        if (known is null || !string.Equals(known.AccessKeyId, accessKeyId, StringComparison.Ordinal))
            return Fail(AwsSigV4FailureReason.InvalidClientTokenId, "The security token included in the request is invalid.", accessKeyId);

        if (!string.Equals(scopeRegion, region, StringComparison.Ordinal))
            return Fail(AwsSigV4FailureReason.SignatureDoesNotMatch, $"Credential should be scoped to a valid region, not '{scopeRegion}'.", accessKeyId);
        if (!string.Equals(scopeService, service, StringComparison.Ordinal))
            return Fail(AwsSigV4FailureReason.SignatureDoesNotMatch, $"Credential should be scoped to correct service: '{service}'.", accessKeyId);
        if (terminator != AwsSigV4.Terminator)
            return Fail(AwsSigV4FailureReason.SignatureDoesNotMatch, $"Credential should be scoped with a valid terminator: '{AwsSigV4.Terminator}', not '{terminator}'.", accessKeyId);
        if (scopeDate != amzDate[..8])
            return Fail(AwsSigV4FailureReason.SignatureDoesNotMatch,
                $"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scopeDate}' != '{amzDate[..8]}', from '{amzDate}'.", accessKeyId);

        // Before the signature, as AWS does: a client with a wrong clock learns that, not "signature mismatch".
        var tooOld = now - MaxClockSkew;
        var tooNew = now + MaxClockSkew;
        var minutes = MaxClockSkew.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture);
        if (requestTime < tooOld)
            return Fail(AwsSigV4FailureReason.RequestTimeTooSkewed,
                $"Signature expired: {amzDate} is now earlier than {AwsSigV4.FormatDateTime(tooOld)} ({AwsSigV4.FormatDateTime(now)} - {minutes} min.)", accessKeyId);
        if (requestTime > tooNew)
            return Fail(AwsSigV4FailureReason.RequestTimeTooSkewed,
                $"Signature not yet current: {amzDate} is still later than {AwsSigV4.FormatDateTime(tooNew)} ({AwsSigV4.FormatDateTime(now)} + {minutes} min.)", accessKeyId);

        if (!signedHeaderNames.Contains("host"))
            return Fail(AwsSigV4FailureReason.SignatureDoesNotMatch, "'Host' must be a 'SignedHeader' in the AWS Authorization.", accessKeyId);
        if (!signedHeaderNames.Contains(dateHeader))
            return Fail(AwsSigV4FailureReason.SignatureDoesNotMatch, $"'{dateHeader}' must be a 'SignedHeader' in the AWS Authorization.", accessKeyId);

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var name in signedHeaderNames)
        {
            List<string> values = name == "host" && request.Header("Host") is null ? [request.Host] : request.HeaderValues(name).ToList();
            if (values.Count == 0)
                return Fail(AwsSigV4FailureReason.SignatureDoesNotMatch, $"Signed header '{name}' is missing from the request.", accessKeyId);
            headers.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v)));
        }

        if (known.SessionToken is { Length: > 0 } expectedToken)
        {
            var sentToken = request.Header(AwsSigV4.SecurityTokenHeader);
            if (sentToken is null || !signedHeaderNames.Contains(AwsSigV4.SecurityTokenHeader) || !FixedTimeEquals(sentToken, expectedToken))
                return Fail(AwsSigV4FailureReason.InvalidClientTokenId, "The security token included in the request is invalid.", accessKeyId);
        }

        var payloadHash = AwsSigV4.HexSha256(request.Body);
        if (request.Header(AwsSigV4.ContentSha256Header) is { } claimedHash && !string.Equals(claimedHash.Trim(), payloadHash, StringComparison.Ordinal))
            return Fail(AwsSigV4FailureReason.SignatureDoesNotMatch, "The provided 'x-amz-content-sha256' header does not match what was computed.", accessKeyId);

        var (canonicalRequest, canonicalSignedHeaders) =
            AwsSigV4.CanonicalRequest(request.Method, request.RawPath, request.RawQuery, headers, payloadHash);
        var stringToSign = AwsSigV4.StringToSign(amzDate, AwsSigV4.Scope(scopeDate, region, service), canonicalRequest);
        var expected = AwsSigV4.Signature(AwsSigV4.SigningKey(known.SecretAccessKey, scopeDate, region, service), stringToSign);
        if (canonicalSignedHeaders != auth.SignedHeaders || !FixedTimeEquals(expected, auth.Signature))
            return Fail(AwsSigV4FailureReason.SignatureDoesNotMatch,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
                accessKeyId);

        return AwsSigV4Verification.Success(accessKeyId);
    }

    private static AwsSigV4Verification Fail(AwsSigV4FailureReason reason, string message, string? accessKeyId = null) =>
        new(reason, message, accessKeyId);

    private static bool TryReadRequestTime(SignedRequest request, string dateHeader, out DateTimeOffset time, out string amzDate)
    {
        var value = request.Header(dateHeader)!.Trim();
        if (dateHeader == AwsSigV4.DateHeader ? AwsSigV4.TryParseDateTime(value, out time)
            : DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out time))
        {
            amzDate = AwsSigV4.FormatDateTime(time);
            return true;
        }
        amzDate = "";
        return false;
    }

    private sealed record ParsedAuthorization(string Credential, string SignedHeaders, string Signature);

    private static ParsedAuthorization? ParseAuthorization(string header)
    {
        var prefix = AwsSigV4.Algorithm + " ";
        if (!header.StartsWith(prefix, StringComparison.Ordinal)) return null;
        string? credential = null, signedHeaders = null, signature = null;
        foreach (var part in header[prefix.Length..].Split(','))
        {
            var eq = part.IndexOf('=');
            if (eq < 0) return null;
            var value = part[(eq + 1)..].Trim();
            switch (part[..eq].Trim())
            {
                case "Credential": credential = value; break;
                case "SignedHeaders": signedHeaders = value; break;
                case "Signature": signature = value; break;
            }
        }
        return credential is { Length: > 0 } && signedHeaders is { Length: > 0 } && signature is { Length: > 0 }
            ? new ParsedAuthorization(credential, signedHeaders, signature)
            : null;
    }

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    // The message is echoed back to the client; keep the signature itself out of it.
    private static string Redact(string authorization)
    {
        var at = authorization.IndexOf("Signature=", StringComparison.Ordinal);
        return at < 0 ? authorization : authorization[..at] + "Signature=…";
    }
}

/// <summary>Why <see cref="AwsSigV4Verifier"/> refused a request.</summary>
public enum AwsSigV4FailureReason
{
    /// <summary>The request was accepted.</summary>
    None,
    /// <summary>No <c>Authorization</c> header at all (AWS: <c>MissingAuthenticationToken</c>, 403).</summary>
    MissingAuthenticationToken,
    /// <summary>The header, its credential or the request date is malformed or missing (AWS: <c>IncompleteSignature</c>, 400).</summary>
    IncompleteSignature,
    /// <summary>Unknown access key id, or a wrong session token (AWS: <c>InvalidClientTokenId</c>, 403).</summary>
    InvalidClientTokenId,
    /// <summary>Wrong secret, wrong scope, or the request changed after signing (AWS: <c>SignatureDoesNotMatch</c>, 403).</summary>
    SignatureDoesNotMatch,
    /// <summary>
    /// The request time is further than <see cref="AwsSigV4Verifier.MaxClockSkew"/> from now. AWS answers this with
    /// <c>SignatureDoesNotMatch</c> (403) and a "Signature expired" message, which its SDKs use to correct clock skew.
    /// </summary>
    RequestTimeTooSkewed,
}

/// <summary>The outcome of <see cref="AwsSigV4Verifier.Verify"/>.</summary>
/// <param name="Reason"><see cref="AwsSigV4FailureReason.None"/> when the request was accepted.</param>
/// <param name="Message">AWS's message for the failure, safe to send back (no secret, no signature); empty on success.</param>
/// <param name="AccessKeyId">The access key id the request named, when it could be read.</param>
public sealed record AwsSigV4Verification(AwsSigV4FailureReason Reason, string Message, string? AccessKeyId)
{
    internal static AwsSigV4Verification Success(string accessKeyId) => new(AwsSigV4FailureReason.None, "", accessKeyId);

    /// <summary>True when the signature is valid and fresh.</summary>
    public bool Succeeded => Reason == AwsSigV4FailureReason.None;

    /// <summary>The error code AWS puts in <c>&lt;Code&gt;</c>; empty on success.</summary>
    public string ErrorCode => Reason switch
    {
        AwsSigV4FailureReason.None => "",
        AwsSigV4FailureReason.RequestTimeTooSkewed => "SignatureDoesNotMatch",
        _ => Reason.ToString(),
    };

    /// <summary>The HTTP status AWS answers with; 200 on success.</summary>
    public int HttpStatus => Reason switch
    {
        AwsSigV4FailureReason.None => 200,
        AwsSigV4FailureReason.IncompleteSignature => 400,
        _ => 403,
    };
}
