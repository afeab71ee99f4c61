using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Providers.Dns.PowerDns;

namespace Poppy.Portal.Providers.Tests.Dns;

/// <summary>One real PowerDNS for the class (started on loopback high ports in a temp folder).</summary>
public sealed class PowerDnsDriverTests(PowerDnsServer server) : IClassFixture<PowerDnsServer>, IDisposable
{
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly PowerDnsDriver driver = new();

    public void Dispose() => http.Dispose();

    [Fact]
    public async Task Creates_switches_and_deletes_a_CNAME_that_the_server_then_answers()
    {
        var name = DnsRecordNames.For("www.example.com", PowerDnsServer.Zone);
        Assert.Equal("www-example-com.cdn.operator.test", name);

        await driver.SetCnameAsync(Call(), name, "d1abc.cloudfront.net", 30, CancellationToken.None);
        Assert.Equal(new DnsCname(name, "d1abc.cloudfront.net", 30), await driver.GetCnameAsync(Call(), name, CancellationToken.None));
        Assert.Equal(("d1abc.cloudfront.net", 30), await QueryAsync(name));

        // The switch: one REPLACE; the server answers the new target at once.
        await driver.SetCnameAsync(Call(), name, "shop.global.ssl.fastly.net", 45, CancellationToken.None);
        Assert.Equal(new DnsCname(name, "shop.global.ssl.fastly.net", 45), await driver.GetCnameAsync(Call(), name, CancellationToken.None));
        Assert.Equal(("shop.global.ssl.fastly.net", 45), await QueryAsync(name));

        await driver.DeleteCnameAsync(Call(), name, CancellationToken.None);
        Assert.Null(await driver.GetCnameAsync(Call(), name, CancellationToken.None));
        Assert.Null(await QueryAsync(name));

        // Deleting again is not an error.
        await driver.DeleteCnameAsync(Call(), name, CancellationToken.None);
    }

    [Fact]
    public async Task Each_domain_reads_back_its_own_record_and_deleting_one_leaves_the_other_answering()
    {
        var shop = DnsRecordNames.For("shop.example.org", PowerDnsServer.Zone);
        var images = DnsRecordNames.For("images.example.org", PowerDnsServer.Zone);
        await driver.SetCnameAsync(Call(), shop, "a.edge.test", 30, CancellationToken.None);
        await driver.SetCnameAsync(Call(), images, "b.edge.test", 60, CancellationToken.None);

        Assert.Equal(new DnsCname(shop, "a.edge.test", 30), await driver.GetCnameAsync(Call(), shop, CancellationToken.None));
        Assert.Equal(new DnsCname(images, "b.edge.test", 60), await driver.GetCnameAsync(Call(), images, CancellationToken.None));
        Assert.Null(await driver.GetCnameAsync(Call(), "nothing-here." + PowerDnsServer.Zone, CancellationToken.None));

        await driver.DeleteCnameAsync(Call(), shop, CancellationToken.None);
        Assert.Null(await QueryAsync(shop));
        Assert.Equal(("b.edge.test", 60), await QueryAsync(images));
        await driver.DeleteCnameAsync(Call(), images, CancellationToken.None);
    }

    [Fact]
    public async Task A_wrong_API_key_is_a_permanent_401()
    {
        var call = Call() with { Credentials = new Dictionary<string, string> { [PowerDnsDriver.ApiKey] = "wrong" } };
        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            driver.SetCnameAsync(call, "bad-key.cdn.operator.test", "x.example.net", 30, CancellationToken.None));
        Assert.Equal(401, error.StatusCode);
        Assert.False(error.IsTransient);
        Assert.Null(await QueryAsync("bad-key.cdn.operator.test"));
    }

    [Fact]
    public async Task A_connection_test_finds_the_zone_and_tells_a_wrong_key_or_zone()
    {
        var ok = await driver.TestConnectionAsync(Call(), CancellationToken.None);
        Assert.True(ok.Ok, ok.Message);

        var badKey = await driver.TestConnectionAsync(
            Call() with { Credentials = new Dictionary<string, string> { [PowerDnsDriver.ApiKey] = "wrong" } }, CancellationToken.None);
        Assert.Equal(ConnectionTestOutcome.BadCredentials, badKey.Outcome);

        var noZone = await driver.TestConnectionAsync(Call() with { Zone = "other.operator.test" }, CancellationToken.None);
        Assert.Equal(ConnectionTestOutcome.Unexpected, noZone.Outcome);
        Assert.Contains("other.operator.test", noZone.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_outside_the_zone_is_refused_with_PowerDNS_s_message()
    {
        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            driver.SetCnameAsync(Call(), "www.elsewhere.test", "x.example.net", 30, CancellationToken.None));
        Assert.Equal(422, error.StatusCode);
        Assert.False(error.IsTransient);
        Assert.Contains("out of zone", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    private DnsCall Call() => new(server.ApiBaseUrl, PowerDnsServer.Zone,
        new Dictionary<string, string> { [PowerDnsDriver.ApiKey] = PowerDnsServer.ApiKey }, http, TimeProvider.System);

    /// <summary>Asks the server itself over UDP, as a resolver would: the CNAME's target and TTL, or null when NXDOMAIN/empty.</summary>
    private async Task<(string Target, int Ttl)?> QueryAsync(string name)
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(IPAddress.Loopback, server.DnsPort))
        {
            UseCache = false, Recursion = false, Retries = 1, Timeout = TimeSpan.FromSeconds(3), ThrowDnsErrors = false,
        });
        var response = await client.QueryAsync(name, QueryType.CNAME);
        Assert.False(response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain,
            $"{response.ErrorMessage}\n{server.Log}");
        Assert.True(response.Header.HasAuthorityAnswer, "PowerDNS answers for its zone authoritatively");
        return response.Answers.OfType<CNameRecord>().FirstOrDefault() is { } record
            ? (record.CanonicalName.Value.TrimEnd('.'), record.InitialTimeToLive)
            : null;
    }
}
