using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Components.Charts;

public sealed partial class ApexChart
{
    public const string ModulePath = "./dist/apexchart.js";

    private ElementReference element;
    private IJSObjectReference? module;
    private int? handle;
    private IReadOnlyList<ApexSeries>? renderedSeries;
    private IReadOnlyList<ApexMarker>? renderedMarkers;
    private string? renderedShape;
    private bool? renderedDark;
    private bool disposed;

    [Parameter] public ApexChartType Type { get; set; } = ApexChartType.Line;

    [Parameter, EditorRequired] public IReadOnlyList<ApexSeries> Series { get; set; } = [];

    /// <summary>Whether X values are times (epoch milliseconds) or category names.</summary>
    [Parameter] public bool CategoryAxis { get; set; }

    /// <summary>The unit of the values (e.g. "ms"), shown on the axis labels and tooltips.</summary>
    [Parameter] public string? YUnit { get; set; }

    [Parameter] public string? YTitle { get; set; }

    [Parameter] public IReadOnlyList<ApexMarker> Markers { get; set; } = [];

    [Parameter] public int Height { get; set; } = 300;

    /// <summary>What the chart shows, for screen readers.</summary>
    [Parameter] public string? Label { get; set; }

    /// <summary>Overrides the cascaded colour scheme.</summary>
    [Parameter] public bool? DarkMode { get; set; }

    [CascadingParameter] private WorkingContext? Working { get; set; }

    [Parameter(CaptureUnmatchedValues = true)] public IReadOnlyDictionary<string, object>? AdditionalAttributes { get; set; }

    private bool Dark => DarkMode ?? Working?.ColorScheme == "dark";

    // Type, axis, unit and height: what else than the data an update must carry.
    private string Shape => $"{Type}|{CategoryAxis}|{YUnit}|{YTitle}|{Height}";

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (disposed)
        {
            return;
        }
        try
        {
            if (firstRender)
            {
                // What is drawn is what was current when the call started; parameters that change meanwhile are sent
                // as an update just below.
                var (series, markers, shape, dark) = (Series, Markers, Shape, Dark);
                var config = Config(withSeries: true);
                module = await JS.InvokeAsync<IJSObjectReference>("import", ModulePath);
                handle = await module.InvokeAsync<int>("render", element, config);
                (renderedSeries, renderedMarkers, renderedShape, renderedDark) = (series, markers, shape, dark);
                if (disposed)
                {
                    // The component went away while the chart was being drawn: take the chart with it.
                    await DisposeAsync();
                    return;
                }
            }
            if (module is null || handle is null)
            {
                return;
            }
            if (!ReferenceEquals(Series, renderedSeries) || !ReferenceEquals(Markers, renderedMarkers) || Shape != renderedShape)
            {
                var (series, markers, shape, dark) = (Series, Markers, Shape, Dark);
                await module.InvokeVoidAsync("update", handle, series.Select(Json).ToList(), Config(withSeries: false));
                (renderedSeries, renderedMarkers, renderedShape) = (series, markers, shape);
                if (dark != renderedDark)
                {
                    await module.InvokeVoidAsync("setTheme", handle, dark ? "dark" : "light", ApexPalette.For(dark));
                    renderedDark = dark;
                }
            }
            else if (Dark != renderedDark)
            {
                var dark = Dark;
                await module.InvokeVoidAsync("setTheme", handle, dark ? "dark" : "light", ApexPalette.For(dark));
                renderedDark = dark;
            }
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone; so is the browser's chart.
        }
        catch (TaskCanceledException)
        {
        }
    }

    private object Config(bool withSeries) => new
    {
        type = Type.ToString().ToLowerInvariant(),
        height = Height,
        xType = CategoryAxis ? "category" : "datetime",
        unit = YUnit ?? "",
        yTitle = YTitle ?? "",
        label = Label ?? "",
        markers = Markers.Select(m => new { x = m.At.ToUnixTimeMilliseconds(), label = m.Label }).ToList(),
        mode = Dark ? "dark" : "light",
        colors = ApexPalette.For(Dark),
        series = withSeries ? Series.Select(Json).ToList() : null,
    };

    private static object Json(ApexSeries series) => new { name = series.Name, data = series.Points.Select(p => new { x = p.X, y = p.Y }).ToList() };

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        if (module is null)
        {
            return;
        }
        try
        {
            if (handle is not null)
            {
                await module.InvokeVoidAsync("dispose", handle);
            }
            await module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The browser went away first: nothing left to clean up there.
        }
        catch (TaskCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception failure) when (failure is JSException)
        {
            Logger.LogDebug(failure, "Disposing a chart failed in the browser");
        }
    }
}
