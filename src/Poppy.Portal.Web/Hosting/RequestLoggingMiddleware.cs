using System.Security.Claims;
using Poppy.Portal.Web.Features.Dashboard;

namespace Poppy.Portal.Web.Hosting;

/// <summary>
/// One structured log line per request (method, path, status, duration, user) and a timing sample for the dashboard.
/// The query string is left out on purpose: password-reset links carry their token there.
/// </summary>
public sealed class RequestLoggingMiddleware(RequestDelegate next, RequestTimings timings, TimeProvider clock, ILogger<RequestLoggingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = clock.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var elapsed = clock.GetElapsedTime(started);
            var path = context.Request.Path.Value ?? "/";
            logger.LogInformation(
                "HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms for {User}",
                context.Request.Method, path, context.Response.StatusCode, elapsed.TotalMilliseconds,
                context.User.FindFirstValue(ClaimTypes.Name) ?? "anonymous");
            // An event stream lasts as long as the page is open: its duration says nothing about how fast the portal answers.
            if (context.Response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) != true)
            {
                timings.Record(path, elapsed);
            }
        }
    }
}
