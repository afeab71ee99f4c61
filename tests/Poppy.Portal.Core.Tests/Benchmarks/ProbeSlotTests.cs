using Poppy.Portal.Core.Features.Benchmarks;

namespace Poppy.Portal.Core.Tests.Benchmarks;

public sealed class ProbeSlotTests
{
    [Fact]
    public void Every_service_is_due_exactly_once_per_interval_and_the_services_are_spread_over_it()
    {
        var interval = TimeSpan.FromSeconds(10);
        var tick = TimeSpan.FromSeconds(1);
        var services = Enumerable.Range(0, 2000).Select(_ => Guid.NewGuid()).ToList();
        // Three intervals of one-second windows, starting at an odd moment (as after a restart).
        var start = new DateTimeOffset(2026, 3, 1, 12, 0, 3, 250, TimeSpan.Zero);
        var perWindow = new List<int>();
        var perService = services.ToDictionary(s => s, _ => 0);
        for (var from = start; from < start + 3 * interval; from += tick)
        {
            var due = services.Where(s => ProbeSlots.IsDue(s, interval, from, from + tick)).ToList();
            perWindow.Add(due.Count);
            foreach (var s in due)
            {
                perService[s]++;
            }
        }
        Assert.All(perService.Values, count => Assert.Equal(3, count));
        // 2,000 services over 10 windows: 200 each on average; a storm would put them all in one.
        Assert.All(perWindow, count => Assert.InRange(count, 140, 260));
    }

    [Fact]
    public void A_service_keeps_its_offset_and_its_slots_are_on_the_clock()
    {
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        var interval = TimeSpan.FromSeconds(10);
        var offset = ProbeSlots.OffsetOf(id, interval);
        Assert.Equal(offset, ProbeSlots.OffsetOf(id, interval));
        Assert.InRange(offset, TimeSpan.Zero, interval - TimeSpan.FromTicks(1));
        var from = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var slot = ProbeSlots.NextSlot(id, interval, from);
        Assert.InRange(slot, from, from + interval - TimeSpan.FromTicks(1));
        Assert.Equal(slot + interval, ProbeSlots.NextSlot(id, interval, slot + TimeSpan.FromTicks(1)));
        Assert.Equal(offset.Ticks, slot.UtcTicks % interval.Ticks);
    }

    [Fact]
    public void Histograms_survive_encoding_and_add_up()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        for (var i = 1; i <= 100; i++)
        {
            a.Record(i);
            b.Record(100 + i);
        }
        var sum = LatencyHistogram.Decode(a.Encode());
        sum.Add(LatencyHistogram.Decode(b.Encode()));
        Assert.Equal(200, sum.Count);
        Assert.InRange(sum.Percentile(50)!.Value, 99.9, 100.1);
        Assert.InRange(sum.Percentile(99)!.Value, 197.8, 198.2);
        Assert.InRange(sum.Mean!.Value, 100.4, 100.6);
        Assert.Null(new LatencyHistogram().Percentile(50));
    }
}

/// <summary>Where a probe goes for an access URL: a CDN's bare host name follows the domain's protocol; a cache node's
/// URL keeps its port and scheme.</summary>
public sealed class ProbeEdgeTests
{
    [Theory]
    [InlineData("x.global.prod.fastly.net", "x.global.prod.fastly.net", null, null)]
    [InlineData("d111111abcdef8.cloudfront.net.", "d111111abcdef8.cloudfront.net", null, null)]
    [InlineData("http://127.0.0.1:18080", "127.0.0.1", 18080, false)]
    [InlineData("http://127.0.0.1:18080/", "127.0.0.1", 18080, false)]
    [InlineData("cache1.example.net:8080", "cache1.example.net", 8080, null)]
    [InlineData("https://cache1.example.net", "cache1.example.net", 443, true)]
    [InlineData("http://cache1.example.net", "cache1.example.net", 80, false)]
    public void An_access_url_names_the_edge_host_and_where_it_says_so_its_port_and_tls(string accessUrl, string host, int? port, bool? tls) =>
        Assert.Equal(new ProbeEdge(host, port, tls), ProbeRound.EdgeOf(accessUrl));

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("ftp://files.example.net")]
    public void Nothing_probeable_is_null(string accessUrl) => Assert.Null(ProbeRound.EdgeOf(accessUrl));
}
