using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>
/// The Services grid's server time (issue 11's benchmark), as histograms of meter <see cref="MeterName"/>: how long
/// the catalog's search of a grid page took, and how long the server took from the grid asking for a page to the end
/// of the render batch that carries its rows (search + render + diff; not the network or the browser). Tagged
/// <c>load=first</c> for a circuit's first page and <c>load=change</c> for a later one (pager, sort, filter).
/// </summary>
/// Static rather than from IMeterFactory: the page is a component, and one meter per process is what is measured.
public static class ServicesPageMetrics
{
    public const string MeterName = "Poppy.Portal.Web.Ui";
    public const string SearchDuration = "poppy.ui.services.search.duration";
    public const string ServerDuration = "poppy.ui.services.server.duration";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> search =
        Meter.CreateHistogram<double>(SearchDuration, "ms", "The catalog's search for one page of the Services grid.");
    private static readonly Histogram<double> server =
        Meter.CreateHistogram<double>(ServerDuration, "ms", "From the Services grid asking for a page to the end of the render batch with its rows.");

    public static void RecordSearch(long startedAt, bool first) => search.Record(Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds, LoadTag(first));

    public static void RecordServer(long startedAt, bool first) => server.Record(Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds, LoadTag(first));

    private static KeyValuePair<string, object?> LoadTag(bool first) => new("load", first ? "first" : "change");
}
