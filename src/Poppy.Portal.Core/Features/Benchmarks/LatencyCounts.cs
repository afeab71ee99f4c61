using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>
/// A latency histogram for rollups: the counts array of a <see cref="LatencyHistogram"/> (HdrHistogram's layout, 1 µs
/// to one hour at 3 significant digits), kept and reused across <see cref="Reset"/>s, which clear only what was used.
/// <see cref="Add"/> reads a stored histogram's non-zero counts straight into it (decoding each rollup row into a
/// histogram of its own allocated, cleared and walked a 180 KB array per row), <see cref="Encode"/> writes the same V2
/// form LatencyHistogram writes, and <see cref="Percentile"/> answers exactly what HdrHistogram's
/// <c>GetValueAtPercentile</c> answers for the same counts (tests check all three against the library).
/// </summary>
public sealed class LatencyCounts
{
    // HdrHistogram's V2 form (cookie with the 8-byte word nibble): a 40-byte header and the counts as ZigZag
    // LEB128-64b9B numbers, a negative one standing for a run of empty buckets. The "compressed V2" form is a cookie,
    // a length and the V2 form deflated (zlib).
    private const int V2Cookie = 0x1c849313;
    private const int CompressedV2Cookie = 0x1c849314;
    private const int HeaderLength = 40;

    // Lowest value 1 µs, 3 digits: 2,048 sub-buckets of 1 µs, then buckets of 1,024 sub-buckets, each twice as wide as
    // the previous bucket's, up to the highest value.
    private const int SubBucketHalfCountMagnitude = 10;
    private const int SubBucketHalfCount = 1 << SubBucketHalfCountMagnitude;
    private const long SubBucketMask = (2L * SubBucketHalfCount) - 1;
    private static readonly int CountsLength = IndexOf(LatencyHistogram.HighestMicroseconds) + 1;

    private readonly long[] counts = new long[CountsLength];
    private int highestIndex = -1;

    /// <summary>Samples added since the last reset.</summary>
    public long Count { get; private set; }

    public void Reset()
    {
        if (highestIndex >= 0)
        {
            Array.Clear(counts, 0, highestIndex + 1);
        }
        highestIndex = -1;
        Count = 0;
    }

    /// <summary>Adds a histogram as <see cref="LatencyHistogram.Encode"/> stored it (empty: nothing).</summary>
    public void Add(byte[] encoded)
    {
        if (encoded.Length == 0)
        {
            return;
        }
        var cookie = encoded.Length >= HeaderLength ? BinaryPrimitives.ReadInt32BigEndian(encoded) : 0;
        if (cookie == V2Cookie)
        {
            // The form LatencyHistogram writes: the counts are read in place.
            if (!TryAddCounts(encoded.AsSpan(0, HeaderLength), encoded.AsSpan(HeaderLength)))
            {
                AddDecoded(encoded);
            }
            return;
        }
        if (cookie != CompressedV2Cookie)
        {
            AddDecoded(encoded);
            return;
        }
        // Rows written before 2026-12-05 are deflated (around the same few hundred bytes: the counts are already
        // run-length encoded, so it saved nothing but cost an inflater per row).
        var compressedLength = BinaryPrimitives.ReadInt32BigEndian(encoded.AsSpan(4));
        using var input = new MemoryStream(encoded, 8, compressedLength, writable: false);
        using var inflater = new ZLibStream(input, CompressionMode.Decompress);
        Span<byte> header = stackalloc byte[HeaderLength];
        inflater.ReadExactly(header);
        var payloadLength = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        var payload = ArrayPool<byte>.Shared.Rent(payloadLength);
        try
        {
            inflater.ReadExactly(payload, 0, payloadLength);
            if (!TryAddCounts(header, payload.AsSpan(0, payloadLength)))
            {
                AddDecoded(encoded);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    /// <summary>Adds the counts of a V2 header and payload; false (nothing added) when the layout is not this one.</summary>
    private bool TryAddCounts(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        var payloadLength = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        var normalizingIndexOffset = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        var digits = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        var lowest = BinaryPrimitives.ReadInt64BigEndian(header[16..]);
        if (normalizingIndexOffset != 0 || digits != LatencyHistogram.SignificantDigits || lowest != 1 || payloadLength > payload.Length)
        {
            return false;
        }
        payload = payload[..payloadLength];
        var position = 0;
        var index = 0;
        while (position < payload.Length)
        {
            var count = ReadZigZag(payload, ref position);
            if (count < 0)
            {
                index += (int)-count;
                continue;
            }
            if (count > 0)
            {
                AddAt(index, count);
            }
            index++;
        }
        return true;
    }

    private void AddDecoded(byte[] encoded)
    {
        foreach (var (value, count) in LatencyHistogram.Decode(encoded).Counts())
        {
            AddAt(IndexOf(value), count);
        }
    }

    /// <summary>Records one probe time (clamped to 1 µs - one hour, as LatencyHistogram does).</summary>
    public void Record(double milliseconds) =>
        AddAt(IndexOf(Math.Clamp((long)Math.Round(milliseconds * 1000), 1, LatencyHistogram.HighestMicroseconds)), 1);

    private void AddAt(int index, long count)
    {
        counts[index] += count;
        Count += count;
        if (index > highestIndex)
        {
            highestIndex = index;
        }
    }

    /// <summary>
    /// The value at a percentile (0-100] in milliseconds, null when empty: as HdrHistogram, the highest value of the
    /// first bucket where the running count reaches percentile × count (rounded half up, at least 1).
    /// </summary>
    public double? Percentile(double percentile)
    {
        if (Count == 0)
        {
            return null;
        }
        var rank = Math.Max((long)((Math.Min(percentile, 100) / 100 * Count) + 0.5), 1);
        long running = 0;
        for (var i = 0; i <= highestIndex; i++)
        {
            running += counts[i];
            if (running >= rank)
            {
                var (lowestValue, width) = BucketAt(i);
                return Math.Round((lowestValue + width - 1) / 1000.0, 3);
            }
        }
        return null;
    }

    /// <summary>The mean in milliseconds (each bucket at its middle value), null when empty.</summary>
    public double? Mean
    {
        get
        {
            if (Count == 0)
            {
                return null;
            }
            double sum = 0;
            for (var i = 0; i <= highestIndex; i++)
            {
                if (counts[i] != 0)
                {
                    var (lowestValue, width) = BucketAt(i);
                    sum += counts[i] * (lowestValue + (width / 2));
                }
            }
            return Math.Round(sum / Count / 1000.0, 3);
        }
    }

    /// <summary>HdrHistogram's V2 form (uncompressed), as <see cref="LatencyHistogram.Encode"/> writes it.</summary>
    public byte[] Encode()
    {
        var payload = new ArrayBufferWriter<byte>(64 + (highestIndex / 2));
        for (var i = 0; i <= highestIndex;)
        {
            if (counts[i] != 0)
            {
                WriteZigZag(payload, counts[i++]);
                continue;
            }
            var zeros = 0;
            while (i <= highestIndex && counts[i] == 0)
            {
                zeros++;
                i++;
            }
            WriteZigZag(payload, zeros == 1 ? 0 : -zeros);
        }
        var bytes = new byte[HeaderLength + payload.WrittenCount];
        var header = bytes.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(header, V2Cookie);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], payload.WrittenCount);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], 0);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], LatencyHistogram.SignificantDigits);
        BinaryPrimitives.WriteInt64BigEndian(header[16..], 1);
        BinaryPrimitives.WriteInt64BigEndian(header[24..], LatencyHistogram.HighestMicroseconds);
        BinaryPrimitives.WriteDoubleBigEndian(header[32..], 1.0);
        payload.WrittenSpan.CopyTo(bytes.AsSpan(HeaderLength));
        return bytes;
    }

    private static void WriteZigZag(ArrayBufferWriter<byte> writer, long signed)
    {
        var value = (ulong)((signed << 1) ^ (signed >> 63));
        var span = writer.GetSpan(9);
        var length = 0;
        while (length < 8 && value >= 0x80)
        {
            span[length++] = (byte)((value & 0x7F) | 0x80);
            value >>= 7;
        }
        span[length++] = (byte)value;
        writer.Advance(length);
    }

    /// <summary>The lowest value counted at an index and the width of its bucket (µs).</summary>
    private static (long Lowest, long Width) BucketAt(int index)
    {
        var bucket = (index >> SubBucketHalfCountMagnitude) - 1;
        var subBucket = (index & (SubBucketHalfCount - 1)) + SubBucketHalfCount;
        if (bucket < 0)
        {
            subBucket -= SubBucketHalfCount;
            bucket = 0;
        }
        return ((long)subBucket << bucket, 1L << bucket);
    }

    private static int IndexOf(long value)
    {
        var bucket = 63 - BitOperations.LeadingZeroCount((ulong)(value | SubBucketMask)) - SubBucketHalfCountMagnitude;
        var subBucket = (int)(value >> bucket);
        return ((bucket + 1) << SubBucketHalfCountMagnitude) + (subBucket - SubBucketHalfCount);
    }

    /// <summary>HdrHistogram's ZigZag LEB128-64b9B: 7 bits a byte for eight bytes, all 8 bits of a ninth.</summary>
    private static long ReadZigZag(ReadOnlySpan<byte> buffer, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = buffer[position++];
            if (shift == 56)
            {
                value |= (ulong)b << 56;
                break;
            }
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }
        }
        return (long)(value >> 1) ^ -(long)(value & 1);
    }
}
