using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Simulators;

namespace Poppy.Portal.Web.Tests.Hosting;

public sealed class DevelopmentSimulatorsTests : PortalTest
{
    [Fact]
    public async Task With_simulators_enabled_the_portal_starts_them_and_seeds_four_accounts_and_a_flavor_that_work()
    {
        Portal.Settings["Portal:Simulators:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:Port"] = "0";
        using var client = Portal.CreateClient();

        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var flavor = await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().FindAsync("cdn", CancellationToken.None);
        Assert.NotNull(flavor);
        Assert.Equal(["sim-fastly", "sim-cloudfront", "sim-akamai", "sim-maxcdn"], flavor.Providers.Select(p => p.Provider));

        // The seeded endpoint and key are the ones the simulator accepts: a real call to its Fastly API succeeds.
        var accounts = scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>();
        var fastly = flavor.Providers.Single(p => p.Kind == ProviderKind.Fastly);
        var credentials = await accounts.GetCredentialsAsync(fastly.AccountId, CancellationToken.None);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(fastly.ApiEndpoint), "service"));
        request.Headers.Add("Fastly-Key", credentials!["api_key"]);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("http://127.0.0.1:", fastly.ApiEndpoint);
    }

    [Fact]
    public async Task With_an_external_url_the_portal_starts_no_simulators_and_seeds_accounts_that_reach_the_external_ones()
    {
        // The simulators of "another process": their state is what the seeded accounts must reach.
        await using var external = await SimulatorHost.StartAsync(new SimulatorOptions(), CancellationToken.None);
        Portal.Settings["Portal:Simulators:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:ExternalUrl"] = external.BaseUrl.ToString().TrimEnd('/');
        // The external simulators' own port: starting simulators in process here would fail to bind, and so the portal.
        Portal.Settings["Portal:Simulators:Port"] = external.BaseUrl.Port.ToString(CultureInfo.InvariantCulture);
        using var client = Portal.CreateClient();

        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var flavor = await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().FindAsync("cdn", CancellationToken.None);
        Assert.NotNull(flavor);
        Assert.Equal(["sim-fastly", "sim-cloudfront", "sim-akamai", "sim-maxcdn"], flavor.Providers.Select(p => p.Provider));
        Assert.Equal(external.Vendors.Select(v => v.ApiBaseUrl.ToString()), flavor.Providers.Select(p => p.ApiEndpoint));

        // A write through the seeded Fastly account lands in the external simulator's store.
        var accounts = scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>();
        var fastly = flavor.Providers.Single(p => p.Kind == ProviderKind.Fastly);
        var credentials = await accounts.GetCredentialsAsync(fastly.AccountId, CancellationToken.None);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(fastly.ApiEndpoint), "service"))
        {
            Content = new FormUrlEncodedContent([new("name", "poppy-external-check"), new("type", "vcl")]),
        };
        request.Headers.Add("Fastly-Key", credentials!["api_key"]);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("poppy-external-check", Assert.Single(external.Fastly.Services).Name);
    }

    [Fact]
    public void An_external_url_that_is_not_absolute_stops_the_start()
    {
        Portal.Settings["Portal:Simulators:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:ExternalUrl"] = "127.0.0.1:5091";

        var error = Assert.ThrowsAny<Exception>(() => Portal.CreateClient());
        Assert.Contains("Portal:Simulators:ExternalUrl must be an absolute http(s) URL", error.ToString());
    }

    [Fact]
    public async Task Without_the_setting_nothing_is_started_or_seeded()
    {
        using var client = Portal.CreateClient();
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        Assert.Null(await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().FindAsync("cdn", CancellationToken.None));
        Assert.Empty(await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().ListAsync(CancellationToken.None));
    }
}
