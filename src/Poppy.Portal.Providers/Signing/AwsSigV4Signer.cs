namespace Poppy.Portal.Providers.Signing;

/// <summary>
/// Signs outgoing requests with AWS Signature Version 4 (the <c>Authorization</c> header form), for CloudFront and
/// Route 53 style REST APIs: adds <c>Host</c>, <c>X-Amz-Date</c>, <c>X-Amz-Security-Token</c> for temporary
/// credentials, optionally <c>X-Amz-Content-Sha256</c>, and <c>Authorization</c>. Not for S3, which signs the path
/// without normalizing it. Immutable: one instance may sign concurrent requests.
/// </summary>
/// <remarks>
/// Written on the BCL rather than on AWSSDK.Core's AWS4Signer (which does restore here): that signer takes the SDK's
/// internal IRequest and IClientConfig, reads the clock from a process-wide skew corrector instead of a time the
/// caller passes in, and cannot serve the simulators' verifier. The algorithm is small, and the tests pin it to AWS's
/// published test suite, so one implementation serves both the drivers and the simulators.
/// </remarks>
public sealed class AwsSigV4Signer
{
    // Not signed: headers a proxy or the HTTP stack may add, drop or rewrite on the way (AWS's SDKs skip the same).
    private static readonly HashSet<string> UnsignedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "User-Agent", "X-Amzn-Trace-Id", "Content-Length", "Transfer-Encoding", "Connection",
        "Keep-Alive", "Expect", "TE", "Upgrade", "Proxy-Authorization", "Proxy-Connection",
    };

    private readonly AwsCredentials credentials;
    private readonly string region;
    private readonly string service;

    /// <summary>A signer for one key pair and one credential scope.</summary>
    /// <param name="credentials">The key pair (and session token) to sign with.</param>
    /// <param name="region">The signing region, e.g. <c>us-east-1</c> (CloudFront always signs there).</param>
    /// <param name="service">The signing name of the service, e.g. <c>cloudfront</c>.</param>
    public AwsSigV4Signer(AwsCredentials credentials, string region, string service)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        this.credentials = credentials;
        this.region = region;
        this.service = service;
    }

    /// <summary>
    /// Also send (and sign) <c>X-Amz-Content-Sha256</c> with the body's hash. S3 requires it; CloudFront does not, but
    /// accepts it. Off by default, as in AWS's test suite.
    /// </summary>
    public bool SendContentSha256 { get; init; }

    /// <summary>
    /// Signs <paramref name="request"/> in place for the moment <paramref name="signingTime"/> (take it from the
    /// caller's <see cref="TimeProvider"/>). Replaces any earlier signature, so a retried request can be signed again.
    /// The body is read (and buffered) to hash it.
    /// </summary>
    /// <returns>
    /// The intermediate strings and the header, for tests and diagnostics. They never hold the secret key, but with
    /// temporary credentials the canonical request holds the session token: do not log it then.
    /// </returns>
    public async Task<AwsSigV4Signature> SignAsync(HttpRequestMessage request, DateTimeOffset signingTime, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = OutgoingRequest.RequireAbsoluteUri(request);
        var body = await OutgoingRequest.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false);

        var amzDate = AwsSigV4.FormatDateTime(signingTime);
        var payloadHash = AwsSigV4.HexSha256(body);
        request.Headers.Remove("Authorization");
        OutgoingRequest.PinHost(request);
        OutgoingRequest.Set(request, "X-Amz-Date", amzDate);
        if (credentials.SessionToken is { Length: > 0 } token) OutgoingRequest.Set(request, "X-Amz-Security-Token", token);
        if (SendContentSha256) OutgoingRequest.Set(request, "X-Amz-Content-Sha256", payloadHash);

        var headers = OutgoingRequest.SignableHeaders(request, name => !UnsignedHeaders.Contains(name));
        var (canonicalRequest, signedHeaders) = AwsSigV4.CanonicalRequest(
            request.Method.Method, uri.AbsolutePath, uri.Query.TrimStart('?'), headers, payloadHash);
        var scope = AwsSigV4.Scope(AwsSigV4.FormatDate(signingTime), region, service);
        var stringToSign = AwsSigV4.StringToSign(amzDate, scope, canonicalRequest);
        var signature = AwsSigV4.Signature(
            AwsSigV4.SigningKey(credentials.SecretAccessKey, AwsSigV4.FormatDate(signingTime), region, service), stringToSign);
        var authorization = AwsSigV4.Authorization(credentials.AccessKeyId, scope, signedHeaders, signature);
        OutgoingRequest.SetAuthorization(request, authorization);
        return new AwsSigV4Signature(canonicalRequest, stringToSign, signature, authorization);
    }
}

/// <summary>What <see cref="AwsSigV4Signer.SignAsync"/> computed.</summary>
/// <param name="CanonicalRequest">The canonical request (AWS's ".creq").</param>
/// <param name="StringToSign">The string to sign (AWS's ".sts").</param>
/// <param name="Signature">The hex signature.</param>
/// <param name="Authorization">The <c>Authorization</c> header value that was set (AWS's ".authz").</param>
public sealed record AwsSigV4Signature(string CanonicalRequest, string StringToSign, string Signature, string Authorization);
