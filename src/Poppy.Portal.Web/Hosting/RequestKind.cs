namespace Poppy.Portal.Web.Hosting;

/// <summary>Tells a full-page browser navigation from API and data calls.</summary>
public static class RequestKind
{
    /// <summary>GET, HEAD, OPTIONS and TRACE only read; every other method may change something.</summary>
    public static bool IsSafeMethod(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

    public static bool WantsHtmlPage(HttpRequest request) =>
        !request.Path.StartsWithSegments("/v1.0")
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
}
