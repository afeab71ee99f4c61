using System.Globalization;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>TTLs as people read them: "1 day", "2 hours 30 min", "not cached".</summary>
public static class Durations
{
    private static readonly (long Seconds, string One, string Many)[] Units =
    [
        (86_400, "day", "days"),
        (3_600, "hour", "hours"),
        (60, "min", "min"),
        (1, "s", "s"),
    ];

    /// <summary>The two largest units of a number of seconds; 0 is "not cached" (a TTL of 0 means no caching).</summary>
    public static string Human(long seconds)
    {
        if (seconds <= 0)
        {
            return "not cached";
        }
        var parts = new List<string>();
        var rest = seconds;
        foreach (var (unit, one, many) in Units)
        {
            if (rest < unit)
            {
                continue;
            }
            var count = rest / unit;
            rest %= unit;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? one : many)}"));
            if (parts.Count == 2)
            {
                break;
            }
        }
        return string.Join(' ', parts);
    }

    /// <summary>"1 day (86400 s)", the way the detail page shows a TTL.</summary>
    public static string WithSeconds(long seconds) =>
        seconds <= 0 ? "0 s (not cached)" : string.Create(CultureInfo.InvariantCulture, $"{Human(seconds)} ({seconds} s)");
}
