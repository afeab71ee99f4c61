using System.Text.Json;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Components.Charts;
using Poppy.Portal.Web.Features.Dashboard;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Components.Dashboard;

/// <summary>
/// The dashboard's cards over services and operations made through the real services (and operations driven by their
/// own state changes), the project boundary, and the response-time chart refreshed in place by the page's timer.
/// </summary>
public sealed class DashboardPageTests : PortalComponentTest
{
    private readonly BunitJSModuleInterop chart;

    public DashboardPageTests()
    {
        Services.AddSingleton(_ => Portal.Services.GetRequiredService<RequestTimings>());
        Services.AddSingleton<TimeProvider>(Portal.Clock);
        chart = JSInterop.SetupModule(ApexChart.ModulePath);
        chart.Setup<int>("render", _ => true).SetResult(1);
        chart.SetupVoid("update", _ => true).SetVoidResult();
    }

    /// <summary>
    /// In alpha: one service deployed and one failed (administrator overrides, which cancel their operations), one
    /// still queued, one whose operations failed now and one whose operations failed 30 hours ago; in beta one more.
    /// </summary>
    private async Task SeedAsync()
    {
        await Portal.SeedFlavorAsync(ServiceTestData.Flavor, "fastly-main", "akamai-main");
        await Portal.CreateProjectAsync("beta");
        var deployed = await Portal.CreateServiceAsync(ServiceTestData.Spec("deployed", "deployed.example.com"));
        var failed = await Portal.CreateServiceAsync(ServiceTestData.Spec("failed", "failed.example.com"));
        await Portal.CreateServiceAsync(ServiceTestData.Spec("queued", "queued.example.com"));
        var failedNow = await Portal.CreateServiceAsync(ServiceTestData.Spec("failed-now", "failed-now.example.com"));
        var failedLongAgo = await Portal.CreateServiceAsync(ServiceTestData.Spec("failed-long-ago", "failed-long-ago.example.com"));
        await Portal.CreateServiceAsync(ServiceTestData.Spec("beta-queued", "beta-queued.example.com"), "beta");
        await Portal.SetServiceStatusAsync(deployed, ProviderStatus.Deployed);
        await Portal.SetServiceStatusAsync(failed, ProviderStatus.Failed);

        await using var scope = Portal.Services.CreateAsyncScope(Actor.System("test"));
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var now = Portal.Clock.GetUtcNow();
        foreach (var (service, at) in new[] { (failedNow, now.AddMinutes(-5)), (failedLongAgo, now.AddHours(-30)) })
        {
            foreach (var operation in await db.Set<ProvisioningOperation>().Where(o => o.ServiceId == service).ToListAsync())
            {
                operation.Start(OperationStep.Applying, at);
                operation.Fail("The vendor refused the change.", at);
            }
        }
        await db.SaveChangesAsync();
    }

    private static Dictionary<string, int> ByStatus(IRenderedComponent<DashboardPage> page) =>
        page.FindAll("[data-testid=services-by-status]").ToDictionary(c => c.GetAttribute("data-status")!, c => int.Parse(c.GetAttribute("data-count")!));

    [Fact]
    public async Task The_cards_count_the_current_projects_services_and_operations()
    {
        await SeedAsync();

        var page = await RenderPageAsync<DashboardPage>();

        Assert.Equal("5", page.Find("[data-testid=services-total]").TextContent.Trim());
        Assert.Equal(new Dictionary<string, int> { ["create_in_progress"] = 3, ["deployed"] = 1, ["failed"] = 1 }, ByStatus(page));
        // The queued service's two providers; beta's queued operations are not alpha's.
        Assert.Equal("2", page.Find("[data-testid=open-operations]").TextContent.Trim());
        // The two operations that failed five minutes ago; those of 30 hours ago are outside the day.
        Assert.Equal("2", page.Find("[data-testid=failed-operations]").TextContent.Trim());
        var circuits = page.FindAll("[data-testid=provider-circuit]");
        Assert.Equal(["akamai-main", "fastly-main"], circuits.Select(c => c.GetAttribute("data-provider")));
        Assert.All(circuits, c => Assert.Equal("closed", c.GetAttribute("data-circuit")));
    }

    [Fact]
    public async Task A_viewer_sees_the_dashboard_of_their_project()
    {
        await SeedAsync();
        await SignInAsNewUserAsync(PortalRoles.Viewer);

        var page = await RenderPageAsync<DashboardPage>();

        Assert.Equal("Dashboard", page.Find("h1").TextContent.Trim());
        Assert.Equal("5", page.Find("[data-testid=services-total]").TextContent.Trim());
        Assert.Equal("2", page.Find("[data-testid=failed-operations]").TextContent.Trim());
    }

    [Fact]
    public async Task The_timer_refreshes_the_cards_and_replaces_the_chart_series_in_place()
    {
        await SeedAsync();
        Portal.Services.GetRequiredService<RequestTimings>().Record("/services", TimeSpan.FromMilliseconds(12));

        var page = await RenderPageAsync<DashboardPage>(p => p.Add(d => d.RefreshEvery, TimeSpan.FromMilliseconds(100)));
        var rendered = JsonSerializer.SerializeToElement(Assert.Single(chart.Invocations["render"]).Arguments[1], JsonSerializerOptions.Web);
        Assert.Equal(["p50", "p95"], rendered.GetProperty("series").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(12, rendered.GetProperty("series")[1].GetProperty("data")[0].GetProperty("y").GetDouble());

        await Portal.CreateServiceAsync(ServiceTestData.Spec("created-later", "created-later.example.com"));
        Portal.Services.GetRequiredService<RequestTimings>().Record("/services", TimeSpan.FromMilliseconds(50));

        page.WaitForAssertion(() => Assert.Equal("6", page.Find("[data-testid=services-total]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        page.WaitForAssertion(() =>
        {
            var update = chart.Invocations["update"].Last();
            var p95 = JsonSerializer.SerializeToElement(update.Arguments[1], JsonSerializerOptions.Web)[1].GetProperty("data");
            Assert.Equal(50, p95[p95.GetArrayLength() - 1].GetProperty("y").GetDouble());
        }, TimeSpan.FromSeconds(10));
        Assert.Single(chart.Invocations["render"]);
        Assert.Equal("4", page.Find("[data-testid=open-operations]").TextContent.Trim());
    }
}
