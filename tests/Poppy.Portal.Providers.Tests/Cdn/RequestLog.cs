using System.Collections.Concurrent;

namespace Poppy.Portal.Providers.Tests.Cdn;

/// <summary>
/// Sends each request on over real HTTP and keeps its method and path, so a test can assert which vendor calls a driver
/// made (e.g. that it did not read a list that grows with the account).
/// </summary>
internal sealed class RequestLog(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private readonly ConcurrentQueue<string> requests = new();

    /// <summary>"METHOD /path?query" of every request sent so far, in order.</summary>
    public IReadOnlyList<string> Requests => [.. requests];

    public void Clear() => requests.Clear();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        requests.Enqueue($"{request.Method} {request.RequestUri!.PathAndQuery}");
        return base.SendAsync(request, cancellationToken);
    }
}
