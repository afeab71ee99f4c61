using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Providers.Dns.Route53;
using Poppy.Portal.Simulators.Dns;
using Poppy.Portal.Simulators.Faults;

namespace Poppy.Portal.Providers.Tests.Dns;

/// <summary>
/// Route 53 weighted resource record sets through the driver against the simulator over loopback HTTP, and the
/// simulator refusing what Route 53 refuses when sent raw change batches.
/// </summary>
public sealed class Route53WeightedDriverTests : IAsyncLifetime
{
    private const string Zone = "cdn.operator.test";
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Route53Driver driver = new();
    private readonly string name = DnsRecordNames.For("www.example.com", Zone);
    private DnsSimulatorHost simulator = null!;

    public async Task InitializeAsync() =>
        simulator = await DnsSimulatorHost.StartAsync(
            new DnsSimulatorOptions { ChangeDelay = TimeSpan.FromMilliseconds(200), TimeoutHang = TimeSpan.FromSeconds(1) }, CancellationToken.None);

    public async Task DisposeAsync()
    {
        http.Dispose();
        await simulator.DisposeAsync();
    }

    [Fact]
    public async Task Writes_changes_reads_back_and_deletes_weighted_sets_as_one_batch_each()
    {
        await driver.SetWeightedAsync(Call(), name, [new("fastly", "shop.global.ssl.fastly.net", 3), new("cloudfront", "d1abc.cloudfront.net", 1)], 30,
            CancellationToken.None);

        var sets = simulator.Route53.Records.OrderBy(r => r.SetIdentifier, StringComparer.Ordinal).ToList();
        Assert.Equal([("cloudfront", 1, "d1abc.cloudfront.net"), ("fastly", 3, "shop.global.ssl.fastly.net")],
            sets.Select(r => (r.SetIdentifier, r.Weight, r.Data)).Select(x => (x.SetIdentifier!, x.Weight!.Value, x.Data)).ToList());
        Assert.All(sets, r => Assert.Equal((name, "CNAME", 30), (r.Name, r.Type, r.Ttl)));
        var written = await driver.GetWeightedAsync(Call(), name, CancellationToken.None);
        Assert.True(new DnsWeightedSet(name, [new("cloudfront", "d1abc.cloudfront.net", 1), new("fastly", "shop.global.ssl.fastly.net", 3)], 30).SameAs(written),
            $"read back {written}");
        Assert.Null(await driver.GetCnameAsync(Call(), name, CancellationToken.None));
        Assert.Equal(1, simulator.Route53.ChangeCount);

        // New weights, one provider gone: one batch that upserts one set and deletes the other.
        await driver.SetWeightedAsync(Call(), name, [new("fastly", "shop.global.ssl.fastly.net", 5)], 30, CancellationToken.None);
        var left = Assert.Single(simulator.Route53.Records);
        Assert.Equal(("fastly", 5), (left.SetIdentifier, left.Weight!.Value));
        Assert.Equal(2, simulator.Route53.ChangeCount);

        // The same set again changes nothing and sends nothing.
        await driver.SetWeightedAsync(Call(), name, [new("fastly", "shop.global.ssl.fastly.net", 5)], 30, CancellationToken.None);
        Assert.Equal(2, simulator.Route53.ChangeCount);

        await driver.DeleteCnameAsync(Call(), name, CancellationToken.None);
        Assert.Empty(simulator.Route53.Records);
        Assert.Null(await driver.GetWeightedAsync(Call(), name, CancellationToken.None));
    }

    [Fact]
    public async Task Switching_between_a_plain_CNAME_and_weighted_sets_leaves_only_one_kind()
    {
        await driver.SetCnameAsync(Call(), name, "a.edge.test", 30, CancellationToken.None);
        await driver.SetWeightedAsync(Call(), name, [new("a", "a.edge.test", 3), new("b", "b.edge.test", 1)], 30, CancellationToken.None);
        Assert.All(simulator.Route53.Records, r => Assert.NotNull(r.SetIdentifier));
        Assert.Equal(2, simulator.Route53.Records.Count);
        Assert.Null(await driver.GetCnameAsync(Call(), name, CancellationToken.None));

        await driver.SetCnameAsync(Call(), name, "b.edge.test", 30, CancellationToken.None);
        var plain = Assert.Single(simulator.Route53.Records);
        Assert.Equal((null, null, "b.edge.test"), (plain.SetIdentifier, plain.Weight, plain.Data));
        Assert.Null(await driver.GetWeightedAsync(Call(), name, CancellationToken.None));
        Assert.Equal(new DnsCname(name, "b.edge.test", 30), await driver.GetCnameAsync(Call(), name, CancellationToken.None));

        await driver.SetWeightedAsync(Call(), name, [new("a", "a.edge.test", 1)], 30, CancellationToken.None);
        Assert.Equal("a", Assert.Single(simulator.Route53.Records).SetIdentifier);
    }

    [Fact]
    public async Task Wrong_credentials_on_the_weighted_path_are_a_permanent_refusal_and_change_nothing()
    {
        var call = Call() with { Credentials = new Dictionary<string, string>
        {
            [Route53Driver.AccessKeyId] = "AKIASIMROUTE53EXAMPLE", [Route53Driver.SecretAccessKey] = "wrongSecretKey/000000000000000000000000",
        } };
        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            driver.SetWeightedAsync(call, name, [new("a", "a.edge.test", 1)], 30, CancellationToken.None));
        Assert.False(error.IsTransient);
        Assert.Equal(403, error.StatusCode);
        Assert.Empty(simulator.Route53.Records);
    }

    [Fact]
    public async Task A_throttled_weighted_write_is_transient_and_the_retry_goes_through()
    {
        simulator.Route53.Faults.Set(new FaultProfile { ThrottleBurst = new ThrottleBurst(1, 4) });
        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            driver.SetWeightedAsync(Call(), name, [new("a", "a.edge.test", 2), new("b", "b.edge.test", 1)], 30, CancellationToken.None));
        Assert.True(error.IsTransient);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(4), error.RetryAfter);
        Assert.Empty(simulator.Route53.Records);

        await driver.SetWeightedAsync(Call(), name, [new("a", "a.edge.test", 2), new("b", "b.edge.test", 1)], 30, CancellationToken.None);
        Assert.Equal(2, simulator.Route53.Records.Count);
    }

    [Fact]
    public async Task The_driver_refuses_weights_outside_0_to_255_or_none_positive_before_calling()
    {
        await Assert.ThrowsAsync<CdnDriverException>(() => driver.SetWeightedAsync(Call(), name, [new("a", "a.edge.test", 256)], 30, CancellationToken.None));
        await Assert.ThrowsAsync<CdnDriverException>(() => driver.SetWeightedAsync(Call(), name, [new("a", "a.edge.test", 0)], 30, CancellationToken.None));
        Assert.Equal(0, simulator.Route53.ChangeCount);
    }

    [Theory]
    [InlineData("<SetIdentifier>a</SetIdentifier><Weight>256</Weight>", "InvalidInput", "less than or equal to 255")]
    [InlineData("<SetIdentifier>a</SetIdentifier><Weight>-1</Weight>", "InvalidInput", "greater than or equal to 0")]
    [InlineData("<Weight>3</Weight>", "InvalidInput", "Missing field 'SetIdentifier'")]
    public async Task The_simulator_refuses_what_Route_53_refuses(string routing, string code, string message)
    {
        var reply = await RawChangeAsync($"<Change><Action>UPSERT</Action>{Set(routing, "a.edge.test", 30)}</Change>");
        Assert.Equal(400, (int)reply.Status);
        Assert.Contains(code, reply.Body, StringComparison.Ordinal);
        Assert.Contains(message, reply.Body, StringComparison.Ordinal);
        Assert.Empty(simulator.Route53.Records);
    }

    [Fact]
    public async Task The_simulator_keeps_weighted_and_plain_sets_of_a_name_apart_and_deletes_only_exact_matches()
    {
        await driver.SetCnameAsync(Call(), name, "a.edge.test", 30, CancellationToken.None);
        var beside = await RawChangeAsync($"<Change><Action>CREATE</Action>{Set("<SetIdentifier>b</SetIdentifier><Weight>1</Weight>", "b.edge.test", 30)}</Change>");
        Assert.Equal(400, (int)beside.Status);
        Assert.Contains("InvalidChangeBatch", beside.Body, StringComparison.Ordinal);
        Assert.Contains("non-weighted set exists", beside.Body, StringComparison.Ordinal);

        // Deleting the plain set and creating the weighted one in one batch is how Route 53 converts.
        var converted = await RawChangeAsync($"<Change><Action>DELETE</Action>{Set("", "a.edge.test", 30)}</Change>"
            + $"<Change><Action>CREATE</Action>{Set("<SetIdentifier>b</SetIdentifier><Weight>1</Weight>", "b.edge.test", 30)}</Change>");
        Assert.Equal(200, (int)converted.Status);
        Assert.Equal("b", Assert.Single(simulator.Route53.Records).SetIdentifier);

        var plainBeside = await RawChangeAsync($"<Change><Action>UPSERT</Action>{Set("", "a.edge.test", 30)}</Change>");
        Assert.Contains("InvalidChangeBatch", plainBeside.Body, StringComparison.Ordinal);

        var wrongWeight = await RawChangeAsync($"<Change><Action>DELETE</Action>{Set("<SetIdentifier>b</SetIdentifier><Weight>2</Weight>", "b.edge.test", 30)}</Change>");
        Assert.Contains("do not match the current values", wrongWeight.Body, StringComparison.Ordinal);
        var wrongId = await RawChangeAsync($"<Change><Action>DELETE</Action>{Set("<SetIdentifier>c</SetIdentifier><Weight>1</Weight>", "b.edge.test", 30)}</Change>");
        Assert.Contains("was not found", wrongId.Body, StringComparison.Ordinal);
        Assert.Single(simulator.Route53.Records);
    }

    private string Set(string routing, string target, int ttl) =>
        $"<ResourceRecordSet><Name>{name}.</Name><Type>CNAME</Type>{routing}<TTL>{ttl}</TTL>"
        + $"<ResourceRecords><ResourceRecord><Value>{target}</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>";

    /// <summary>A change batch as Route 53 takes it, signed like the driver's.</summary>
    private async Task<(System.Net.HttpStatusCode Status, string Body)> RawChangeAsync(string changes)
    {
        var zone = Assert.Single(simulator.Route53.Zones, z => z.Name == Zone);
        var body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
            + $"<ChangeBatch><Changes>{changes}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(simulator.Route53.ApiBaseUrl, $"2013-04-01/hostedzone/{zone.Id}/rrset/"))
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "text/xml"),
        };
        var signer = new Poppy.Portal.Providers.Signing.AwsSigV4Signer(
            new Poppy.Portal.Providers.Signing.AwsCredentials("AKIASIMROUTE53EXAMPLE", "simulatorSecretKey/ForRoute53000000000000"), "us-east-1", "route53");
        await signer.SignAsync(request, TimeProvider.System.GetUtcNow(), CancellationToken.None);
        using var reply = await http.SendAsync(request);
        return (reply.StatusCode, await reply.Content.ReadAsStringAsync());
    }

    private DnsCall Call() => new(simulator.Route53.ApiBaseUrl, Zone, new Dictionary<string, string>
    {
        [Route53Driver.AccessKeyId] = "AKIASIMROUTE53EXAMPLE", [Route53Driver.SecretAccessKey] = "simulatorSecretKey/ForRoute53000000000000",
    }, http, TimeProvider.System)
    {
        PollInterval = TimeSpan.FromMilliseconds(50), ChangeTimeout = TimeSpan.FromSeconds(10),
    };
}
