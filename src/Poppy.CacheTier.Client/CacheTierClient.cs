using System.Net.Http.Json;
using System.Text.Json;

namespace Poppy.CacheTier.Client;

/// <summary>What the node said about a file, and when.</summary>
/// <param name="Available">The node has the file: send users to <see cref="CacheTierClient.BuildDownloadUrl"/>.
/// False also whenever the node could not be asked: send users to the source.</param>
/// <param name="Error">The node reported a problem with the file, or the question failed.</param>
public sealed record CacheFileStatus(string File, bool Available, bool Error, string? ErrorMessage, DateTimeOffset CheckedAt);

/// <summary>
/// Asks a cache node (Poppy.CacheTier.Agent) whether it holds a file, as cache-tier's client did, with its fixes: the
/// answer for a file is kept for <see cref="CacheTierClientOptions.LocalCacheTime"/>; callers that ask meanwhile, from
/// any thread, share it, and callers that ask while the question is on its way share that one request, so the node
/// hears about each file at most once per period. Any failure (node down, timeout, an unexpected answer) counts as
/// "not available", so callers fall back to the source and never fail because of the cache tier. One instance per node
/// and service, shared by the application.
/// </summary>
public sealed class CacheTierClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly HttpClient http;
    private readonly CacheTierClientOptions options;
    private readonly TimeProvider clock;
    private readonly Uri nodeUrl;
    private readonly Dictionary<string, Task<CacheFileStatus>> statuses = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public CacheTierClient(HttpClient http, CacheTierClientOptions options, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (options.NodeUrl is not { IsAbsoluteUri: true } url || url.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException("NodeUrl must be an absolute http or https URL.", nameof(options));
        }
        if (options.LocalCacheTime < TimeSpan.Zero || options.RequestTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("LocalCacheTime must not be negative and RequestTimeout must be positive.", nameof(options));
        }
        this.http = http;
        this.options = options;
        this.clock = clock ?? TimeProvider.System;
        nodeUrl = url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
    }

    /// <summary>
    /// The file's status: the one known when it is younger than the local cache time, otherwise the node's answer (the
    /// node starts fetching a file it does not hold). Never throws for a failure of the node or the network.
    /// </summary>
    /// <param name="file">The file's path relative to the service root, such as <c>releases/app-1.2.zip</c>.</param>
    public Task<CacheFileStatus> VerifyFileAsync(string file, CancellationToken cancellationToken = default) =>
        GetAsync(file, refresh: false, cancellationToken);

    /// <summary>Asks the node now, whatever is known (joining a question already on its way), and keeps the answer.</summary>
    public Task<CacheFileStatus> RefreshStatusAsync(string file, CancellationToken cancellationToken = default) =>
        GetAsync(file, refresh: true, cancellationToken);

    /// <summary>The node's download link for the file: it redirects to the edge when the file is cached, else to the source.</summary>
    public Uri BuildDownloadUrl(string file) =>
        IsFile(file) ? NodeUri("download/", file) : throw new ArgumentException($"'{file}' is not a relative file path.", nameof(file));

    private async Task<CacheFileStatus> GetAsync(string file, bool refresh, CancellationToken cancellationToken)
    {
        if (!IsFile(file))
        {
            throw new ArgumentException($"'{file}' is not a relative file path.", nameof(file));
        }
        Task<CacheFileStatus> status;
        lock (gate)
        {
            if (!statuses.TryGetValue(file, out status!) || (status.IsCompleted && (refresh || !IsFresh(status.Result))))
            {
                if (statuses.Count >= options.MaxCachedFiles)
                {
                    DropExpired();
                }
                // Task.Run: the request starts outside this lock; the task itself never faults (see AskNodeAsync).
                status = Task.Run(() => AskNodeAsync(file));
                statuses[file] = status;
            }
        }
        return await status.WaitAsync(cancellationToken);
    }

    private bool IsFresh(CacheFileStatus status) => clock.GetUtcNow() - status.CheckedAt < options.LocalCacheTime;

    private void DropExpired()
    {
        foreach (var (file, status) in statuses.Where(s => s.Value.IsCompleted && !IsFresh(s.Value.Result)).ToList())
        {
            statuses.Remove(file);
        }
        if (statuses.Count >= options.MaxCachedFiles)
        {
            foreach (var file in statuses.Where(s => s.Value.IsCompleted).Select(s => s.Key).ToList())
            {
                statuses.Remove(file);
            }
        }
    }

    private async Task<CacheFileStatus> AskNodeAsync(string file)
    {
        try
        {
            using var timeout = new CancellationTokenSource(options.RequestTimeout, clock);
            using var response = await http.GetAsync(NodeUri("verify/", file), timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return Failed(file, $"The cache node answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }
            var answer = await response.Content.ReadFromJsonAsync<VerifyAnswer>(Json, timeout.Token);
            return answer is null
                ? Failed(file, "The cache node's answer was empty.")
                : new CacheFileStatus(file, answer.Available && !answer.Error, answer.Error, answer.ErrorMsg, clock.GetUtcNow());
        }
        catch (Exception e)
        {
            // Fail safe: whatever went wrong, the file is "not available" and the caller uses the source.
            return Failed(file, $"The cache node could not be asked: {e.Message}");
        }
    }

    private CacheFileStatus Failed(string file, string message) => new(file, false, true, message, clock.GetUtcNow());

    private Uri NodeUri(string endpoint, string file)
    {
        var path = endpoint + string.Join('/', file.Split('/').Select(Uri.EscapeDataString));
        var query = options.ServiceId is { } service ? "?service=" + Uri.EscapeDataString(service) : "";
        return new Uri(nodeUrl, path + query);
    }

    private static bool IsFile(string? file) =>
        file is { Length: >= 1 and <= 1024 }
        && !file.Any(c => char.IsControl(c) || c is '\\' or '?' or '#')
        && file.Split('/').All(s => s is not ("" or "." or ".."));

    private sealed record VerifyAnswer(bool Available, string? File, bool Error, string? ErrorMsg);
}
