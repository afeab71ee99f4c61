using System.Buffers.Binary;
using HdrHistogram;
using HdrHistogram.Encoding;
using HdrHistogram.Utilities;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>
/// Probe times in an HdrHistogram: microseconds from 1 µs to one hour at 3 significant digits (0.1 % error), so a
/// percentile is read from buckets, never by sorting samples, and histograms of minutes add up to those of hours and windows.
/// </summary>
/// <remarks>
/// One instance holds a counts array of about 23,500 longs (180 KB): code that merges many stored histograms uses
/// <see cref="LatencyCounts"/>, which reads their encoded counts into one reused array instead of decoding each.
/// </remarks>
public sealed class LatencyHistogram
{
    internal const long HighestMicroseconds = 3_600_000_000;
    internal const int SignificantDigits = 3;
    private const int CompressedV2Cookie = 0x1c849314;
    private readonly LongHistogram histogram;
    private ByteBuffer? encodeBuffer;

    public LatencyHistogram() => histogram = new LongHistogram(1, HighestMicroseconds, SignificantDigits);

    private LatencyHistogram(LongHistogram histogram) => this.histogram = histogram;

    public long Count => histogram.TotalCount;

    public void Record(double milliseconds) =>
        histogram.RecordValue(Math.Clamp((long)Math.Round(milliseconds * 1000), 1, HighestMicroseconds));

    public void Add(LatencyHistogram other) => histogram.Add(other.histogram);

    /// <summary>Empties the histogram and keeps its counts array, for the next bucket.</summary>
    public void Reset() => histogram.Reset();

    /// <summary>The recorded values: each distinct one (the lowest of its bucket, in µs) with its count, ascending.</summary>
    internal IEnumerable<(long Value, long Count)> Counts() =>
        histogram.RecordedValues().Select(v => (v.ValueIteratedTo, v.CountAtValueIteratedTo));

    /// <summary>The value at a percentile (0-100) in milliseconds; null when nothing was recorded.</summary>
    public double? Percentile(double percentile) =>
        histogram.TotalCount == 0 ? null : Math.Round(histogram.GetValueAtPercentile(percentile) / 1000.0, 3);

    public double? Mean => histogram.TotalCount == 0 ? null : Math.Round(histogram.GetMean() / 1000.0, 3);

    /// <summary>
    /// HdrHistogram's V2 encoding (uncompressed: its counts are run-length encoded already, a few hundred bytes for an
    /// hour of probes, and <see cref="LatencyCounts"/> reads them in place).
    /// </summary>
    public byte[] Encode()
    {
        encodeBuffer ??= ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        encodeBuffer.Position = 0;
        var length = histogram.Encode(encodeBuffer, HistogramEncoderV2.Instance);
        // The package exposes no array view of a buffer: read the encoded bytes back one by one.
        encodeBuffer.Position = 0;
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = encodeBuffer.Get();
        }
        return bytes;
    }

    /// <summary>A histogram from <see cref="Encode"/>'s bytes, or from the compressed form rollups had before.</summary>
    public static LatencyHistogram Decode(byte[] encoded)
    {
        if (encoded.Length == 0)
        {
            return new LatencyHistogram();
        }
        var compressed = encoded.Length >= 4 && BinaryPrimitives.ReadInt32BigEndian(encoded) == CompressedV2Cookie;
        var decoded = compressed
            ? HistogramEncoding.DecodeFromCompressedByteBuffer(ByteBuffer.Allocate(encoded), 0)
            : HistogramEncoding.DecodeFromByteBuffer(ByteBuffer.Allocate(encoded), 0, null);
        var histogram = new LongHistogram(1, HighestMicroseconds, SignificantDigits);
        histogram.Add(decoded);
        return new LatencyHistogram(histogram);
    }
}
