namespace Poppy.Portal.Providers.Signing;

/// <summary>
/// What an <see cref="HttpRequestMessage"/> will look like on the wire, for the signers: the signature must cover
/// exactly the bytes the server receives, so the Host header is pinned and a header the signature covers is sent as
/// one line with the value that was signed.
/// </summary>
internal static class OutgoingRequest
{
    public static Uri RequireAbsoluteUri(HttpRequestMessage request) =>
        request.RequestUri is { IsAbsoluteUri: true } uri
            ? uri
            : throw new InvalidOperationException("Sign a request whose RequestUri is absolute (the host is part of the signature).");

    /// <summary>The Host header as it will be sent; set explicitly so that what is signed is what is sent.</summary>
    public static string PinHost(HttpRequestMessage request)
    {
        var uri = RequireAbsoluteUri(request);
        if (!string.IsNullOrEmpty(request.Headers.Host)) return request.Headers.Host;
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost;
        var value = uri.IsDefaultPort ? host : $"{host}:{uri.Port}";
        request.Headers.Host = value;
        return value;
    }

    /// <summary>
    /// Every header of the request and its content whose name <paramref name="include"/> accepts, as (name, value)
    /// lines. A header with several values is rewritten as ONE line joined with "," (HttpClient would otherwise join
    /// them with ", ", and the server would canonicalize a value the client never signed).
    /// </summary>
    public static List<KeyValuePair<string, string>> SignableHeaders(HttpRequestMessage request, Func<string, bool> include)
    {
        var result = new List<KeyValuePair<string, string>>();
        Collect(request.Headers);
        if (request.Content is not null) Collect(request.Content.Headers);
        return result;

        void Collect(System.Net.Http.Headers.HttpHeaders headers)
        {
            foreach (var (name, values) in headers.ToList())
            {
                if (!include(name)) continue;
                var all = values.ToList();
                if (all.Count > 1)
                {
                    var joined = string.Join(',', all);
                    headers.Remove(name);
                    headers.TryAddWithoutValidation(name, joined);
                    all = [joined];
                }
                foreach (var value in all) result.Add(new(name, value));
            }
        }
    }

    /// <summary>The body bytes; reading buffers the content, so it is still sent in full afterwards.</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);

    public static void SetAuthorization(HttpRequestMessage request, string value)
    {
        request.Headers.Remove("Authorization");
        // Without validation: both schemes' parameters hold characters the typed AuthenticationHeaderValue rejects.
        request.Headers.TryAddWithoutValidation("Authorization", value);
    }

    public static void Set(HttpRequestMessage request, string name, string value)
    {
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
    }
}
