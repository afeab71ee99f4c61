namespace Poppy.CacheTier.Client;

/// <summary>Where the cache node is and how long its answers are trusted.</summary>
public sealed class CacheTierClientOptions
{
    /// <summary>The node's agent, for example <c>http://cache1.example.net:8081/</c>.</summary>
    public Uri? NodeUrl { get; set; }

    /// <summary>The service the files belong to; null when the node's default (or only) service is meant.</summary>
    public string? ServiceId { get; set; }

    /// <summary>How long a file's status is used before the node is asked again (cache-tier's LOCAL_CACHE_TIME).</summary>
    public TimeSpan LocalCacheTime { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long one question to the node may take; past it the file counts as not available.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Statuses kept at most; beyond it the expired ones are dropped.</summary>
    public int MaxCachedFiles { get; set; } = 10_000;
}
