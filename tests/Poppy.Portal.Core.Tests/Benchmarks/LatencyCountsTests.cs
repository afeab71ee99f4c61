using HdrHistogram;
using HdrHistogram.Utilities;
using Poppy.Portal.Core.Features.Benchmarks;

namespace Poppy.Portal.Core.Tests.Benchmarks;

/// <summary>
/// LatencyCounts against the HdrHistogram library it shortcuts: stored histograms added into one reused array give the
/// library's percentiles at every 0.1 %, its encoding is the library's byte for byte, and rollups stored in the
/// library's compressed form (before 2026-12-05) still add up.
/// </summary>
public sealed class LatencyCountsTests
{
    /// <summary>Hours of probe times: a fast body, a slow tail, and (in one hour) the clamped extremes.</summary>
    private static List<List<double>> Hours(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 48).Select(hour =>
        {
            var times = Enumerable.Range(0, 360).Select(_ =>
                12 + (random.NextDouble() * 6) + (random.NextDouble() < 0.02 ? random.NextDouble() * 300 : 0)
                + (random.NextDouble() < 0.005 ? random.NextDouble() * 100_000 : 0)).ToList();
            if (hour == 7)
            {
                times.AddRange([0.0001, 5_000_000]);
            }
            return times;
        })];
    }

    private static void AssertSamePercentiles(LatencyHistogram expected, LatencyCounts actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var p = 1; p <= 1000; p++)
        {
            Assert.Equal(expected.Percentile(p / 10.0), actual.Percentile(p / 10.0));
        }
        Assert.Equal(expected.Mean, actual.Mean);
    }

    [Fact]
    public void Stored_histograms_added_into_one_reused_array_give_the_librarys_percentiles()
    {
        var hours = Hours(3);
        var stored = hours.Select(times =>
        {
            var h = new LatencyHistogram();
            times.ForEach(h.Record);
            return h.Encode();
        }).ToList();
        var expected = new LatencyHistogram();
        stored.ForEach(s => expected.Add(LatencyHistogram.Decode(s)));

        var merged = new LatencyCounts();
        // Something else first: Reset must leave nothing of it.
        merged.Record(99_999);
        merged.Add(stored[7]);
        merged.Reset();
        stored.ForEach(merged.Add);
        AssertSamePercentiles(expected, merged);

        // Its encoding is the library's, and the library reads it back.
        Assert.Equal(expected.Encode(), merged.Encode());
        var decoded = LatencyHistogram.Decode(merged.Encode());
        Assert.Equal(expected.Count, decoded.Count);
        Assert.Equal(expected.Percentile(99.9), decoded.Percentile(99.9));

        // Recording the probe times directly gives the same histogram.
        var recorded = new LatencyCounts();
        hours.SelectMany(t => t).ToList().ForEach(recorded.Record);
        AssertSamePercentiles(expected, recorded);
        Assert.Equal(expected.Encode(), recorded.Encode());
    }

    [Fact]
    public void Rollups_stored_compressed_before_still_add_up()
    {
        var hours = Hours(5).Take(6).ToList();
        var expected = new LatencyHistogram();
        var merged = new LatencyCounts();
        foreach (var times in hours)
        {
            // What LatencyHistogram.Encode wrote until 2026-12-05: the library's compressed encoding.
            var h = new LongHistogram(1, 3_600_000_000, 3);
            times.ForEach(t => h.RecordValue(Math.Clamp((long)Math.Round(t * 1000), 1, 3_600_000_000)));
            var buffer = ByteBuffer.Allocate(h.GetNeededByteBufferCapacity());
            var length = h.EncodeIntoCompressedByteBuffer(buffer);
            buffer.Position = 0;
            var compressed = new byte[length];
            for (var i = 0; i < length; i++)
            {
                compressed[i] = buffer.Get();
            }
            expected.Add(LatencyHistogram.Decode(compressed));
            merged.Add(compressed);
        }
        AssertSamePercentiles(expected, merged);
    }

    [Fact]
    public void An_empty_histogram_encodes_and_adds_nothing()
    {
        var empty = new LatencyCounts();
        Assert.Null(empty.Percentile(50));
        Assert.Null(empty.Mean);
        var merged = new LatencyCounts();
        merged.Add(empty.Encode());
        merged.Add(new LatencyHistogram().Encode());
        merged.Add([]);
        Assert.Equal(0, merged.Count);
        Assert.Equal(0, LatencyHistogram.Decode(empty.Encode()).Count);
    }
}
