using System.Diagnostics;
using System.Net.Http.Headers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>
/// Real provisioning (Quartz jobs, the four drivers, the built-in vendor simulators over loopback) watched through the
/// service's progress stream, as the service page watches it.
/// </summary>
public sealed class LiveProvisioningTests : PortalTest
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public LiveProvisioningTests()
    {
        Portal.Settings["Portal:Jobs:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:Port"] = "0";
        Portal.Settings["Portal:Simulators:DeployDelay"] = "00:00:01";
        Portal.Settings["Portal:Provisioning:DeploymentPollInterval"] = "00:00:01";
    }

    [Fact]
    public async Task The_stream_follows_a_new_service_until_every_provider_has_deployed_it()
    {
        using var admin = await Portal.CreateAdminClientAsync(); // starts the host, which seeds the simulators' flavor "cdn"
        var id = await Portal.CreateServiceAsync(ServiceTestData.Spec("Live", "www.live.test", "cdn"));
        await admin.GetPageAsync($"/services/{id}");
        using var timeout = new CancellationTokenSource(Deadline);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/services/{id}/progress/events?since=create_in_progress");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await admin.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var events = new ProvisioningTestData.EventReader(await response.Content.ReadAsStreamAsync(timeout.Token));

        var seen = new List<string>();
        var elapsed = Stopwatch.StartNew();
        AngleSharp.Html.Dom.IHtmlDocument? card = null;
        while (elapsed.Elapsed < Deadline)
        {
            var next = await events.NextAsync(timeout.Token);
            Assert.True(next is not null, "The stream ended before the service was deployed.");
            card = PortalClient.Parse(next.Value.Data);
            var status = card.QuerySelector("#service-status [data-status]")!.TextContent;
            if (seen.LastOrDefault() != status)
            {
                seen.Add(status);
            }
            if (status == "deployed")
            {
                break;
            }
        }

        Assert.Equal("deployed", seen.Last());
        Assert.Equal(["sim-akamai", "sim-cloudfront", "sim-fastly", "sim-maxcdn"],
            card!.QuerySelectorAll("tr[data-provider]").Select(r => r.GetAttribute("data-provider")));
        Assert.All(card.QuerySelectorAll("tr[data-provider]"), row =>
        {
            Assert.Equal("succeeded", row.GetAttribute("data-state"));
            Assert.Equal("deployed", row.QuerySelector("[data-status]")!.TextContent);
            Assert.NotEqual("–", row.QuerySelector("[data-testid=vendor-id]")!.TextContent);
        });
        Assert.Contains("The service is now deployed", card.QuerySelector("[data-testid=status-changed]")!.TextContent);
        Assert.Equal(ServiceStatus.Deployed, (await Portal.FindServiceAsync(id))!.Status);
    }
}
