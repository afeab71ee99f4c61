using System.Net;
using System.Net.Http.Headers;
using AngleSharp.Html.Dom;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>The providers page's circuit column (the jobs page and the purge form: JobsPageTests, ServiceDetailPageTests).</summary>
public sealed class ProviderCircuitPageTests : PortalTest
{
    public ProviderCircuitPageTests()
    {
        // A circuit that opens after two failed calls, so the providers page can be shown one.
        Portal.Settings["Portal:Provisioning:CircuitBreaker:MinimumThroughput"] = "2";
        Portal.Settings["Portal:Provisioning:CircuitBreaker:BreakDuration"] = "00:10:00";
        Portal.Settings["Portal:Provisioning:RetriesPerRun"] = "1";
        Portal.Settings["Portal:Provisioning:RetryBaseDelay"] = "00:00:00.010";
    }

    public override Task InitializeAsync() => Portal.SeedFlavorAsync(ServiceTestData.Flavor, "sim-akamai", "sim-fastly");

    [Fact]
    public async Task The_providers_page_shows_each_accounts_circuit_as_this_process_sees_it()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var before = await admin.GetPageAsync("/providers");
        Assert.Equal(["Closed", "Closed"], before.QuerySelectorAll("[data-testid=providers-table] td[data-circuit]").Select(td => td.TextContent.Trim()));
        Assert.Contains("as this portal process sees it", before.QuerySelector("[data-testid=circuit-note]")!.TextContent);

        // Failing requests through the account's real HTTP client open its circuit, which counts vendor requests: the
        // first answer is a 500, so is the retry of it, and the next retry meets the open circuit.
        await using (var vendor = await LoopbackOrigin.StartAsync("vendor"))
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            vendor.Failing = true;
            var fastly = (await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().FindByNameAsync("sim-fastly", CancellationToken.None))!;
            var http = scope.ServiceProvider.GetRequiredService<ProviderResilience>().HttpClientFor(fastly.Id);
            await Assert.ThrowsAsync<BrokenCircuitException>(() => http.GetAsync(vendor.Url));
            Assert.Equal(2, vendor.RequestsFor("/"));
        }

        var after = await admin.GetPageAsync("/providers");
        var circuits = after.QuerySelectorAll("[data-testid=providers-table] tbody tr")
            .ToDictionary(r => r.QuerySelector("td")!.TextContent.Trim(), r => r.QuerySelector("td[data-circuit]")!.TextContent.Trim());
        Assert.Equal("Open", circuits["sim-fastly"]);
        Assert.Equal("Closed", circuits["sim-akamai"]);
    }
}
