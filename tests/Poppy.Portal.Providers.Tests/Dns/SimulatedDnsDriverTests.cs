using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Providers.Dns.Designate;
using Poppy.Portal.Providers.Dns.Rackspace;
using Poppy.Portal.Providers.Dns.Route53;
using Poppy.Portal.Simulators.Dns;
using Poppy.Portal.Simulators.Faults;

namespace Poppy.Portal.Providers.Tests.Dns;

/// <summary>
/// The Designate, Rackspace Cloud DNS and Route 53 drivers against their simulators over loopback HTTP: each change
/// settles after a short real delay, so the drivers' polling (recordset status, jobs, GetChange) is exercised.
/// </summary>
public abstract class SimulatedDnsDriverTests : IAsyncLifetime
{
    protected const string Zone = "cdn.operator.test";
    protected static readonly TimeSpan ChangeDelay = TimeSpan.FromMilliseconds(300);

    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    protected DnsSimulatorHost Simulator { get; private set; } = null!;

    /// <summary>The running simulator's options; the simulators read them live, so a test may lengthen a delay.</summary>
    protected DnsSimulatorOptions SimulatorOptions { get; } = new() { ChangeDelay = ChangeDelay, TimeoutHang = TimeSpan.FromSeconds(1) };

    protected abstract IDnsDriver Driver { get; }

    protected abstract DnsVendorSimulator Vendor { get; }

    /// <summary>The TTL the vendor stores for a requested 30 s (Rackspace raises it to its minimum).</summary>
    protected virtual int StoredTtl(int requested) => requested;

    protected abstract Uri Endpoint { get; }

    protected abstract Dictionary<string, string> GoodCredentials();

    protected abstract Dictionary<string, string> WrongCredentials();

    /// <summary>The status a throttled request gets from this vendor.</summary>
    protected abstract int ThrottleStatus { get; }

    public async Task InitializeAsync() => Simulator = await DnsSimulatorHost.StartAsync(SimulatorOptions, CancellationToken.None);

    public async Task DisposeAsync()
    {
        http.Dispose();
        await Simulator.DisposeAsync();
    }

    [Fact]
    public async Task Creates_switches_and_deletes_a_CNAME_in_the_vendor_s_zone()
    {
        var name = DnsRecordNames.For("www.example.com", Zone);
        var zone = Assert.Single(Vendor.Zones, z => z.Name == Zone);

        await Driver.SetCnameAsync(Call(), name, "d1abc.cloudfront.net", 30, CancellationToken.None);
        var created = Assert.Single(Vendor.Records);
        Assert.Equal((zone.Id, name, "CNAME", "d1abc.cloudfront.net", StoredTtl(30)), (created.ZoneId, created.Name, created.Type, created.Data, created.Ttl));
        Assert.Equal(new DnsCname(name, "d1abc.cloudfront.net", StoredTtl(30)), await Driver.GetCnameAsync(Call(), name, CancellationToken.None));

        // The switch replaces the one record (same vendor id where the vendor keeps one), never adds a second.
        await Driver.SetCnameAsync(Call(), name, "shop.global.ssl.fastly.net", 30, CancellationToken.None);
        var switched = Assert.Single(Vendor.Records);
        Assert.Equal(created.Id, switched.Id);
        Assert.Equal("shop.global.ssl.fastly.net", switched.Data);
        Assert.Equal(new DnsCname(name, "shop.global.ssl.fastly.net", StoredTtl(30)), await Driver.GetCnameAsync(Call(), name, CancellationToken.None));

        // Setting what is there already is harmless.
        await Driver.SetCnameAsync(Call(), name, "shop.global.ssl.fastly.net", 30, CancellationToken.None);
        Assert.Single(Vendor.Records);

        await Driver.DeleteCnameAsync(Call(), name, CancellationToken.None);
        Assert.Empty(Vendor.Records);
        Assert.Null(await Driver.GetCnameAsync(Call(), name, CancellationToken.None));

        // Deleting a record that is gone counts as done.
        await Driver.DeleteCnameAsync(Call(), name, CancellationToken.None);
    }

    [Fact]
    public async Task Two_domains_get_two_records_and_deleting_one_leaves_the_other()
    {
        var www = DnsRecordNames.For("www.example.com", Zone);
        var images = DnsRecordNames.For("images.example.com", Zone);
        await Driver.SetCnameAsync(Call(), www, "a.edge.test", 30, CancellationToken.None);
        await Driver.SetCnameAsync(Call(), images, "b.edge.test", 30, CancellationToken.None);

        await Driver.DeleteCnameAsync(Call(), www, CancellationToken.None);

        var left = Assert.Single(Vendor.Records);
        Assert.Equal((images, "b.edge.test"), (left.Name, left.Data));
    }

    [Fact]
    public async Task Wrong_credentials_are_a_permanent_refusal_and_change_nothing()
    {
        var call = Call() with { Credentials = WrongCredentials() };
        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            Driver.SetCnameAsync(call, DnsRecordNames.For("www.example.com", Zone), "a.edge.test", 30, CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Contains(error.StatusCode, new int?[] { 401, 403 });
        Assert.Empty(Vendor.Records);
    }

    [Fact]
    public async Task A_throttled_call_is_transient_with_the_vendor_s_Retry_After_and_the_next_attempt_goes_through()
    {
        var name = DnsRecordNames.For("www.example.com", Zone);
        Vendor.Faults.Set(new FaultProfile { ThrottleBurst = new ThrottleBurst(1, 7) });

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => Driver.SetCnameAsync(Call(), name, "a.edge.test", 30, CancellationToken.None));
        Assert.True(error.IsTransient);
        Assert.Equal(ThrottleStatus, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Empty(Vendor.Records);

        // What the account's retry does after waiting: the same call again.
        await Driver.SetCnameAsync(Call(), name, "a.edge.test", 30, CancellationToken.None);
        Assert.Equal("a.edge.test", Assert.Single(Vendor.Records).Data);
    }

    [Fact]
    public async Task A_connection_test_finds_the_zone_and_names_what_is_wrong_otherwise()
    {
        var ok = await Driver.TestConnectionAsync(Call(), CancellationToken.None);
        Assert.True(ok.Ok, ok.Message);
        Assert.Contains(Zone, ok.Message, StringComparison.Ordinal);

        var refused = await Driver.TestConnectionAsync(Call() with { Credentials = WrongCredentials() }, CancellationToken.None);
        Assert.Equal(ConnectionTestOutcome.BadCredentials, refused.Outcome);

        var noZone = await Driver.TestConnectionAsync(Call() with { Zone = "other.operator.test" }, CancellationToken.None);
        Assert.Equal(ConnectionTestOutcome.Unexpected, noZone.Outcome);
        Assert.Contains("other.operator.test", noZone.Message, StringComparison.Ordinal);

        Vendor.Faults.Set(new FaultProfile { Outage = true });
        Assert.Equal(ConnectionTestOutcome.Unreachable, (await Driver.TestConnectionAsync(Call(), CancellationToken.None)).Outcome);
        Assert.Empty(Vendor.Records);
    }

    protected DnsCall Call() => new(Endpoint, Zone, GoodCredentials(), http, TimeProvider.System)
    {
        PollInterval = TimeSpan.FromMilliseconds(50), ChangeTimeout = TimeSpan.FromSeconds(10),
    };
}

public sealed class DesignateDriverTests : SimulatedDnsDriverTests
{
    protected override IDnsDriver Driver { get; } = new DesignateDriver();

    protected override DnsVendorSimulator Vendor => Simulator.Designate;

    protected override Uri Endpoint => Simulator.Designate.ApiBaseUrl;

    protected override int ThrottleStatus => 429;

    protected override Dictionary<string, string> GoodCredentials() => new()
    {
        [DesignateDriver.AuthUrl] = Simulator.Designate.IdentityUrl.ToString(),
        [DesignateDriver.Username] = "poppy",
        [DesignateDriver.Password] = "sim-designate-password",
        [DesignateDriver.Project] = "poppy-dns",
    };

    protected override Dictionary<string, string> WrongCredentials()
    {
        var credentials = GoodCredentials();
        credentials[DesignateDriver.Password] = "not-the-password";
        return credentials;
    }

    [Fact]
    public async Task A_recordset_still_being_deleted_makes_a_set_fail_transiently_until_it_is_gone()
    {
        var name = DnsRecordNames.For("www.example.com", Zone);
        await Driver.SetCnameAsync(Call(), name, "a.edge.test", 30, CancellationToken.None);

        // Someone else deletes it; Designate keeps it PENDING DELETE for the change delay (long enough here that a loaded
        // machine still sets within it).
        SimulatorOptions.ChangeDelay = TimeSpan.FromSeconds(3);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var auth = await http.PostAsync(new Uri(Simulator.Designate.IdentityUrl, "auth/tokens"), new StringContent(
            """{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"poppy","password":"sim-designate-password"}}},"scope":{"project":{"name":"poppy-dns"}}}}""",
            System.Text.Encoding.UTF8, "application/json"));
        var record = Assert.Single(Vendor.Records);
        using var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri(Simulator.Designate.ApiBaseUrl, $"v2/zones/{record.ZoneId}/recordsets/{record.Id}"));
        delete.Headers.Add("X-Auth-Token", auth.Headers.GetValues("X-Subject-Token").Single());
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await http.SendAsync(delete)).StatusCode);

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => Driver.SetCnameAsync(Call(), name, "b.edge.test", 30, CancellationToken.None));
        Assert.True(error.IsTransient);
        Assert.Equal(409, error.StatusCode);

        SimulatorOptions.ChangeDelay = ChangeDelay;
        await Task.Delay(TimeSpan.FromSeconds(3.2));
        await Driver.SetCnameAsync(Call(), name, "b.edge.test", 30, CancellationToken.None);
        Assert.Equal("b.edge.test", Assert.Single(Vendor.Records).Data);
    }

    [Fact]
    public async Task A_name_outside_the_zone_is_refused_with_Designate_s_message()
    {
        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            Driver.SetCnameAsync(Call(), "www.elsewhere.test", "a.edge.test", 30, CancellationToken.None));
        Assert.Equal(400, error.StatusCode);
        Assert.False(error.IsTransient);
        Assert.Contains("outside the zone", error.Message, StringComparison.Ordinal);
    }
}

public sealed class RackspaceDnsDriverTests : SimulatedDnsDriverTests
{
    protected override IDnsDriver Driver { get; } = new RackspaceDnsDriver();

    protected override DnsVendorSimulator Vendor => Simulator.Rackspace;

    protected override Uri Endpoint => Simulator.Rackspace.ApiBaseUrl;

    protected override int ThrottleStatus => 413;

    protected override int StoredTtl(int requested) => Math.Max(requested, RackspaceDnsDriver.MinimumTtl);

    protected override Dictionary<string, string> GoodCredentials() => new()
    {
        [RackspaceDnsDriver.IdentityUrl] = Simulator.Rackspace.IdentityUrl.ToString(),
        [RackspaceDnsDriver.Username] = "poppy",
        [RackspaceDnsDriver.ApiKey] = "sim-rackspace-api-key",
    };

    protected override Dictionary<string, string> WrongCredentials()
    {
        var credentials = GoodCredentials();
        credentials[RackspaceDnsDriver.ApiKey] = "not-the-key";
        return credentials;
    }

    [Fact]
    public async Task Every_write_is_a_job_the_driver_waits_for()
    {
        var name = DnsRecordNames.For("www.example.com", Zone);
        await Driver.SetCnameAsync(Call(), name, "a.edge.test", 30, CancellationToken.None);
        await Driver.SetCnameAsync(Call(), name, "b.edge.test", 600, CancellationToken.None);
        await Driver.DeleteCnameAsync(Call(), name, CancellationToken.None);

        Assert.Equal(3, Simulator.Rackspace.JobCount);
        Assert.Empty(Vendor.Records);
    }
}

public sealed class Route53DriverTests : SimulatedDnsDriverTests
{
    protected override IDnsDriver Driver { get; } = new Route53Driver();

    protected override DnsVendorSimulator Vendor => Simulator.Route53;

    protected override Uri Endpoint => Simulator.Route53.ApiBaseUrl;

    /// <summary>Route 53 throttles with 400 <c>Throttling</c>, which the driver knows to be transient.</summary>
    protected override int ThrottleStatus => 400;

    protected override Dictionary<string, string> GoodCredentials() => new()
    {
        [Route53Driver.AccessKeyId] = "AKIASIMROUTE53EXAMPLE",
        [Route53Driver.SecretAccessKey] = "simulatorSecretKey/ForRoute53000000000000",
    };

    protected override Dictionary<string, string> WrongCredentials()
    {
        var credentials = GoodCredentials();
        credentials[Route53Driver.SecretAccessKey] = "wrongSecretKey/000000000000000000000000";
        return credentials;
    }

    [Fact]
    public async Task A_CNAME_at_the_zone_apex_is_refused_with_Route_53_s_InvalidChangeBatch()
    {
        var error = await Assert.ThrowsAsync<CdnDriverException>(() =>
            Driver.SetCnameAsync(Call(), Zone, "a.edge.test", 30, CancellationToken.None));
        Assert.Equal(400, error.StatusCode);
        Assert.False(error.IsTransient);
        Assert.Contains("InvalidChangeBatch", error.Message, StringComparison.Ordinal);
        Assert.Contains("not permitted at apex", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, Simulator.Route53.ChangeCount);
    }

    [Fact]
    public async Task Each_set_and_delete_is_one_atomic_change_batch()
    {
        var name = DnsRecordNames.For("www.example.com", Zone);
        await Driver.SetCnameAsync(Call(), name, "a.edge.test", 30, CancellationToken.None);
        await Driver.DeleteCnameAsync(Call(), name, CancellationToken.None);
        Assert.Equal(2, Simulator.Route53.ChangeCount);
    }
}
