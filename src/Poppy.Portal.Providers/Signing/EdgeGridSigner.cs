namespace Poppy.Portal.Providers.Signing;

/// <summary>
/// Signs outgoing requests to Akamai's {OPEN} APIs with EdgeGrid (EG1-HMAC-SHA256): sets the <c>Authorization</c>
/// header <c>EG1-HMAC-SHA256 client_token=…;access_token=…;timestamp=…;nonce=…;signature=…</c>. Immutable: one
/// instance may sign concurrent requests.
/// </summary>
public sealed class EdgeGridSigner
{
    private readonly EdgeGridCredentials credentials;
    private readonly EdgeGridOptions options;

    /// <summary>A signer for one API client.</summary>
    /// <param name="credentials">The client's tokens and secret.</param>
    /// <param name="options">The API's signed headers and body limit; <see cref="EdgeGridOptions.Default"/> when null.</param>
    public EdgeGridSigner(EdgeGridCredentials credentials, EdgeGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        this.credentials = credentials;
        this.options = options ?? EdgeGridOptions.Default;
    }

    /// <summary>
    /// Signs <paramref name="request"/> in place, replacing any earlier signature (a retried request is signed again).
    /// </summary>
    /// <param name="request">A request with an absolute URI; a POST body is read (and buffered) to hash it.</param>
    /// <param name="timestamp">The signing time, from the caller's <see cref="TimeProvider"/>; Akamai allows about 30 s of skew.</param>
    /// <param name="nonce">A value never used before with these credentials, normally a new GUID.</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    /// <returns>The <c>Authorization</c> header value that was set.</returns>
    public async Task<string> SignAsync(HttpRequestMessage request, DateTimeOffset timestamp, string nonce, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(nonce);
        var uri = OutgoingRequest.RequireAbsoluteUri(request);
        var method = request.Method.Method;
        // Only a POST body is hashed, so only then is it worth reading here.
        var body = method == "POST" ? await OutgoingRequest.ReadBodyAsync(request, cancellationToken).ConfigureAwait(false) : [];

        request.Headers.Remove("Authorization");
        var host = OutgoingRequest.PinHost(request);
        var signed = OutgoingRequest.SignableHeaders(request,
            name => options.HeadersToSign.Contains(name, StringComparer.OrdinalIgnoreCase));
        var canonicalHeaders = EdgeGrid.CanonicalHeaders(options.HeadersToSign, name =>
            signed.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value);

        var ts = EdgeGrid.FormatTimestamp(timestamp);
        var unsigned = EdgeGrid.UnsignedAuthorization(credentials.ClientToken, credentials.AccessToken, ts, nonce);
        var data = EdgeGrid.DataToSign(method, uri.Scheme, host, uri.PathAndQuery, canonicalHeaders,
            EdgeGrid.ContentHash(method, body, options.MaxBody), unsigned);
        var authorization = unsigned + "signature=" + EdgeGrid.Signature(EdgeGrid.SigningKey(credentials.ClientSecret, ts), data);
        OutgoingRequest.SetAuthorization(request, authorization);
        return authorization;
    }
}
