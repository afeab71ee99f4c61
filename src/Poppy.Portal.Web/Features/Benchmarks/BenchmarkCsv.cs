using System.Globalization;
using System.Text;
using Poppy.Portal.Core.Features.Benchmarks;

namespace Poppy.Portal.Web.Features.Benchmarks;

/// <summary>The CSV of what the latency chart shows: one row per provider and step (UTC times, milliseconds).</summary>
public static class BenchmarkCsv
{
    public const string Header = "provider,time_utc,samples,p50_ms,p95_ms,errors";

    public static string Write(IReadOnlyList<ProviderBenchmark> providers)
    {
        var csv = new StringBuilder().Append(Header).Append('\n');
        foreach (var provider in providers)
        {
            foreach (var point in provider.Series)
            {
                csv.Append(Field(provider.Provider)).Append(',')
                    .Append(point.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)).Append(',')
                    .Append(point.Samples.ToString(CultureInfo.InvariantCulture)).Append(',')
                    .Append(Number(point.P50Ms)).Append(',')
                    .Append(Number(point.P95Ms)).Append(',')
                    .Append(point.Errors.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        return csv.ToString();
    }

    public static string FileName(string scope, BenchmarkWindow window, DateTimeOffset until) =>
        $"benchmarks-{Safe(scope)}-{window.Name}-{until.UtcDateTime:yyyyMMdd-HHmm}.csv";

    private static string Number(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";

    // RFC 4180 quoting; a leading formula character is neutralised so a spreadsheet does not evaluate it.
    private static string Field(string value)
    {
        if (value.Length > 0 && "=+-@".Contains(value[0], StringComparison.Ordinal))
        {
            value = "'" + value;
        }
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string Safe(string scope) => new([.. scope.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-')]);
}
