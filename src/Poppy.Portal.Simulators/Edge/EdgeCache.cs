using System.Collections.Concurrent;

namespace Poppy.Portal.Simulators.Edge;

/// <summary>One vendor's edge cache, keyed by host + path (+ query when the site forwards it).</summary>
public sealed class EdgeCache
{
    private readonly ConcurrentDictionary<string, CachedObject> entries = new(StringComparer.Ordinal);

    public int Count => entries.Count;

    public IReadOnlyList<CachedObject> Entries => [.. entries.Values];

    internal CachedObject? Find(string key) => entries.GetValueOrDefault(key);

    internal void Store(CachedObject entry) => entries[entry.Key] = entry;

    /// <summary>Hard purges evict; soft purges mark stale (the next request revalidates, an origin error serves it stale).</summary>
    internal int Purge(Func<CachedObject, bool> match, bool soft)
    {
        var count = 0;
        foreach (var (key, entry) in entries)
        {
            if (!match(entry))
            {
                continue;
            }

            count++;
            if (soft)
            {
                entry.MarkStale();
            }
            else
            {
                entries.TryRemove(KeyValuePair.Create(key, entry));
            }
        }

        return count;
    }

    internal static string KeyFor(string host, string path, string query, bool includeQuery) =>
        includeQuery && query.Length > 0 ? $"{host}{path}{query}" : host + path;
}

/// <summary>An origin answer held by an edge.</summary>
public sealed class CachedObject
{
    private int hits;
    private volatile bool stale;

    internal CachedObject(
        string key, string siteId, string host, string path, string query, int status,
        IReadOnlyList<KeyValuePair<string, string[]>> headers, byte[] body, DateTimeOffset storedAt, TimeSpan ttl,
        IReadOnlyList<string> tags)
    {
        Key = key;
        SiteId = siteId;
        Host = host;
        Path = path;
        Query = query;
        Status = status;
        Headers = headers;
        Body = body;
        StoredAt = storedAt;
        Ttl = ttl;
        Tags = tags;
    }

    public string Key { get; }
    public string SiteId { get; }
    public string Host { get; }
    public string Path { get; }

    /// <summary>With its leading <c>?</c>, or empty.</summary>
    public string Query { get; }

    public int Status { get; }
    public IReadOnlyList<KeyValuePair<string, string[]>> Headers { get; }
    public byte[] Body { get; }
    public DateTimeOffset StoredAt { get; }
    public TimeSpan Ttl { get; }

    /// <summary>Surrogate keys (Fastly <c>Surrogate-Key</c>) and cache tags (Akamai <c>Edge-Cache-Tag</c>).</summary>
    public IReadOnlyList<string> Tags { get; }

    public bool Stale => stale;
    public int Hits => Volatile.Read(ref hits);

    public bool IsFresh(DateTimeOffset now) => !stale && now - StoredAt < Ttl;

    internal int CountHit() => Interlocked.Increment(ref hits);

    internal void MarkStale() => stale = true;
}
