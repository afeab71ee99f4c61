using System.Collections.Concurrent;
using System.Text;
using Microsoft.Playwright;

namespace Poppy.Portal.E2E.Tests.Infrastructure;

/// <summary>
/// Watches browser contexts for the things a user would never see but that mean the page is broken: console
/// errors (CSP violations land there too), uncaught page errors, failed requests and same-origin responses with
/// status 400 or more. Everything (also every request and console line) goes to a log for the artifacts folder.
/// </summary>
public sealed class BrowserDiagnostics(string origin)
{
    private readonly ConcurrentQueue<string> problems = new();
    private readonly ConcurrentQueue<string> log = new();
    private readonly ConcurrentDictionary<IPage, bool> watchedPages = new();

    public IReadOnlyCollection<string> Problems => problems.ToArray();

    public void Watch(IBrowserContext context)
    {
        context.Page += (_, page) => Watch(page);
        foreach (var page in context.Pages)
        {
            Watch(page);
        }

        context.RequestFailed += (_, request) =>
        {
            // A live page's event stream is cut when the page is left: that is its normal end, not a failure.
            if (request.Failure == "net::ERR_ABORTED" && request.Url.EndsWith("/events", StringComparison.Ordinal))
            {
                Log($"event stream closed: {request.Method} {request.Url}");
                return;
            }
            // blazor.web.js starts an enhanced-navigation fetch of a link's page, and cancels it when the circuit's
            // router has already shown that page (the address is the frame's own): the page is there, nothing failed.
            if (request.Failure == "net::ERR_ABORTED" && request.ResourceType == "fetch" && request.Method == "GET"
                && IsSameOrigin(request.Url) && SafeFrameUrl(request) == request.Url)
            {
                Log($"enhanced navigation fetch superseded by the circuit's router: {request.Method} {request.Url}");
                return;
            }
            Problem($"request failed: {request.Method} {request.Url} ({request.ResourceType}): {request.Failure}");
        };
        context.Response += (_, response) =>
        {
            Log($"{response.Request.Method} {response.Url} -> {response.Status}");
            if (response.Status >= 400 && IsSameOrigin(response.Url))
            {
                Problem($"HTTP {response.Status} {response.StatusText}: {response.Request.Method} {response.Url} ({response.Request.ResourceType})");
            }
        };
    }

    public void Watch(IPage page)
    {
        if (!watchedPages.TryAdd(page, true))
        {
            return;
        }
        page.Console += (_, message) =>
        {
            var line = $"console.{message.Type}: {message.Text}" + (message.Location is { Length: > 0 } at ? $" (at {at})" : "");
            if (message.Type == "error")
            {
                Problem(line);
            }
            else
            {
                Log(line);
            }
        };
        page.PageError += (_, error) => Problem($"page error: {error}");
        page.FrameNavigated += (_, frame) =>
        {
            if (frame.ParentFrame is null)
            {
                Log($"navigated to {frame.Url}");
            }
        };
    }

    public void Note(string line) => Log("# " + line);

    public void WriteTo(string path)
    {
        var text = new StringBuilder();
        foreach (var line in log)
        {
            text.AppendLine(line);
        }
        File.WriteAllText(path, text.ToString());
    }

    /// <summary>Fails with every problem seen so far (all of them, not only the first).</summary>
    public void AssertNoProblems()
    {
        var seen = Problems;
        if (seen.Count > 0)
        {
            throw new Xunit.Sdk.XunitException(
                $"The browser reported {seen.Count} problem(s) (console errors, page errors, failed requests or HTTP >= 400):\n  " +
                string.Join("\n  ", seen));
        }
    }

    private static string? SafeFrameUrl(IRequest request)
    {
        try
        {
            return request.Frame.Url;
        }
        catch (PlaywrightException)
        {
            return null; // the frame is gone
        }
    }

    private bool IsSameOrigin(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && string.Equals(uri.GetLeftPart(UriPartial.Authority), origin, StringComparison.OrdinalIgnoreCase);

    private void Problem(string line)
    {
        problems.Enqueue(line);
        Log("!! " + line);
    }

    private void Log(string line) => log.Enqueue($"{TimeProvider.System.GetUtcNow():HH:mm:ss.fff} {line}");
}
