namespace Poppy.Portal.Providers.Signing;

/// <summary>
/// Signs every request that passes through with SigV4, at the time its <see cref="TimeProvider"/> gives. Put it
/// INSIDE a retry handler, so that each attempt carries a fresh date and signature.
/// </summary>
public sealed class AwsSigV4SigningHandler(AwsSigV4Signer signer, TimeProvider timeProvider) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await signer.SignAsync(request, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// Signs every request that passes through with EdgeGrid, at the time its <see cref="TimeProvider"/> gives and with a
/// new GUID as nonce. Put it INSIDE a retry handler, so that each attempt carries a fresh timestamp and nonce.
/// </summary>
public sealed class EdgeGridSigningHandler(EdgeGridSigner signer, TimeProvider timeProvider) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await signer.SignAsync(request, timeProvider.GetUtcNow(), Guid.NewGuid().ToString(), cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
