using Bunit;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Web.Features.Services;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>
/// Real provisioning (Quartz jobs, the four drivers, the built-in vendor simulators over loopback) watched by the
/// service page in its circuit: the page follows the new service until every provider has deployed it, without a reload.
/// </summary>
public sealed class LiveServicePageTests : LivePageTest
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public LiveServicePageTests()
    {
        Portal.Settings["Portal:Jobs:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:Port"] = "0";
        Portal.Settings["Portal:Simulators:DeployDelay"] = "00:00:01";
        Portal.Settings["Portal:Provisioning:DeploymentPollInterval"] = "00:00:01";
    }

    [Fact]
    public async Task The_page_follows_a_new_service_until_every_provider_has_deployed_it()
    {
        // The host seeds the simulators' flavor "cdn" when it starts (base.InitializeAsync started it).
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Live", "www.live.test", "cdn"));
        var page = await RenderLiveAsync<ServiceDetailPage>(p => p.Add(x => x.Id, id));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=provisioning]")), Patience);
        var seen = new List<string>();
        page.OnMarkupUpdated += (_, _) =>
        {
            var status = page.FindAll("[data-testid=service-status] [data-status]").FirstOrDefault()?.TextContent;
            if (status is not null && seen.LastOrDefault() != status)
            {
                seen.Add(status);
            }
        };

        page.WaitForAssertion(() => Assert.Equal("deployed", page.Find("[data-testid=service-status] [data-status]").TextContent), Deadline);

        Assert.Equal(ServiceStatus.Deployed, (await Portal.FindServiceAsync(id))!.Status);
        Assert.Equal(["sim-akamai", "sim-cloudfront", "sim-fastly", "sim-maxcdn"],
            page.FindAll("[data-testid=providers-table] [data-provider]").Select(r => r.GetAttribute("data-provider")));
        Assert.All(page.FindAll("[data-testid=providers-table] [data-provider]"), row =>
        {
            Assert.Equal("succeeded", row.GetAttribute("data-state"));
            Assert.Equal("deployed", row.QuerySelector("[data-status]")!.TextContent);
            Assert.NotEqual("–", row.QuerySelector("[data-testid=vendor-id]")!.TextContent);
        });
        // The whole page followed: Edit and Purge are enabled, and every provider's CNAME target is listed for the domain.
        Assert.False(page.Find("[data-testid=edit]").HasAttribute("disabled"));
        Assert.False(page.Find("[data-testid=purge]").HasAttribute("disabled"));
        Assert.Equal(4, page.FindAll("[data-domain='www.live.test'] [data-testid=cname-target]").Count);
        Assert.Equal("deployed", seen.Last());
    }
}
