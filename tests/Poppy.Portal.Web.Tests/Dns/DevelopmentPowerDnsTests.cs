using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Features.Dns;

namespace Poppy.Portal.Web.Tests.Dns;

/// <summary>
/// The portal's development PowerDNS (<see cref="DevelopmentPowerDns"/>): a real pdns_server started with the host in a
/// temp folder, its zone and DNS account seeded, kept across a restart; and a portal that starts without it.
/// </summary>
public sealed class DevelopmentPowerDnsTests
{
    private const string Zone = "cdn.poppy.test";

    [Fact]
    public async Task The_portal_starts_pdns_with_a_working_account_and_a_restart_keeps_its_ports_and_records()
    {
        using var data = new TempDirectory("poppy-web-pdns");
        var pdnsFolder = Path.Combine(data.Path, "pdns");
        var name = DnsRecordNames.For("www.example.com", Zone);
        int dnsPort, apiPort;
        Guid accountId;

        await using (var portal = Portal(data.Path, pdnsFolder))
        {
            var status = await StartedAsync(portal);
            Assert.True(status.IsRunning, $"{status.State}: {status.Problem}");
            var server = portal.Services.GetRequiredService<DevelopmentPowerDns>().Server!;
            (dnsPort, apiPort) = (server.DnsPort, server.ApiPort);
            Assert.Equal((Zone, DevelopmentPowerDns.AccountName, $"127.0.0.1:{dnsPort}", new Uri($"http://127.0.0.1:{apiPort}/api/v1/")),
                (status.Zone, status.AccountName, status.DnsAddress, status.ApiUrl));
            Assert.True(File.Exists(Path.Combine(pdnsFolder, "pdns.sqlite3")), "the database is in the configured folder");

            var account = await AccountAsync(portal);
            accountId = account.Id;
            Assert.Equal((DnsProviderKind.PowerDns, Zone, status.ApiUrl!.ToString()), (account.Kind, account.Zone, account.ApiEndpoint));
            await ExpectConnectionAsync(portal, account.Id);

            // A record through the account, as steering writes one; the server answers it.
            await CallAsync(portal, account.Id, (driver, call) => driver.SetCnameAsync(call, name, "edge-one.sim.test", 30, CancellationToken.None));
            Assert.Equal("edge-one.sim.test", await QueryCnameAsync(dnsPort, name));
        }

        // The portal stopped its server.
        await Assert.ThrowsAnyAsync<DnsResponseException>(() => QueryCnameAsync(dnsPort, name));

        await using (var restarted = Portal(data.Path, pdnsFolder))
        {
            var status = await StartedAsync(restarted);
            Assert.True(status.IsRunning, $"{status.State}: {status.Problem}");
            var server = restarted.Services.GetRequiredService<DevelopmentPowerDns>().Server!;
            Assert.Equal((dnsPort, apiPort), (server.DnsPort, server.ApiPort));
            var account = await AccountAsync(restarted);
            Assert.Equal(accountId, account.Id);
            await ExpectConnectionAsync(restarted, account.Id);
            Assert.Equal("edge-one.sim.test", await QueryCnameAsync(dnsPort, name));
        }
    }

    [Fact]
    public async Task Without_pdns_server_the_portal_starts_and_says_how_to_install_it()
    {
        using var data = new TempDirectory("poppy-web-pdns-missing");
        await using var portal = Portal(data.Path, Path.Combine(data.Path, "pdns"));
        portal.Settings["Portal:Dns:Local:Executable"] = Path.Combine(data.Path, "no-such", "pdns_server");

        var status = await StartedAsync(portal);

        Assert.Equal(LocalPowerDnsState.NotInstalled, status.State);
        Assert.Contains("pdns_server", status.Problem, StringComparison.Ordinal);
        Assert.Equal("apt-get install pdns-server pdns-backend-sqlite3", status.InstallCommand);
        Assert.Null(status.ApiUrl);
        await using var scope = portal.Services.CreateAsyncScope(Actor.System("test"));
        var accounts = await scope.ServiceProvider.GetRequiredService<DnsAccountDirectory>().ListAsync(CancellationToken.None);
        Assert.DoesNotContain(accounts, a => a.Name == DevelopmentPowerDns.AccountName);
    }

    private static PortalFactory Portal(string dataFolder, string pdnsFolder)
    {
        var portal = new PortalFactory(dataFolder);
        portal.Settings["Portal:Dns:Local:Enabled"] = "true";
        portal.Settings["Portal:Dns:Local:Directory"] = pdnsFolder;
        portal.Settings["Portal:Dns:Local:Zone"] = Zone;
        return portal;
    }

    /// <summary>Starts the host and checks it serves requests; returns the local PowerDNS status the DNS page shows.</summary>
    private static async Task<LocalPowerDnsStatus> StartedAsync(PortalFactory portal)
    {
        using var client = portal.CreateClient();
        using var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        return portal.Services.GetRequiredService<DevelopmentPowerDns>().Status;
    }

    private static async Task<DnsAccountSummary> AccountAsync(PortalFactory portal)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System("test"));
        var accounts = await scope.ServiceProvider.GetRequiredService<DnsAccountDirectory>().ListAsync(CancellationToken.None);
        return Assert.Single(accounts, a => a.Name == DevelopmentPowerDns.AccountName);
    }

    private static Task ExpectConnectionAsync(PortalFactory portal, Guid accountId) =>
        CallAsync(portal, accountId, async (driver, call) =>
        {
            var result = await driver.TestConnectionAsync(call, CancellationToken.None);
            Assert.True(result.Outcome == ConnectionTestOutcome.Ok, $"{result.Outcome}: {result.Message}");
        });

    /// <summary>The driver and the account's call, as steering gets them.</summary>
    private static async Task CallAsync(PortalFactory portal, Guid accountId, Func<IDnsDriver, DnsCall, Task> act)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System("test"));
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var call = await scope.ServiceProvider.GetRequiredService<DnsAccountDirectory>().CallForAsync(accountId, http, CancellationToken.None);
        Assert.NotNull(call);
        var driver = scope.ServiceProvider.GetServices<IDnsDriver>().Single(d => d.Kind == DnsProviderKind.PowerDns);
        await act(driver, call);
    }

    private static async Task<string?> QueryCnameAsync(int port, string name)
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(IPAddress.Loopback, port))
        {
            UseCache = false, Recursion = false, Retries = 0, Timeout = TimeSpan.FromSeconds(2), UseTcpFallback = false,
        });
        var response = await client.QueryAsync(name, QueryType.CNAME);
        return response.Answers.OfType<CNameRecord>().FirstOrDefault()?.CanonicalName.Value.TrimEnd('.');
    }
}
