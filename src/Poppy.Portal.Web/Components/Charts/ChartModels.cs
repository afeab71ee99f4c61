using MudBlazor;
using MudBlazor.Utilities;
using Poppy.Portal.Web.Components.Layout;

namespace Poppy.Portal.Web.Components.Charts;

public enum ApexChartType { Line, Area, Bar }

/// <summary>
/// One point: <see cref="X"/> is epoch milliseconds on a time axis or a category name; <see cref="Y"/> null leaves a gap.
/// </summary>
public sealed record ApexPoint(object X, double? Y)
{
    public static ApexPoint At(DateTimeOffset time, double? y) => new(time.ToUnixTimeMilliseconds(), y);

    public static ApexPoint Category(string name, double? y) => new(name, y);
}

/// <summary>
/// A named line (or bar set). A chart replaces its series in place when it is given a new list (compared by reference),
/// so build a new list for new data rather than changing one.
/// </summary>
public sealed record ApexSeries(string Name, IReadOnlyList<ApexPoint> Points);

/// <summary>A vertical line on the time axis with a label, e.g. the moment of a DNS switch.</summary>
public sealed record ApexMarker(DateTimeOffset At, string Label);

/// <summary>The chart colours, taken from the portal's MudBlazor palette so charts follow the theme.</summary>
public static class ApexPalette
{
    public static IReadOnlyList<string> Light { get; } = From(PortalTheme.Theme.PaletteLight);

    public static IReadOnlyList<string> Dark { get; } = From(PortalTheme.Theme.PaletteDark);

    public static IReadOnlyList<string> For(bool dark) => dark ? Dark : Light;

    private static string[] From(Palette palette) =>
        [.. new[] { palette.Primary, palette.Secondary, palette.Info, palette.Success, palette.Warning, palette.Error, palette.Tertiary }
            .Select(c => c.ToString(MudColorOutputFormats.Hex))];
}
