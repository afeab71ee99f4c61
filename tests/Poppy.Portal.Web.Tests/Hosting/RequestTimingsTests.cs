using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Features.Dashboard;

namespace Poppy.Portal.Web.Tests.Hosting;

public sealed class RequestTimingsTests
{
    private readonly ManualClock clock = new(new DateTimeOffset(2026, 11, 23, 10, 0, 30, TimeSpan.Zero));

    [Fact]
    public void Samples_are_grouped_per_minute_with_nearest_rank_percentiles()
    {
        var timings = new RequestTimings(clock);
        for (var ms = 1; ms <= 100; ms++)
        {
            timings.Record("/", TimeSpan.FromMilliseconds(ms));
        }
        clock.Advance(TimeSpan.FromMinutes(1));
        timings.Record("/services", TimeSpan.FromMilliseconds(7));

        var minutes = timings.Snapshot();

        Assert.Equal(2, minutes.Count);
        Assert.Equal(new MinuteTiming(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero), 100, 50, 95), minutes[0]);
        Assert.Equal(new MinuteTiming(new DateTimeOffset(2026, 11, 23, 10, 1, 0, TimeSpan.Zero), 1, 7, 7), minutes[1]);
    }

    [Fact]
    public void Static_assets_are_not_counted_and_old_minutes_drop_out()
    {
        var timings = new RequestTimings(clock);
        timings.Record("/dist/apexchart.js", TimeSpan.FromMilliseconds(1));
        timings.Record("/", TimeSpan.FromMilliseconds(5));

        clock.Advance(TimeSpan.FromMinutes(RequestTimings.MinutesKept));
        timings.Record("/", TimeSpan.FromMilliseconds(9));

        var minute = Assert.Single(timings.Snapshot());
        Assert.Equal(1, minute.Requests);
        Assert.Equal(9, minute.P50Milliseconds);
    }
}
