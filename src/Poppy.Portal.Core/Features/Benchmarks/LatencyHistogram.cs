using HdrHistogram;
using HdrHistogram.Utilities;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>
/// Probe times in an HdrHistogram: microseconds from 1 µs to one hour at 3 significant digits (0.1 % error), so a
/// percentile is read from buckets, never by sorting samples, and histograms of minutes add up to those of hours and windows.
/// </summary>
public sealed class LatencyHistogram
{
    private const long HighestMicroseconds = 3_600_000_000;
    private readonly LongHistogram histogram;

    public LatencyHistogram() => histogram = new LongHistogram(1, HighestMicroseconds, 3);

    private LatencyHistogram(LongHistogram histogram) => this.histogram = histogram;

    public long Count => histogram.TotalCount;

    public void Record(double milliseconds) =>
        histogram.RecordValue(Math.Clamp((long)Math.Round(milliseconds * 1000), 1, HighestMicroseconds));

    public void Add(LatencyHistogram other) => histogram.Add(other.histogram);

    /// <summary>The value at a percentile (0-100) in milliseconds; null when nothing was recorded.</summary>
    public double? Percentile(double percentile) =>
        histogram.TotalCount == 0 ? null : Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 3);

    public double? Mean => histogram.TotalCount == 0 ? null : Math.Round(histogram.GetMean() / 1000.0, 3);

    public byte[] Encode()
    {
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        var length = histogram.EncodeIntoCompressedByteBuffer(buffer);
        // The package exposes no array view of a buffer: read the encoded bytes back one by one.
        buffer.Position = 0;
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = buffer.Get();
        }
        return bytes;
    }

    public static LatencyHistogram Decode(byte[] encoded)
    {
        if (encoded.Length == 0)
        {
            return new LatencyHistogram();
        }
        var decoded = HistogramEncoding.DecodeFromCompressedByteBuffer(ByteBuffer.Allocate(encoded), 0);
        var histogram = new LongHistogram(1, HighestMicroseconds, 3);
        histogram.Add(decoded);
        return new LatencyHistogram(histogram);
    }
}
