using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Providers.Dns.PowerDns;

namespace Poppy.Portal.Providers.Tests.Dns;

/// <summary>
/// Weighted sets as PowerDNS LUA records (<c>pickwrandom</c>) on a real pdns_server started by PowerDnsProcess (which
/// turns on <c>enable-lua-records</c>): the server itself answers the targets in about the written proportion.
/// </summary>
public sealed class PowerDnsWeightedTests(PowerDnsServer server) : IClassFixture<PowerDnsServer>, IDisposable
{
    private const int Queries = 400;
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly PowerDnsDriver driver = new();

    public void Dispose() => http.Dispose();

    [Fact]
    public async Task A_3_to_1_set_is_answered_in_about_that_split_then_a_CNAME_then_weights_again()
    {
        var name = DnsRecordNames.For("weighted.example.com", PowerDnsServer.Zone);
        await driver.SetWeightedAsync(Call(), name, [new("fastly", "shop.global.ssl.fastly.net", 3), new("cloudfront", "d1abc.cloudfront.net", 1)], 30,
            CancellationToken.None);

        var written = await driver.GetWeightedAsync(Call(), name, CancellationToken.None);
        Assert.True(new DnsWeightedSet(name, [new("cloudfront", "d1abc.cloudfront.net", 1), new("fastly", "shop.global.ssl.fastly.net", 3)], 30).SameAs(written),
            $"read back {written}");
        Assert.Null(await driver.GetCnameAsync(Call(), name, CancellationToken.None));

        var answers = await CountAnswersAsync(name);
        // Binomial(400, 0.75): mean 300, sd 8.7. 240..360 is about 7 sd either way: a failure means a wrong split, not bad luck.
        Assert.Equal(Queries, answers.GetValueOrDefault("shop.global.ssl.fastly.net") + answers.GetValueOrDefault("d1abc.cloudfront.net"));
        Assert.InRange(answers.GetValueOrDefault("shop.global.ssl.fastly.net"), 240, 360);
        Assert.InRange(answers.GetValueOrDefault("d1abc.cloudfront.net"), 40, 160);

        // A single CNAME replaces the LUA record in the same PATCH: only the one target is answered.
        await driver.SetCnameAsync(Call(), name, "d1abc.cloudfront.net", 30, CancellationToken.None);
        Assert.Null(await driver.GetWeightedAsync(Call(), name, CancellationToken.None));
        Assert.Equal(new DnsCname(name, "d1abc.cloudfront.net", 30), await driver.GetCnameAsync(Call(), name, CancellationToken.None));
        Assert.Equal(new Dictionary<string, int> { ["d1abc.cloudfront.net"] = 40 }, await CountAnswersAsync(name, 40));

        // And back: weighted again, the plain CNAME gone; a weight of 0 is never answered.
        await driver.SetWeightedAsync(Call(), name, [new("fastly", "shop.global.ssl.fastly.net", 1), new("cloudfront", "d1abc.cloudfront.net", 0)], 30,
            CancellationToken.None);
        Assert.Null(await driver.GetCnameAsync(Call(), name, CancellationToken.None));
        Assert.Equal(new Dictionary<string, int> { ["shop.global.ssl.fastly.net"] = 40 }, await CountAnswersAsync(name, 40));

        await driver.DeleteCnameAsync(Call(), name, CancellationToken.None);
        Assert.Null(await driver.GetWeightedAsync(Call(), name, CancellationToken.None));
        Assert.Empty(await CountAnswersAsync(name, 5));
    }

    [Fact]
    public async Task A_wrong_API_key_on_the_weighted_path_is_a_permanent_401()
    {
        var call = Call() with { Credentials = new Dictionary<string, string> { [PowerDnsDriver.ApiKey] = "wrong" } };
        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            driver.SetWeightedAsync(call, "bad-key-weighted.cdn.operator.test", [new("a", "a.edge.test", 1)], 30, CancellationToken.None));
        Assert.Equal(401, error.StatusCode);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public void A_target_that_could_break_out_of_the_Lua_string_is_refused()
    {
        Assert.Equal("CNAME \"pickwrandom({{3, 'a.edge.test.'} --[[a]], {1, 'b.edge.test.'} --[[b]]})\"",
            PowerDnsDriver.LuaContent([new("a", "a.edge.test", 3), new("b", "b.edge.test", 1), new("c", "c.edge.test", 0)]));
        Assert.Throws<CdnDriverException>(() => PowerDnsDriver.LuaContent([new("a", "a.edge.test'}) os.exit() --", 1)]));
        Assert.Throws<CdnDriverException>(() => PowerDnsDriver.LuaContent([new("a]]", "a.edge.test", 1)]));
    }

    private DnsCall Call() => new(server.ApiBaseUrl, PowerDnsServer.Zone,
        new Dictionary<string, string> { [PowerDnsDriver.ApiKey] = PowerDnsServer.ApiKey }, http, TimeProvider.System);

    /// <summary>Asks the server <paramref name="count"/> times over UDP (no cache) and counts the CNAME targets answered.</summary>
    private async Task<Dictionary<string, int>> CountAnswersAsync(string name, int count = Queries)
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(IPAddress.Loopback, server.DnsPort))
        {
            UseCache = false, Recursion = false, Retries = 2, Timeout = TimeSpan.FromSeconds(3), ThrowDnsErrors = false,
        });
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            var response = await client.QueryAsync(name, QueryType.CNAME);
            Assert.False(response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain, $"{response.ErrorMessage}\n{server.Log}");
            if (response.Answers.OfType<CNameRecord>().FirstOrDefault() is { } record)
            {
                var target = record.CanonicalName.Value.TrimEnd('.');
                counts[target] = counts.GetValueOrDefault(target) + 1;
            }
        }

        return counts;
    }
}
