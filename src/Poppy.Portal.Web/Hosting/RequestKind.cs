namespace Poppy.Portal.Web.Hosting;

/// <summary>Tells a full-page browser navigation from htmx fragments, UI data and API calls.</summary>
public static class RequestKind
{
    public static bool IsHtmx(HttpRequest request) => request.Headers.ContainsKey("HX-Request");

    public static bool WantsHtmlPage(HttpRequest request) =>
        !IsHtmx(request)
        && !request.Path.StartsWithSegments("/ui")
        && !request.Path.StartsWithSegments("/v1.0")
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
}
