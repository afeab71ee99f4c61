using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Simulators;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Web.Features.Providers;
using Poppy.Portal.Web.Tests.Api;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>
/// A portal that really provisions: Quartz jobs on, the built-in simulators started beside it on a free port (seeding
/// the four simulator accounts and flavor "cdn", as in Development), and retry, poll and circuit timings shortened
/// from seconds to milliseconds so faults play out quickly.
/// </summary>
public class ProvisioningPortal : IAsyncLifetime
{
    public const string Flavor = DevelopmentSimulators.FlavorId;

    public PortalFactory Portal { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public SimulatorHost Simulators => Portal.Services.GetServices<IHostedService>().OfType<DevelopmentSimulators>().Single().Host!;

    /// <summary>A SQLite portal; a subclass may put it elsewhere.</summary>
    protected virtual Task<PortalFactory> CreatePortalAsync() => Task.FromResult(new PortalFactory());

    /// <summary>Provisioning settings for tests: jobs on, and every wait cut to milliseconds.</summary>
    public static void UseFastProvisioning(PortalFactory portal)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Portal:Jobs:Enabled"] = "true",
            ["Portal:Provisioning:RetryBaseDelay"] = "00:00:00.020",
            ["Portal:Provisioning:RetryMaxDelay"] = "00:00:01",
            ["Portal:Provisioning:RescheduleDelay"] = "00:00:00.200",
            ["Portal:Provisioning:DeploymentPollInterval"] = "00:00:00.200",
            ["Portal:Provisioning:AttemptTimeout"] = "00:00:05",
            ["Portal:Provisioning:CircuitBreaker:MinimumThroughput"] = "4",
            ["Portal:Provisioning:CircuitBreaker:SamplingDuration"] = "00:00:05",
            ["Portal:Provisioning:CircuitBreaker:BreakDuration"] = "00:00:01",
        };
        foreach (var (key, value) in settings)
        {
            portal.Settings[key] = value;
        }
    }

    public virtual async Task InitializeAsync()
    {
        Portal = await CreatePortalAsync();
        UseFastProvisioning(Portal);
        Portal.Settings["Portal:Simulators:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:Port"] = "0";
        Portal.Settings["Portal:Simulators:DeployDelay"] = "00:00:00.300";
        Admin = await Portal.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, PortalFactory.FirstProject);
        using var limit = await Admin.PutAsJsonAsync($"/v1.0/admin/limits/{PortalFactory.FirstProject}", new { limit = 10_000 });
        Assert.Equal(System.Net.HttpStatusCode.Created, limit.StatusCode);
    }

    public virtual async Task DisposeAsync()
    {
        Admin.Dispose();
        await Portal.DisposeAsync();
    }

    public void ResetFaults()
    {
        foreach (var vendor in Simulators.Vendors)
        {
            vendor.Faults.Set(FaultProfile.None);
        }
    }

    public static JsonObject NewService(string flavor = Flavor)
    {
        var document = ApiFixture.NewService();
        document["flavor_id"] = flavor;
        return document;
    }

    /// <summary>The service as the API shows it; null once it is gone (404).</summary>
    public async Task<JsonObject?> GetServiceAsync(Guid id)
    {
        using var response = await Admin.GetAsync($"/v1.0/services/{id}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>Polls the API until the service's status is <paramref name="status"/> (or it is gone, for null).</summary>
    public async Task<JsonObject?> WaitForStatusAsync(Guid id, string? status, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        JsonObject? service;
        while (true)
        {
            service = await GetServiceAsync(id);
            var current = service?["status"]?.GetValue<string>();
            if (current == status)
            {
                return service;
            }
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(30)))
            {
                Assert.Fail($"Service {id} did not reach {status ?? "gone"} in time; it is {current ?? "gone"}: {service?.ToJsonString()}\n" +
                    string.Join("\n", (await OperationsAsync(id)).Select(o => $"{o.ProviderName} {o.Kind} {o.State} {o.Step} attempts={o.Attempts} {o.LastError}")));
            }
            await Task.Delay(50);
        }
    }

    public Task<List<ProvisioningOperation>> OperationsAsync(Guid serviceId) => Portal.OperationsAsync(serviceId);

    /// <summary>How many resources each vendor holds for the service (found by the portal id the drivers write into them).</summary>
    public IReadOnlyDictionary<CdnVendor, int> VendorResources(Guid serviceId) => new Dictionary<CdnVendor, int>
    {
        [CdnVendor.Fastly] = Simulators.Fastly.Services.Count(s => s.Name == $"poppy-{serviceId:D}"),
        [CdnVendor.CloudFront] = Simulators.CloudFront.Distributions.Count(d => d.Config.CallerReference.Contains(serviceId.ToString("D"))
            || d.Config.CallerReference.Contains(serviceId.ToString("N"))),
        [CdnVendor.Akamai] = Simulators.Akamai.Properties.Count(p => p.PropertyName == $"poppy-{serviceId:D}"),
        [CdnVendor.MaxCdn] = Simulators.MaxCdn.PullZones.Count(z => z.Name == serviceId.ToString("N")),
    };
}
