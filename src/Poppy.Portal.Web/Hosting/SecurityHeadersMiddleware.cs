namespace Poppy.Portal.Web.Hosting;

/// <summary>
/// Security headers on every response. What each Content-Security-Policy directive allows, and why:
/// <list type="bullet">
/// <item><c>default-src 'self'</c>: anything not named below only from the portal itself.</item>
/// <item><c>script-src 'self'</c>: script files only — blazor.web.js, MudBlazor.min.js, the app's own modules (charts,
/// clipboard, reconnect dialog). No inline script and no eval: nothing the portal renders runs as script.</item>
/// <item><c>style-src 'self' 'unsafe-inline'</c>: MudBlazor's theme provider writes its CSS variables in a &lt;style&gt;
/// element and its components (popovers, drawers, grids) and ApexCharts set style attributes; styles cannot run
/// script, so this costs little.</item>
/// <item><c>img-src 'self' data:</c>, <c>font-src 'self' data:</c>: icons are inline SVG; the few data: URLs are
/// MudBlazor's and ApexCharts' own (no fonts are fetched from elsewhere).</item>
/// <item><c>connect-src 'self'</c>: the circuit's WebSocket (ws/wss to the same host, which CSP 3 'self' covers) and
/// its long-polling fallback; nothing else is fetched.</item>
/// <item><c>object-src 'none'</c>, <c>base-uri 'self'</c>: no plugins; a &lt;base&gt; tag cannot re-point relative URLs.</item>
/// <item><c>form-action 'self'</c>: the static forms (sign in, sign out, passwords) post only here.</item>
/// <item><c>frame-ancestors 'none'</c> (and X-Frame-Options: DENY for old browsers): no clickjacking through frames.</item>
/// </list>
/// </summary>
public sealed class SecurityHeadersMiddleware(RequestDelegate next)
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            return Task.CompletedTask;
        });
        return next(context);
    }
}
