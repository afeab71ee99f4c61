using System.Net;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Cdn.Akamai;
using Poppy.Portal.Providers.Cdn.CloudFront;
using Poppy.Portal.Providers.Cdn.Fastly;
using Poppy.Portal.Providers.Cdn.MaxCdn;
using Poppy.Portal.Simulators.Inventory;
using Poppy.Portal.Simulators.Tests.Fastly;
using Poppy.Portal.Simulators.Tests.Infrastructure;

namespace Poppy.Portal.Simulators.Tests.Inventory;

/// <summary>
/// The inventory finds the portal service id in what the real drivers write (so a renamed marker breaks this test, not
/// a crash test's count), counts duplicates, and answers the same over <c>GET {base}/_inventory</c> as in process.
/// </summary>
public sealed class InventoryTests : SimulatorTest
{
    private static readonly Guid First = Guid.Parse("1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0");
    private static readonly Guid Second = Guid.Parse("2a9b8c7d-6e5f-4a3b-8c1d-0e1f2a3b4c5d");

    private static readonly SimulatorOptions Defaults = new();

    private static readonly (CdnVendor Vendor, ICdnDriver Driver, Dictionary<string, string> Credentials)[] Drivers =
    [
        (CdnVendor.Fastly, new FastlyDriver(), new() { ["api_key"] = Defaults.Fastly.ApiKeys[0] }),
        (CdnVendor.CloudFront, new CloudFrontDriver(), new()
        {
            ["access_key_id"] = Defaults.CloudFront.AccessKeyId, ["secret_access_key"] = Defaults.CloudFront.SecretAccessKey, ["region"] = "us-east-1",
        }),
        (CdnVendor.Akamai, new AkamaiDriver(), new()
        {
            ["client_token"] = Defaults.Akamai.ClientToken, ["client_secret"] = Defaults.Akamai.ClientSecret, ["access_token"] = Defaults.Akamai.AccessToken,
        }),
        (CdnVendor.MaxCdn, new MaxCdnDriver(), new()
        {
            ["company_alias"] = Defaults.MaxCdn.CompanyAlias, ["consumer_key"] = Defaults.MaxCdn.ConsumerKey, ["consumer_secret"] = Defaults.MaxCdn.ConsumerSecret,
        }),
    ];

    [Fact]
    public async Task Each_drivers_resource_is_counted_once_for_its_portal_service_and_a_repeated_apply_adds_none()
    {
        foreach (var (vendor, driver, credentials) in Drivers)
        {
            await driver.ApplyAsync(Call(vendor, credentials, First), Spec("first"), CancellationToken.None);
            await driver.ApplyAsync(Call(vendor, credentials, Second), Spec("second"), CancellationToken.None);
            // As after a crash: no vendor id remembered, so the driver must find its resource by the portal's id.
            await driver.ApplyAsync(Call(vendor, credentials, First), Spec("first"), CancellationToken.None);
        }

        var inventory = Simulator.Inventory();

        Assert.Equal(8, inventory.Resources.Count);
        foreach (var vendor in Enum.GetValues<CdnVendor>())
        {
            Assert.Equal(1, inventory.Count(vendor, First));
            Assert.Equal(1, inventory.Count(vendor, Second));
        }

        Assert.Empty(inventory.Duplicates());
        var fastly = inventory.Of(CdnVendor.Fastly).Single(r => r.PortalServiceId == First);
        Assert.Equal($"poppy-{First:D}", fastly.Name);
        Assert.Equal(Simulator.Fastly.Services.Single(s => s.Name == fastly.Name).Id, fastly.Id);
    }

    [Fact]
    public async Task A_second_resource_for_one_service_is_a_duplicate_and_a_foreign_resource_is_unowned()
    {
        var (_, fastlyDriver, fastlyCredentials) = Drivers[0];
        await fastlyDriver.ApplyAsync(Call(CdnVendor.Fastly, fastlyCredentials, First), Spec("first"), CancellationToken.None);
        // What a driver without a look-up would do after a crash: create the same name again (Fastly allows it).
        var fastly = new FastlyCalls(Http, Simulator.Fastly.ApiBaseUrl);
        await fastly.OkAsync(fastly.PostAsync("/service", ("name", $"poppy-{First:D}"), ("type", "vcl")));
        // Made by hand at the vendor, not by the portal.
        await fastly.OkAsync(fastly.PostAsync("/service", ("name", "www.example.com"), ("type", "vcl")));

        var inventory = Simulator.Inventory();

        Assert.Equal(2, inventory.Count(CdnVendor.Fastly, First));
        Assert.Equal((CdnVendor.Fastly, First, 2), Assert.Single(inventory.Duplicates()));
        Assert.Null(inventory.Of(CdnVendor.Fastly).Single(r => r.Name == "www.example.com").PortalServiceId);
        Assert.Equal(0, inventory.Count(CdnVendor.CloudFront, First));

        using var response = await Http.GetAsync(new Uri(Simulator.BaseUrl, "_inventory"));
        AssertStatus(HttpStatusCode.OK, response);
        var json = (await JsonOf(response))["vendors"]!;
        var summary = json["fastly"]!;
        Assert.Equal(3, summary["resources"]!.GetValue<int>());
        Assert.Equal(1, summary["services"]!.GetValue<int>());
        Assert.Equal(1, summary["duplicates"]!.GetValue<int>());
        Assert.Equal(1, summary["unowned"]!.GetValue<int>());
        Assert.Equal(
            inventory.Of(CdnVendor.Fastly).Select(r => (r.Id, r.Name, r.PortalServiceId?.ToString("D"))),
            summary["items"]!.AsArray().Select(i => (i!["id"]!.GetValue<string>(), i["name"]!.GetValue<string>(), i["serviceId"]?.GetValue<string>())));
        Assert.Equal(0, json["maxcdn"]!["resources"]!.GetValue<int>());
        Assert.Equal(["fastly", "cloudfront", "akamai", "maxcdn"], json.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("poppy-1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", true)]
    [InlineData("poppy:1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0 my site", true)]
    [InlineData("1f0e2d3c4b5a49688776a5b4c3d2e1f0", true)]
    [InlineData("poppy-1f0e2d3c", false)]
    [InlineData("www.example.com", false)]
    [InlineData("", false)]
    public void Finds_the_service_id_in_every_form_the_drivers_write(string text, bool found) =>
        Assert.Equal(found ? First : null, SimulatorInventory.PortalServiceIdIn(text));

    private ProviderCall Call(CdnVendor vendor, IReadOnlyDictionary<string, string> credentials, Guid serviceId) =>
        new(serviceId, null, Simulator[vendor].ApiBaseUrl, credentials, Http, Clock);

    private static ServiceSpec Spec(string name) => new()
    {
        Name = name,
        FlavorId = "cdn",
        Domains = [new() { Domain = $"www.{name}.example" }],
        Origins = [new() { Origin = $"origin.{name}.example", Rules = [new() { Name = "all", RequestUrl = "/*" }] }],
        Caching = [new() { Name = "default", Ttl = 3600, Rules = [new() { Name = "all", RequestUrl = "/*" }] }],
    };
}
