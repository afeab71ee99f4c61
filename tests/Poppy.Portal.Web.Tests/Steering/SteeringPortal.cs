using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DnsClient;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Providers.Dns.PowerDns;
using Poppy.Portal.Providers.Dns.Route53;
using Poppy.Portal.Simulators.Dns;
using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Tests.Api;
using Poppy.Portal.Web.Tests.Provisioning;

namespace Poppy.Portal.Web.Tests.Steering;

/// <summary>
/// A provisioning portal with a real PowerDNS (DNS account "pdns-test", the default for every flavor, with its DNS port
/// as the account's nameserver) and the DNS simulators (Route 53 account "r53-test" for flavor <see cref="Route53Flavor"/>).
/// Probe and steering rounds are run by the tests on the portal's clock (their scheduled jobs are off). The services'
/// origin is a real loopback server.
/// </summary>
public class SteeringPortal : ProvisioningPortal
{
    public const string PowerDnsAccount = "pdns-test";
    public const string Route53Account = "r53-test";
    public const string Route53Flavor = "cdn-r53";
    public const string DesignateAccount = "designate-test";
    public const string DesignateFlavor = "cdn-designate";
    public const string RackspaceAccount = "rackspace-test";
    public const string RackspaceFlavor = "cdn-rackspace";
    public const string OriginHost = "steer-origin.example.net";

    public PowerDnsServer PowerDns { get; } = new();
    public DnsSimulatorHost DnsSimulators { get; private set; } = null!;
    public LoopbackOrigin Origin { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await PowerDns.InitializeAsync();
        DnsSimulators = await DnsSimulatorHost.StartAsync(new DnsSimulatorOptions { ChangeDelay = TimeSpan.FromMilliseconds(100) }, CancellationToken.None);
        Origin = await LoopbackOrigin.StartAsync("steer-origin");
        Origin.SetHeaders("/", ("Cache-Control", "max-age=3600"));
        await base.InitializeAsync();
        Simulators.Options.OriginOverrides[OriginHost] = Origin.Url;

        await using var scope = Portal.Services.CreateAsyncScope(Actor.System("test"));
        var accounts = scope.ServiceProvider.GetRequiredService<DnsAccountDirectory>();
        var pdns = await accounts.CreateAsync(new DnsAccountSpec(PowerDnsAccount, DnsProviderKind.PowerDns, PowerDns.ApiBaseUrl.ToString(),
            PowerDnsServer.Zone, 30, new Dictionary<string, string?> { [PowerDnsDriver.ApiKey] = PowerDnsServer.ApiKey }), CancellationToken.None);
        Assert.True(pdns.Succeeded, string.Join("; ", pdns.Errors));
        var r53 = await accounts.CreateAsync(new DnsAccountSpec(Route53Account, DnsProviderKind.Route53, DnsSimulators.Route53.ApiBaseUrl.ToString(),
            "cdn.operator.test", 30, new Dictionary<string, string?>
            {
                [Route53Driver.AccessKeyId] = "AKIASIMROUTE53EXAMPLE",
                [Route53Driver.SecretAccessKey] = "simulatorSecretKey/ForRoute53000000000000",
            }), CancellationToken.None);
        Assert.True(r53.Succeeded, string.Join("; ", r53.Errors));
        // Accounts whose vendors have no weighted records: weighted steering is refused on them.
        var designate = await accounts.CreateAsync(new DnsAccountSpec(DesignateAccount, DnsProviderKind.Designate, DnsSimulators.Designate.ApiBaseUrl.ToString(),
            "cdn.operator.test", 30, new Dictionary<string, string?>
            {
                [Poppy.Portal.Providers.Dns.Designate.DesignateDriver.AuthUrl] = DnsSimulators.Designate.IdentityUrl.ToString(),
                [Poppy.Portal.Providers.Dns.Designate.DesignateDriver.Username] = "poppy",
                [Poppy.Portal.Providers.Dns.Designate.DesignateDriver.Password] = "sim-designate-password",
                [Poppy.Portal.Providers.Dns.Designate.DesignateDriver.Project] = "poppy-dns",
            }), CancellationToken.None);
        Assert.True(designate.Succeeded, string.Join("; ", designate.Errors));
        var rackspace = await accounts.CreateAsync(new DnsAccountSpec(RackspaceAccount, DnsProviderKind.RackspaceDns, DnsSimulators.Rackspace.ApiBaseUrl.ToString(),
            "cdn.operator.test", 300, new Dictionary<string, string?>
            {
                [Poppy.Portal.Providers.Dns.Rackspace.RackspaceDnsDriver.IdentityUrl] = DnsSimulators.Rackspace.IdentityUrl.ToString(),
                [Poppy.Portal.Providers.Dns.Rackspace.RackspaceDnsDriver.Username] = "poppy",
                [Poppy.Portal.Providers.Dns.Rackspace.RackspaceDnsDriver.ApiKey] = "sim-rackspace-api-key",
            }), CancellationToken.None);
        Assert.True(rackspace.Succeeded, string.Join("; ", rackspace.Errors));
        foreach (var other in new[] { DesignateFlavor, RackspaceFlavor })
        {
            using var created = await Admin.PostAsJsonAsync("/v1.0/flavors", new JsonObject
            {
                ["id"] = other,
                ["providers"] = new JsonArray(
                    new JsonObject { ["provider"] = "sim-fastly", ["links"] = new JsonArray(new JsonObject { ["href"] = "www.fastly.com", ["rel"] = "provider_url" }) },
                    new JsonObject { ["provider"] = "sim-maxcdn", ["links"] = new JsonArray(new JsonObject { ["href"] = "www.maxcdn.com", ["rel"] = "provider_url" }) }),
            });
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        }

        using var flavor = await Admin.PostAsJsonAsync("/v1.0/flavors", new JsonObject
        {
            ["id"] = Route53Flavor,
            ["providers"] = new JsonArray(
                new JsonObject { ["provider"] = "sim-maxcdn", ["links"] = new JsonArray(new JsonObject { ["href"] = "www.maxcdn.com", ["rel"] = "provider_url" }) },
                new JsonObject { ["provider"] = "sim-fastly", ["links"] = new JsonArray(new JsonObject { ["href"] = "www.fastly.com", ["rel"] = "provider_url" }) }),
        });
        Assert.True(flavor.IsSuccessStatusCode, await flavor.Content.ReadAsStringAsync());
    }

    protected override async Task<PortalFactory> CreatePortalAsync()
    {
        var portal = new PortalFactory(null, await PostgresConnectionStringAsync());
        ApplySettings(portal);
        return portal;
    }

    /// <summary>A PostgreSQL database to run on instead of SQLite (a subclass's), or null.</summary>
    protected virtual Task<string?> PostgresConnectionStringAsync() => Task.FromResult<string?>(null);

    /// <summary>The DNS and steering settings of every node of the fixture.</summary>
    protected void ApplySettings(PortalFactory portal)
    {
        portal.Settings["Portal:Benchmarks:Enabled"] = "false";
        portal.Settings["Portal:Benchmarks:ProbeTimeout"] = "00:00:02";
        portal.Settings["Portal:Steering:Enabled"] = "false";
        portal.Settings["Portal:Dns:DefaultAccount"] = PowerDnsAccount;
        portal.Settings[$"Portal:Dns:FlavorAccounts:{Route53Flavor}"] = Route53Account;
        portal.Settings[$"Portal:Dns:FlavorAccounts:{DesignateFlavor}"] = DesignateAccount;
        portal.Settings[$"Portal:Dns:FlavorAccounts:{RackspaceFlavor}"] = RackspaceAccount;
        portal.Settings[$"Portal:Dns:Nameservers:{PowerDnsAccount}"] = $"127.0.0.1:{PowerDns.DnsPort}";
        portal.Settings["Portal:Dns:RetryDelay"] = "00:00:00.200";
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Origin.DisposeAsync();
        await DnsSimulators.DisposeAsync();
        await PowerDns.DisposeAsync();
    }

    public T Get<T>() where T : notnull => Portal.Services.GetRequiredService<T>();

    /// <summary>A steering round of <paramref name="number"/> on another portal process of the same database.</summary>
    public static Task<SteeringRoundResult> SteerAsync(PortalFactory node, long number) =>
        node.Services.GetRequiredService<SteeringRound>().RunAsync(number, default);

    /// <summary>A deployed service of <paramref name="flavor"/> with one domain, whose origin is the test's server.</summary>
    public async Task<(Guid Id, string Domain)> DeployedServiceAsync(string flavor = Flavor)
    {
        var domain = ApiFixture.UniqueDomain();
        var document = ApiFixture.NewService(domain);
        document["flavor_id"] = flavor;
        document["origins"] = new JsonArray(new JsonObject { ["origin"] = OriginHost, ["port"] = 80, ["ssl"] = false });
        var id = await ApiFixture.CreateAsync(Admin, document);
        await WaitForStatusAsync(id, "deployed");
        return (id, domain);
    }

    /// <summary>What the real PowerDNS answers for a name, through DnsClient (no cache).</summary>
    public Task<string?> AnswerAsync(string name) =>
        DnsConfirmation.QueryCnameAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, PowerDns.DnsPort), name, CancellationToken.None);

    public async Task<List<ServiceDnsRecord>> RecordsAsync(Guid serviceId)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System("test"));
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<ServiceDnsRecord>().AsNoTracking()
            .Where(r => r.ServiceId == serviceId).OrderBy(r => r.Domain).ToListAsync();
    }

    /// <summary>Polls until <paramref name="done"/> holds for the service's records (the provisioning job makes them).</summary>
    public async Task<List<ServiceDnsRecord>> WaitForRecordsAsync(Guid serviceId, Func<List<ServiceDnsRecord>, bool> done, string what)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var records = await RecordsAsync(serviceId);
            if (done(records))
            {
                return records;
            }
            if (watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                Assert.Fail($"The records of {serviceId} never became {what}: " +
                    string.Join("; ", records.Select(r => $"{r.Name} {r.State} {r.Target} {r.LastError}")));
            }
            await Task.Delay(50);
        }
    }

    /// <summary>One probe round over a whole default interval, so every service is due.</summary>
    public Task<ProbeRoundResult> ProbeAsync()
    {
        var now = Portal.Clock.GetUtcNow();
        return Get<ProbeRound>().RunAsync(now - TimeSpan.FromSeconds(10), now, default);
    }

    private long round;

    /// <summary>The next steering round, numbered on the portal's clock.</summary>
    public Task<SteeringRoundResult> SteerAsync()
    {
        round = Math.Max(round + 1, SteeringRound.RoundAt(Portal.Clock.GetUtcNow(), TimeSpan.FromSeconds(2)));
        return Get<SteeringRound>().RunAsync(round, default);
    }

    public Task<SteeringRoundResult> SteerAsync(long number) => Get<SteeringRound>().RunAsync(number, default);

    public long LastRound => round;
}
