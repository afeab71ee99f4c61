using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Poppy.Portal.Web.Components.Charts;

namespace Poppy.Portal.Web.Tests.Components.Charts;

/// <summary>
/// The ApexChart component against a planned JS module: it imports the module once, renders once, replaces the series
/// in place when it gets a new list (never rendering again), follows the colour scheme and destroys the chart with itself.
/// </summary>
public sealed class ApexChartTests : BunitContext
{
    private const int Handle = 42;
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);
    private readonly BunitJSModuleInterop module;

    public ApexChartTests()
    {
        JSInterop.Mode = JSRuntimeMode.Strict;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        module = JSInterop.SetupModule(ApexChart.ModulePath);
        module.Setup<int>("render", _ => true).SetResult(Handle);
        module.SetupVoid("update", _ => true).SetVoidResult();
        module.SetupVoid("setTheme", _ => true).SetVoidResult();
        module.SetupVoid("dispose", _ => true).SetVoidResult();
    }

    private static IReadOnlyList<ApexSeries> Latency(params double[] p95) =>
        [new ApexSeries("p95", [.. p95.Select((y, i) => ApexPoint.At(T0.AddMinutes(i), y))])];

    private IRenderedComponent<ApexChart> RenderChart(IReadOnlyList<ApexSeries> series, bool dark = false) =>
        Render<ApexChart>(p => p
            .Add(c => c.Type, ApexChartType.Area)
            .Add(c => c.Series, series)
            .Add(c => c.YUnit, "ms")
            .Add(c => c.Markers, [new ApexMarker(T0.AddMinutes(1), "switch to fastly")])
            .Add(c => c.DarkMode, dark)
            .Add(c => c.Height, 250));

    private static JsonElement Json(object? argument) => JsonSerializer.SerializeToElement(argument, JsonSerializerOptions.Web);

    private static List<(string Name, List<(long X, double? Y)> Points)> SeriesOf(JsonElement series) =>
        [.. series.EnumerateArray().Select(s => (s.GetProperty("name").GetString()!,
            s.GetProperty("data").EnumerateArray().Select(p => (p.GetProperty("x").GetInt64(), p.GetProperty("y").ValueKind == JsonValueKind.Null ? (double?)null : p.GetProperty("y").GetDouble())).ToList()))];

    [Fact]
    public void The_first_render_imports_the_module_once_and_draws_the_series_with_the_options()
    {
        var chart = RenderChart(Latency(12.5, 30));

        Assert.Single(JSInterop.Invocations["import"]);
        var render = Assert.Single(module.Invocations["render"]);
        render.Arguments[0].ShouldBeElementReferenceTo(chart.Find("div.apexchart"));
        var config = Json(render.Arguments[1]);
        Assert.Equal("area", config.GetProperty("type").GetString());
        Assert.Equal(250, config.GetProperty("height").GetInt32());
        Assert.Equal("datetime", config.GetProperty("xType").GetString());
        Assert.Equal("ms", config.GetProperty("unit").GetString());
        Assert.Equal("light", config.GetProperty("mode").GetString());
        Assert.Equal(ApexPalette.Light, config.GetProperty("colors").EnumerateArray().Select(c => c.GetString()));
        var marker = Assert.Single(config.GetProperty("markers").EnumerateArray());
        Assert.Equal(T0.AddMinutes(1).ToUnixTimeMilliseconds(), marker.GetProperty("x").GetInt64());
        Assert.Equal("switch to fastly", marker.GetProperty("label").GetString());
        var series = Assert.Single(SeriesOf(config.GetProperty("series")));
        Assert.Equal("p95", series.Name);
        Assert.Equal(new List<(long X, double? Y)> { (T0.ToUnixTimeMilliseconds(), 12.5), (T0.AddMinutes(1).ToUnixTimeMilliseconds(), 30) }, series.Points);
        Assert.Empty(module.Invocations["update"]);
    }

    [Fact]
    public void A_new_series_list_is_replaced_in_place_without_rendering_again()
    {
        var chart = RenderChart(Latency(12.5));

        chart.Render(p => p.Add(c => c.Series, Latency(12.5, 40, 41)));

        var update = Assert.Single(module.Invocations["update"]);
        Assert.Equal(Handle, update.Arguments[0]);
        var series = Assert.Single(SeriesOf(Json(update.Arguments[1])));
        Assert.Equal(new double?[] { 12.5, 40, 41 }, series.Points.Select(p => p.Y));
        Assert.Single(module.Invocations["render"]);
        Assert.Single(JSInterop.Invocations["import"]);
    }

    [Fact]
    public void Rendering_again_with_the_same_series_does_not_update_the_chart()
    {
        var series = Latency(1, 2);
        var chart = RenderChart(series);

        chart.Render(p => p.Add(c => c.Series, series).Add(c => c.Label, "same data, another label"));

        Assert.Empty(module.Invocations["update"]);
        Assert.Single(module.Invocations["render"]);
    }

    [Fact]
    public void Switching_to_dark_sets_the_theme_and_the_dark_palette_in_place()
    {
        var series = Latency(1, 2);
        var chart = RenderChart(series);

        chart.Render(p => p.Add(c => c.Series, series).Add(c => c.DarkMode, true));

        var theme = Assert.Single(module.Invocations["setTheme"]);
        Assert.Equal(Handle, theme.Arguments[0]);
        Assert.Equal("dark", theme.Arguments[1]);
        Assert.Equal(ApexPalette.Dark, (IReadOnlyList<string>)theme.Arguments[2]!);
        Assert.NotEqual(ApexPalette.Light, ApexPalette.Dark);
        Assert.Single(module.Invocations["render"]);
    }

    [Fact]
    public async Task The_chart_is_destroyed_with_the_component()
    {
        RenderChart(Latency(1));

        await DisposeComponentsAsync();

        var dispose = Assert.Single(module.Invocations["dispose"]);
        Assert.Equal(Handle, dispose.Arguments[0]);
    }
}

/// <summary>Parameters that change while the browser is still drawing the first chart reach it as an update.</summary>
public sealed class ApexChartSlowRenderTests : BunitContext
{
    [Fact]
    public void Series_given_during_the_first_render_are_sent_as_an_update_once_it_is_drawn()
    {
        JSInterop.Mode = JSRuntimeMode.Strict;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var module = JSInterop.SetupModule(ApexChart.ModulePath);
        var render = module.Setup<int>("render", _ => true);
        module.SetupVoid("update", _ => true).SetVoidResult();
        module.SetupVoid("dispose", _ => true).SetVoidResult();
        var chart = Render<ApexChart>(p => p.Add(c => c.Series, [new ApexSeries("p50", [ApexPoint.Category("a", 1)])]).Add(c => c.CategoryAxis, true));

        chart.Render(p => p.Add(c => c.Series, [new ApexSeries("p50", [ApexPoint.Category("a", 1), ApexPoint.Category("b", 2)])]));
        Assert.Empty(module.Invocations["update"]);
        render.SetResult(7);

        chart.WaitForAssertion(() =>
        {
            var update = Assert.Single(module.Invocations["update"]);
            Assert.Equal(7, update.Arguments[0]);
            var points = JsonSerializer.SerializeToElement(update.Arguments[1], JsonSerializerOptions.Web)[0].GetProperty("data");
            Assert.Equal(2, points.GetArrayLength());
        });
        Assert.Single(module.Invocations["render"]);
    }
}

/// <summary>A circuit that is gone when the component is disposed: disposal must not fail.</summary>
public sealed class ApexChartDisconnectedTests : BunitContext
{
    [Fact]
    public async Task Disposing_after_the_browser_went_away_does_not_throw()
    {
        JSInterop.Mode = JSRuntimeMode.Strict;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        var module = JSInterop.SetupModule(ApexChart.ModulePath);
        module.Setup<int>("render", _ => true).SetResult(1);
        module.SetupVoid("dispose", _ => true).SetException(new JSDisconnectedException("The circuit is gone."));
        Render<ApexChart>(p => p.Add(c => c.Series, [new ApexSeries("p50", [ApexPoint.Category("a", 1)])]).Add(c => c.CategoryAxis, true));

        await DisposeComponentsAsync();

        Assert.Single(module.Invocations["dispose"]);
    }
}
