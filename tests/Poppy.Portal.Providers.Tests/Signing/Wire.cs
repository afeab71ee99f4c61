using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Tests.Signing;

/// <summary>
/// What a server receives for a signed <see cref="HttpRequestMessage"/>, for in-process signer→verifier round trips
/// (<see cref="WireRoundTripTests"/> checks the same over a real socket against Kestrel).
/// </summary>
internal static class Wire
{
    public static async Task<SignedRequest> AsReceivedAsync(HttpRequestMessage request)
    {
        var uri = request.RequestUri!;
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers)
            headers.Add(new(name, string.Join(", ", values)));
        if (request.Content is not null)
            foreach (var (name, values) in request.Content.Headers)
                headers.Add(new(name, string.Join(", ", values)));
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync();
        return new SignedRequest(request.Method.Method, uri.Scheme, request.Headers.Host ?? uri.Authority, uri.PathAndQuery, headers, body);
    }

    /// <summary>A copy of <paramref name="request"/> with its headers changed by <paramref name="change"/>.</summary>
    public static SignedRequest WithHeaders(this SignedRequest request, Func<List<KeyValuePair<string, string>>, IEnumerable<KeyValuePair<string, string>>> change) =>
        request with { Headers = change([.. request.Headers]).ToList() };

    /// <summary>A copy of <paramref name="request"/> with the header <paramref name="name"/> set to <paramref name="value"/>.</summary>
    public static SignedRequest WithHeader(this SignedRequest request, string name, string value) =>
        request.WithHeaders(headers => headers
            .Where(h => !string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
            .Append(new(name, value)));
}
