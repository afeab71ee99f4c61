using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Poppy.CacheTier.Agent.Nginx;

/// <summary>One entry of nginx's cache as its file says.</summary>
/// <param name="Key">The cache key stored in the file (<c>host/path?query</c>).</param>
/// <param name="ValidUntil">When nginx stops serving it as fresh.</param>
/// <param name="Status">The HTTP status nginx stored.</param>
internal sealed record CacheEntry(string Key, DateTimeOffset ValidUntil, int Status);

/// <summary>
/// nginx's cache files, read and changed directly: open-source nginx has no purge. A cached answer lives in
/// <c>{cache}/{md5[^1]}/{md5[^3..^1]}/{md5}</c> (levels=1:2), md5 over the cache key <c>$host$uri$is_args$args</c>; the
/// file starts with a binary header (<c>ngx_http_file_cache_header_t</c>, version 5 since nginx 1.7.8; on 64-bit:
/// version at 0, valid_sec at 8, header_start at 54), then <c>\nKEY: {key}\n</c>, the origin's status line and headers,
/// and the body.
/// <list type="bullet">
/// <item>Hard purge deletes the file. nginx finds it gone on the next request and fetches again (MISS).</item>
/// <item>Soft purge sets valid_sec to the past. nginx reads the header on every hit, so the next request goes to the
/// origin (EXPIRED; a 304 keeps the copy), and while the origin fails the old copy is still served (STALE), which a
/// deleted file or a new "generation" in the cache key could not do: both would throw the copy away.</item>
/// </list>
/// A file whose header is not the version this knows is deleted rather than edited (a soft purge then becomes hard).
/// </summary>
internal static class NginxCacheFiles
{
    private const long HeaderVersion = 5;
    private const int ValidSecOffset = 8;
    private const int HeaderStartOffset = 54;
    private const int ReadLength = 4096;

    public static string Md5Hex(string key) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(key)));

    public static string PathFor(string cacheDirectory, string key)
    {
        var md5 = Md5Hex(key);
        return Path.Combine(cacheDirectory, md5[^1..], md5[^3..^1], md5);
    }

    /// <summary>The cache key nginx uses for <paramref name="host"/> and a decoded path (with its raw query, if any).</summary>
    public static string Key(string host, string decodedPath, string? query) =>
        host + decodedPath + (string.IsNullOrEmpty(query) ? "" : "?" + query);

    /// <summary>The entry in <paramref name="file"/>, or null when there is none (or it is not one this can read).</summary>
    public static CacheEntry? Read(string file)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[ReadLength];
            var length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            return Parse(buffer.AsSpan(0, length));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Marks the entry stale (soft) or removes it (hard). False when there was nothing to purge.</summary>
    /// <param name="expectedKey">When given, a file holding another key (an md5 collision) is left alone.</param>
    public static bool Purge(string file, bool hard, DateTimeOffset now, string? expectedKey = null)
    {
        var entry = Read(file);
        if (!File.Exists(file) || (expectedKey is not null && entry is not null && entry.Key != expectedKey))
        {
            return false;
        }
        if (hard || entry is null)
        {
            return Delete(file);
        }
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> validSec = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(validSec, Math.Min(entry.ValidUntil.ToUnixTimeSeconds(), now.ToUnixTimeSeconds() - 1));
            stream.Seek(ValidSecOffset, SeekOrigin.Begin);
            stream.Write(validSec);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Every cache file under a service's folder (nginx's temp files, <c>{md5}.{n}</c>, are skipped).</summary>
    public static IEnumerable<string> All(string cacheDirectory) =>
        Directory.Exists(cacheDirectory)
            ? Directory.EnumerateFiles(cacheDirectory, "*", SearchOption.AllDirectories).Where(f => IsMd5(Path.GetFileName(f)))
            : [];

    internal static CacheEntry? Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderStartOffset + 2 || BinaryPrimitives.ReadInt64LittleEndian(data) != HeaderVersion)
        {
            return null;
        }
        var validSec = BinaryPrimitives.ReadInt64LittleEndian(data[ValidSecOffset..]);
        int headerStart = BinaryPrimitives.ReadUInt16LittleEndian(data[HeaderStartOffset..]);
        var keyMarker = "\nKEY: "u8;
        var keyAt = data.IndexOf(keyMarker);
        if (keyAt < 0 || headerStart > data.Length)
        {
            return null;
        }
        var keyStart = keyAt + keyMarker.Length;
        var keyEnd = data[keyStart..].IndexOf((byte)'\n');
        if (keyEnd < 0)
        {
            return null;
        }
        var key = Encoding.UTF8.GetString(data.Slice(keyStart, keyEnd));

        // "HTTP/1.1 200 OK": the status is the second word of the stored status line.
        var statusLine = data[headerStart..];
        var space = statusLine.IndexOf((byte)' ');
        var status = space >= 0 && statusLine.Length >= space + 4
            && int.TryParse(Encoding.ASCII.GetString(statusLine.Slice(space + 1, 3)), NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            ? code
            : 0;
        return new CacheEntry(key, DateTimeOffset.FromUnixTimeSeconds(validSec), status);
    }

    private static bool Delete(string file)
    {
        try
        {
            File.Delete(file);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
    }

    private static bool IsMd5(string name) => name.Length == 32 && name.All(char.IsAsciiHexDigitLower);
}
