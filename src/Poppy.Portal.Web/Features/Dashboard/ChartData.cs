namespace Poppy.Portal.Web.Features.Dashboard;

/// <summary>The JSON shape the front-end chart module (wwwroot-assets/src/charts.js) renders with ApexCharts.</summary>
public sealed record ChartData(string Type, string Title, string Unit, IReadOnlyList<string> Categories, IReadOnlyList<ChartSeries> Series);

public sealed record ChartSeries(string Name, IReadOnlyList<double> Data);
