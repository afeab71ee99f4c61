using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Poppy.CacheTier.Agent.Nginx;
using Poppy.CacheTier.Agent.Services;

namespace Poppy.CacheTier.Agent.Files;

/// <summary>cache-tier's answer for one file: <c>{available, file, error, error_msg}</c>.</summary>
public sealed record FileStatus(bool Available, string File, bool Error, string? ErrorMsg);

/// <summary>
/// cache-tier's verify/download semantics over the nginx cache. A file is available when nginx holds a fresh 200 for it
/// under the service's first domain. When it is not, verify starts ONE fetch of it through the edge (which stores it),
/// however many callers ask at once: callers share the fetch in flight, and a failed fetch is reported for
/// <see cref="FilesOptions.FailureMemory"/> before another is tried. Download redirects to the edge when the file is
/// available and to the source otherwise, so a node that cannot serve a file never stands between users and it.
/// </summary>
public sealed partial class EdgeFiles : IDisposable
{
    private readonly CacheNode node;
    private readonly HttpClient edgeClient;
    private readonly FilesOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger<EdgeFiles> logger;
    private readonly ConcurrentDictionary<(string Service, string File), Lazy<Task>> inFlight = new();
    private readonly ConcurrentDictionary<(string Service, string File), (DateTimeOffset At, string Message)> failures = new();
    private readonly SemaphoreSlim fetchSlots;
    private readonly CancellationTokenSource stopping = new();
    private long fetchesStarted;

    internal EdgeFiles(CacheNode node, HttpClient edgeClient, AgentOptions options, TimeProvider clock, ILogger<EdgeFiles> logger)
    {
        this.node = node;
        this.edgeClient = edgeClient;
        this.options = options.Files;
        this.clock = clock;
        this.logger = logger;
        fetchSlots = new SemaphoreSlim(Math.Max(1, this.options.MaxConcurrentFetches));
    }

    /// <summary>Fetches through the edge started since the agent started.</summary>
    public long FetchesStarted => Interlocked.Read(ref fetchesStarted);

    /// <summary>A relative file path: segments of printable characters, no <c>.</c> or <c>..</c>, no <c>?</c>, <c>#</c> or <c>\</c>.</summary>
    public static bool IsValidFile(string? file) =>
        file is { Length: >= 1 and <= 1024 }
        && !file.Any(c => char.IsControl(c) || c is '\\' or '?' or '#')
        && file.Split('/').All(s => s is not ("" or "." or ".."));

    /// <summary>The service a files request means: the one named, the configured default, or the only one held.</summary>
    public (HeldService? Service, string? Error) ResolveService(string? requested)
    {
        var id = requested ?? options.DefaultService;
        if (id is not null)
        {
            return node.Find(id) is { } named ? (named, null) : (null, $"This node does not serve service '{id}'.");
        }
        var all = node.Services;
        return all.Count == 1
            ? (all[0], null)
            : (null, all.Count == 0 ? "This node serves no service yet." : "This node serves several services: name one with ?service=.");
    }

    public FileStatus Verify(HeldService service, string file)
    {
        if (IsCached(service, file))
        {
            return new FileStatus(true, file, false, null);
        }
        var key = (service.Id, file);
        if (!inFlight.ContainsKey(key) && failures.TryGetValue(key, out var failure))
        {
            if (clock.GetUtcNow() - failure.At < options.FailureMemory)
            {
                return new FileStatus(false, file, true, failure.Message);
            }
            failures.TryRemove(KeyValuePair.Create(key, failure));
        }
        StartFetch(service, file);
        return new FileStatus(false, file, false, null);
    }

    /// <summary>Where <c>/download/{file}</c> sends the user.</summary>
    public Uri DownloadTarget(HeldService service, string file) =>
        new(IsCached(service, file) ? EdgeBaseUrl(service) : SourceBaseUrl(service, "/" + file), EscapePath(file));

    /// <summary>Whether nginx holds a fresh 200 for the file under the service's first domain (where fetches put it).</summary>
    public bool IsCached(HeldService service, string file)
    {
        var key = NginxCacheFiles.Key(service.Config.Domains[0].Domain, "/" + file, null);
        var entry = NginxCacheFiles.Read(NginxCacheFiles.PathFor(node.Layout.ServiceCache(service.Id), key));
        return entry is not null && entry.Key == key && entry.Status == 200 && entry.ValidUntil >= clock.GetUtcNow();
    }

    public static Uri EdgeBaseUrl(HeldService service) =>
        new(service.Config.Files?.EdgeBaseUrl is { } configured
            ? WithSlash(configured)
            : $"{(service.Config.Domains[0].Protocol == DomainProtocol.Https ? "https" : "http")}://{service.Config.Domains[0].Domain}/");

    /// <summary>The configured source, or the origin that serves <paramref name="path"/> as nginx routes it.</summary>
    public static Uri SourceBaseUrl(HeldService service, string path)
    {
        if (service.Config.Files?.SourceBaseUrl is { } configured)
        {
            return new Uri(WithSlash(configured));
        }
        var origins = service.Config.Origins;
        // nginx matches bytes; the patterns write non-ASCII bytes as \xHH, so match over the path's UTF-8 bytes as chars.
        var bytes = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(path));
        var origin = origins.FirstOrDefault(o => o.Rules.Any(r => !PathPattern.IsCatchAll(r.RequestUrl)
                && Regex.IsMatch(bytes, PathPattern.ToRegex(r.RequestUrl), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))))
            ?? origins[NginxConfigRenderer.DefaultOrigin(service.Config)];
        var scheme = origin.Ssl ? "https" : "http";
        var host = IPAddress.TryParse(origin.Origin, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{origin.Origin}]"
            : origin.Origin;
        var port = origin.Port == (origin.Ssl ? 443 : 80) ? "" : $":{origin.Port}";
        return new Uri($"{scheme}://{host}{port}/");
    }

    public static string EscapePath(string file) => string.Join('/', file.Split('/').Select(Uri.EscapeDataString));

    public void Dispose()
    {
        stopping.Cancel();
        stopping.Dispose();
        fetchSlots.Dispose();
    }

    private void StartFetch(HeldService service, string file)
    {
        var key = (service.Id, file);
        var fetch = new Lazy<Task>(() => Task.Run(() => FetchAsync(service, file)));
        var winner = inFlight.GetOrAdd(key, fetch);
        if (ReferenceEquals(winner, fetch))
        {
            _ = fetch.Value.ContinueWith(_ => inFlight.TryRemove(KeyValuePair.Create(key, fetch)), TaskScheduler.Default);
        }
    }

    private async Task FetchAsync(HeldService service, string file)
    {
        Interlocked.Increment(ref fetchesStarted);
        var key = (service.Id, file);
        string? failure;
        try
        {
            await fetchSlots.WaitAsync(stopping.Token);
            try
            {
                failure = await FetchThroughEdgeAsync(service, file);
            }
            finally
            {
                fetchSlots.Release();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            failure = $"Fetching /{file} through the edge failed: {e.Message}";
        }

        if (failure is null && !IsCached(service, file))
        {
            failure = $"The edge served /{file} but does not keep it (a caching rule with TTL 0, or the origin forbids storing it).";
        }
        if (failure is null)
        {
            failures.TryRemove(key, out _);
        }
        else
        {
            failures[key] = (clock.GetUtcNow(), failure);
            LogFetchFailed(logger, service.Id, file, failure);
        }
    }

    /// <summary>GETs the file from nginx as a viewer of the first domain would and reads it to the end, so nginx stores it.</summary>
    private async Task<string?> FetchThroughEdgeAsync(HeldService service, string file)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        timeout.CancelAfter(options.FetchTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node.Edge.LocalUrl, EscapePath(file)));
        request.Headers.Host = service.Config.Domains[0].Domain;
        using var response = await edgeClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        await body.CopyToAsync(Stream.Null, timeout.Token);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => null,
            HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout =>
                $"The edge could not reach the origin for /{file} ({(int)response.StatusCode}).",
            _ => $"The origin answered {(int)response.StatusCode} for /{file}.",
        };
    }

    private static string WithSlash(string url) => url.EndsWith('/') ? url : url + "/";

    [LoggerMessage(LogLevel.Warning, "Fetch of {File} for service {ServiceId} failed: {Failure}")]
    private static partial void LogFetchFailed(ILogger logger, string serviceId, string file, string failure);
}
