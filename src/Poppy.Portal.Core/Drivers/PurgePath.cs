using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Drivers;

/// <summary>
/// The path a driver sends to its vendor for a URL purge. Every driver goes through here, whoever called it: the path
/// is checked again (<see cref="PurgeTarget.Check"/>) and escaped, so no path can leave the service's own domains by
/// a <c>..</c> that the vendor's URL parser, or ours, would collapse.
/// </summary>
public static class PurgePath
{
    /// <summary>
    /// <paramref name="url"/> with a leading '/' added when it has none (Poppy accepted <c>images/logo.png</c>), checked
    /// and escaped; a path that is not normalized is a permanent error, never sent.
    /// </summary>
    public static string ForRequest(string url, string vendor)
    {
        var path = url.StartsWith('/') ? url : "/" + url;
        return PurgeTarget.Check(path) is { } error
            ? throw new CdnDriverException($"{vendor}: refused to purge '{url}': {error}", isTransient: false)
            : PurgeTarget.Escape(path);
    }
}
