namespace Poppy.Portal.Providers.Signing;

/// <summary>
/// An HTTP request as it arrived on the wire, in the neutral shape the verifiers read. The simulators build it from
/// ASP.NET Core with <see cref="SignedRequestHttpExtensions.ReadSignedRequestAsync(Microsoft.AspNetCore.Http.HttpRequest, CancellationToken)"/>; tests build it directly.
/// </summary>
/// <param name="Method">The request method as sent, e.g. <c>GET</c>.</param>
/// <param name="Scheme"><c>http</c> or <c>https</c>.</param>
/// <param name="Host">The Host header: host name, plus <c>:port</c> when the client sent one.</param>
/// <param name="PathAndQuery">The raw request target exactly as sent (still percent-encoded), e.g. <c>/a%20b?x=1</c>.</param>
/// <param name="Headers">Every header line; a name may repeat. Names are compared case-insensitively.</param>
/// <param name="Body">The whole request body; empty when there is none.</param>
public sealed record SignedRequest(
    string Method,
    string Scheme,
    string Host,
    string PathAndQuery,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[] Body)
{
    /// <summary>The path part of <see cref="PathAndQuery"/>, still percent-encoded.</summary>
    public string RawPath => PathAndQuery.IndexOf('?') is var q and >= 0 ? PathAndQuery[..q] : PathAndQuery;

    /// <summary>The query part of <see cref="PathAndQuery"/> without the <c>?</c>, still percent-encoded; empty when there is none.</summary>
    public string RawQuery => PathAndQuery.IndexOf('?') is var q and >= 0 ? PathAndQuery[(q + 1)..] : "";

    /// <summary>The values of every header line named <paramref name="name"/> (any case), in the order they came.</summary>
    public IEnumerable<string> HeaderValues(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    /// <summary>The first value of the header <paramref name="name"/>, or null when it is absent.</summary>
    public string? Header(string name) => HeaderValues(name).FirstOrDefault();
}
