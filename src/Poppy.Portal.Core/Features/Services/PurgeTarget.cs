namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// What a purge request asks to purge, checked the same way for the API and the service page: one ASCII path, or
/// everything (Poppy's <c>/*</c>, <c>all=true</c>, or no url at all).
/// </summary>
public static class PurgeTarget
{
    public const int MaxLength = 1024;

    /// <summary>
    /// The path to purge (null: everything) or why the request is invalid. <paramref name="url"/> null means none was
    /// given; an empty one is refused, as Poppy refuses <c>url=</c>.
    /// </summary>
    public static (string? Path, string? Error) Resolve(string? url, bool all)
    {
        if (all && url is not null)
        {
            return (null, "Give either url or all=true, not both.");
        }
        if (url is not null && (url.Length is 0 or > MaxLength || url.Any(c => c > 127 || char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            return (null, "url must be an ASCII path of 1 to 1024 characters without spaces.");
        }
        // Poppy purges /* when neither is given; everything is what "/*" means, so both become a purge-all.
        return (all || url is null or "/*" ? null : url, null);
    }
}
