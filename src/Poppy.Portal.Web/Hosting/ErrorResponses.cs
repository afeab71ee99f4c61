using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Web.Api;

namespace Poppy.Portal.Web.Hosting;

/// <summary>
/// Errors as ProblemDetails (RFC 9457) for API and data requests, and as a readable page for browser navigation.
/// </summary>
public static class ErrorResponses
{
    public static ExceptionHandlerOptions Options { get; } = new()
    {
        ExceptionHandler = context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            if (error is AccessDeniedException denied)
            {
                // An application service refused its actor: an answer, not a fault.
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return WriteAsync(context, denied.Message, error: null, apiMessage: denied.Message);
            }
            context.Response.StatusCode = error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            return WriteAsync(context, "The server could not complete the request.", error);
        },
        // A refusal is logged by nobody as an unhandled exception.
        SuppressDiagnosticsCallback = context => context.Exception is AccessDeniedException,
    };

    public static Task WriteStatusCodeAsync(StatusCodeContext statusContext) => WriteAsync(statusContext.HttpContext, title: null, error: null);

    /// <summary>Answers the response's status code as a page for browsers, as ProblemDetails for everything else.</summary>
    private static async Task WriteAsync(HttpContext context, string? title, Exception? error, string? apiMessage = null)
    {
        var status = context.Response.StatusCode;
        if (RequestKind.WantsHtmlPage(context.Request))
        {
            await WriteErrorPageAsync(context, status);
            return;
        }
        if (context.Request.Path.StartsWithSegments(PoppyApiEndpoints.Prefix))
        {
            // Poppy clients read {"message": ...}.
            await context.Response.WriteAsJsonAsync(new { message = apiMessage ?? ApiMessage(status) });
            return;
        }
        var written = await context.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title },
            Exception = error,
        });
        if (!written)
        {
            // The client accepts neither JSON nor a page (text/plain only, say).
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(title ?? ReasonPhrases.GetReasonPhrase(status));
        }
    }

    private static string ApiMessage(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "Authentication required: send an API token in X-Auth-Token or Authorization: Bearer.",
        StatusCodes.Status403Forbidden => "Your role does not allow this action.",
        StatusCodes.Status404NotFound => "Not found.",
        StatusCodes.Status405MethodNotAllowed => "Method not allowed on this resource.",
        StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
        StatusCodes.Status429TooManyRequests => "Too many requests: wait as long as Retry-After says and try again.",
        >= 500 => "The server could not complete the request.",
        _ => "The request could not be completed.",
    };

    /// <summary>A self-contained page (no layout, so it cannot fail the way the failing page did).</summary>
    private static Task WriteErrorPageAsync(HttpContext context, int status)
    {
        var (title, text) = status switch
        {
            StatusCodes.Status403Forbidden => ("Not allowed", "Your role does not allow this action. Ask an administrator if you need it."),
            StatusCodes.Status404NotFound => ("Page not found", "There is nothing at this address."),
            StatusCodes.Status429TooManyRequests => ("Too many attempts", "Wait a few minutes, then try again."),
            >= 500 => ("Something went wrong", "The error was logged. Try again, and tell an administrator if it keeps happening."),
            _ => ("Request failed", "The request could not be completed."),
        };
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync($$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{status}} {{title}} · Poppy Portal</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" type="image/svg+xml" href="/favicon.svg">
            <link rel="stylesheet" href="/_content/MudBlazor/MudBlazor.min.css"></head>
            <body class="mud-typography-body1" style="font-family:Roboto,Helvetica,Arial,sans-serif;background:#f5f5f5;margin:0">
            <div class="d-flex align-center justify-center pa-4" style="min-height:100vh">
            <div class="mud-paper mud-paper-outlined pa-8" style="max-width:560px;width:100%;background:#fff" data-testid="error-page">
            <h1 class="mud-typography mud-typography-h3 mud-error-text">{{status}}</h1>
            <h2 class="mud-typography mud-typography-h5 mud-typography-gutterbottom">{{title}}</h2>
            <p class="mud-typography mud-typography-body1 mb-4">{{text}}</p>
            <a href="/" class="mud-button-root mud-button mud-button-filled mud-button-filled-primary mud-button-filled-size-medium mud-ripple" style="text-decoration:none">
            <span class="mud-button-label">Back to the dashboard</span></a></div></div></body></html>
            """);
    }
}
