namespace Poppy.Portal.Web.Features.Dashboard;

/// <summary>
/// The portal's own request durations per minute, kept in memory for the last half hour. This feeds the dashboard's
/// first chart until benchmark samples exist; static asset requests are left out so they do not flatter the numbers.
/// </summary>
public sealed class RequestTimings(TimeProvider clock)
{
    public const int MinutesKept = 30;
    private const int MaxSamplesPerMinute = 5_000;

    private readonly Lock gate = new();
    private readonly SortedDictionary<DateTimeOffset, List<double>> samplesByMinute = [];

    public void Record(string path, TimeSpan elapsed)
    {
        if (path.StartsWith("/dist/", StringComparison.Ordinal) || path.StartsWith("/_", StringComparison.Ordinal))
        {
            return;
        }

        var minute = TruncateToMinute(clock.GetUtcNow());
        lock (gate)
        {
            if (!samplesByMinute.TryGetValue(minute, out var samples))
            {
                samplesByMinute[minute] = samples = [];
                while (samplesByMinute.Count > MinutesKept)
                {
                    samplesByMinute.Remove(samplesByMinute.Keys.First());
                }
            }
            if (samples.Count < MaxSamplesPerMinute)
            {
                samples.Add(elapsed.TotalMilliseconds);
            }
        }
    }

    /// <summary>Per minute: request count, median and 95th percentile in milliseconds, oldest first.</summary>
    public IReadOnlyList<MinuteTiming> Snapshot()
    {
        var oldest = TruncateToMinute(clock.GetUtcNow()).AddMinutes(-(MinutesKept - 1));
        lock (gate)
        {
            return samplesByMinute
                .Where(pair => pair.Key >= oldest)
                .Select(pair =>
                {
                    var sorted = pair.Value.Order().ToArray();
                    return new MinuteTiming(pair.Key, sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.95));
                })
                .ToList();
        }
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    internal static double Percentile(double[] sorted, double fraction)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static DateTimeOffset TruncateToMinute(DateTimeOffset time) =>
        new(time.Year, time.Month, time.Day, time.Hour, time.Minute, 0, TimeSpan.Zero);
}

public sealed record MinuteTiming(DateTimeOffset Minute, int Requests, double P50Milliseconds, double P95Milliseconds);
