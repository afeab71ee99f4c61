using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Components.Charts;
using Poppy.Portal.Web.Features.Benchmarks;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Components.Benchmarks;

/// <summary>
/// The provider performance board over probe samples stored and rolled up as the probe job does (RollupBuilder on the
/// portal's clock): the project's board, one service's, the empty state and the CSV of what the chart shows.
/// </summary>
public sealed class BenchmarksPageTests : PortalComponentTest
{
    private readonly BunitJSModuleInterop module;
    private Guid siteA, siteB;
    private DateTimeOffset probedAt;

    public BenchmarksPageTests()
    {
        Services.AddSingleton<TimeProvider>(Portal.Clock);
        module = JSInterop.SetupModule(ApexChart.ModulePath);
        module.Setup<int>("render", _ => true).SetResult(1);
        module.SetupVoid("update", _ => true).SetVoidResult();
        module.SetupVoid("download", _ => true).SetVoidResult();
    }

    /// <summary>
    /// Ten minutes ago: site A's fastly edge answered 3 probes (2 cache hits) and failed 1, its akamai edge answered 2;
    /// site B's fastly edge answered 2. Then the minute rollups are built.
    /// </summary>
    private async Task SeedSamplesAsync()
    {
        await SeedServicesAsync();
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System("test"));
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var accounts = await db.Set<ProviderAccount>().ToDictionaryAsync(a => a.Name, a => a.Id);
        probedAt = Portal.Clock.GetUtcNow().AddMinutes(-10);
        ProbeSample Sample(Guid service, string provider, double? ms, string? cache = null) => new()
        {
            ServiceId = service, ProviderAccountId = accounts[provider], ProviderName = provider, At = probedAt,
            Outcome = ms is null ? ProbeOutcome.Error : ProbeOutcome.Ok, TotalMs = ms ?? 5000, FirstByteMs = ms, Status = ms is null ? 503 : 200,
            CacheStatus = cache, Error = ms is null ? "503 from the edge" : null,
        };
        db.AddRange(
            Sample(siteA, "fastly-main", 20, "hit"), Sample(siteA, "fastly-main", 30, "hit"), Sample(siteA, "fastly-main", 40, "miss"), Sample(siteA, "fastly-main", null),
            Sample(siteA, "akamai-main", 80, "miss"), Sample(siteA, "akamai-main", 100, "miss"),
            Sample(siteB, "fastly-main", 60, "hit"), Sample(siteB, "fastly-main", 60, "hit"));
        await db.SaveChangesAsync();
        await Portal.Services.GetRequiredService<RollupBuilder>().RunAsync(default);
    }

    private async Task SeedServicesAsync()
    {
        await Portal.SeedFlavorAsync(ServiceTestData.Flavor, "fastly-main", "akamai-main");
        siteA = await Portal.CreateServiceAsync(ServiceTestData.Spec("site-a", "a.example.com"));
        siteB = await Portal.CreateServiceAsync(ServiceTestData.Spec("site-b", "b.example.com"));
    }

    private void NavigateTo(string uri) => Services.GetRequiredService<NavigationManager>().NavigateTo(uri);

    private static Dictionary<string, string> Column(IRenderedComponent<BenchmarksPage> page, string testId) =>
        page.FindAll("[data-testid=provider-table] tbody tr").ToDictionary(
            row => row.QuerySelector("[data-testid=provider-name]")!.TextContent.Trim(),
            row => row.QuerySelector($"[data-testid={testId}]")!.TextContent.Trim());

    private List<string?> RenderedSeriesNames()
    {
        var config = JsonSerializer.SerializeToElement(Assert.Single(module.Invocations["render"]).Arguments[1], JsonSerializerOptions.Web);
        return [.. config.GetProperty("series").EnumerateArray().Select(s => s.GetProperty("name").GetString())];
    }

    [Fact]
    public async Task The_project_board_charts_every_providers_latency_over_all_services()
    {
        await SeedSamplesAsync();

        var page = await RenderPageAsync<BenchmarksPage>();

        Assert.Equal(["akamai-main p50", "akamai-main p95", "fastly-main p50", "fastly-main p95"], RenderedSeriesNames());
        Assert.Equal(new Dictionary<string, string> { ["akamai-main"] = "2", ["fastly-main"] = "6" }, Column(page, "provider-samples"));
        // fastly: 5 of 6 probes served, 4 of those 5 from the cache; akamai: all served, none from the cache.
        Assert.Equal(new Dictionary<string, string> { ["akamai-main"] = "100 %", ["fastly-main"] = "83.3 %" }, Column(page, "provider-availability"));
        Assert.Equal(new Dictionary<string, string> { ["akamai-main"] = "0 %", ["fastly-main"] = "80 %" }, Column(page, "provider-cache-hits"));
    }

    [Fact]
    public async Task A_service_chosen_in_the_url_shows_its_own_providers_figures()
    {
        await SeedSamplesAsync();
        await SignInAsNewUserAsync(PortalRoles.Viewer);
        NavigateTo($"/benchmarks?window=24h&service={siteB}");

        var page = await RenderPageAsync<BenchmarksPage>();

        Assert.Contains("site-b", page.Find("[data-testid=board-scope]").TextContent);
        Assert.Contains("5 min per point", page.Find("[data-testid=board-scope]").TextContent);
        Assert.Equal(new Dictionary<string, string> { ["akamai-main"] = "0", ["fastly-main"] = "2" }, Column(page, "provider-samples"));
        // A provider without samples has no line.
        Assert.Equal(["fastly-main p50", "fastly-main p95"], RenderedSeriesNames());
    }

    [Fact]
    public async Task Without_samples_the_page_says_that_probes_start_once_services_are_deployed()
    {
        await SeedServicesAsync();

        var page = await RenderPageAsync<BenchmarksPage>();

        Assert.Contains("Probes start once services are deployed", page.Find("[data-testid=empty-state]").TextContent);
        Assert.Empty(module.Invocations["render"]);
        Assert.Empty(page.FindAll("[data-testid=export-csv]"));
    }

    [Fact]
    public async Task Export_downloads_the_csv_of_what_the_chart_shows()
    {
        await SeedSamplesAsync();
        NavigateTo($"/benchmarks?service={siteA}");
        var page = await RenderPageAsync<BenchmarksPage>();

        await page.Find("[data-testid=export-csv] ").ClickAsync(new());

        var download = Assert.Single(module.Invocations["download"]);
        Assert.StartsWith("benchmarks-site-a-1h-", (string)download.Arguments[0]!);
        var lines = ((string)download.Arguments[1]!).TrimEnd('\n').Split('\n');
        Assert.Equal(BenchmarkCsv.Header, lines[0]);
        var minute = RollupBuilder.Floor(probedAt, TimeSpan.FromMinutes(1)).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ");
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(["akamai-main", "fastly-main"], rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.Equal(minute, r[1]));
        Assert.Equal(["2", "4"], rows.Select(r => r[2]));
        Assert.Equal(["0", "1"], rows.Select(r => r[5]));
        Assert.All(rows, r => Assert.True(double.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture) <= double.Parse(r[4], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Csv_fields_are_quoted_and_formulas_neutralised()
    {
        var point = new BenchmarkPoint(new DateTimeOffset(2026, 12, 4, 10, 5, 0, TimeSpan.Zero), 3, 12.3456, null, 1);
        var csv = BenchmarkCsv.Write([new ProviderBenchmark("=cmd,\"x\"", Guid.NewGuid(), 3, 1, 0, 12, 13, 14, 0.66, 0.5, [point])]);

        Assert.Equal(BenchmarkCsv.Header + "\n\"'=cmd,\"\"x\"\"\",2026-12-04T10:05:00Z,3,12.346,,1\n", csv);
    }
}
