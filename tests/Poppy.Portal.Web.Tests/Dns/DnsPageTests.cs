using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Simulators.Dns;
using Poppy.Portal.Web.Features.Dns;
using Poppy.Portal.Web.Tests.Providers;

namespace Poppy.Portal.Web.Tests.Dns;

/// <summary>
/// The DNS page (bUnit on a real portal): DNS accounts created, changed, tested against the DNS simulators and deleted
/// like provider accounts, secrets never rendered back; read-only for everyone but global administrators.
/// </summary>
public sealed class DnsPageTests(DnsSimulatorFixture fixture) : AccountPageTest, IClassFixture<DnsSimulatorFixture>
{
    private const string Zone = "cdn.operator.test";

    private DnsSimulatorHost simulator => fixture.Host;

    private static DnsSimulatorOptions Defaults { get; } = new();

    [Fact]
    public async Task An_admin_creates_a_Route53_account_through_the_form_and_tests_its_connection()
    {
        var page = await OpenAsync<DnsPage>();
        Assert.Contains("No DNS accounts yet", page.Find("[data-testid=dns-accounts-table], [data-testid=empty-state]").TextContent, StringComparison.Ordinal);

        await ClickAsync(page, "[data-testid=add-dns-account]");
        Assert.Equal(["api_key"], CredentialKeys(page)); // PowerDNS first
        await ChooseAsync(page, "Kind", DnsProviderKind.Route53);
        Assert.Equal(["access_key_id", "secret_access_key"], CredentialKeys(page));
        Type(page, "[data-testid=dns-name]", "route53-sim");
        Type(page, "[data-testid=dns-endpoint]", simulator.Route53.ApiBaseUrl.ToString());
        Type(page, "[data-testid=dns-zone]", Zone);
        Type(page, "[data-credential=access_key_id]", Defaults.Route53.AccessKeyId);
        Type(page, "[data-credential=secret_access_key]", Defaults.Route53.SecretAccessKey);
        await ClickAsync(page, "[data-testid=save-dns-account]");

        WaitForSnackbar("DNS account route53-sim was created.");
        var account = Assert.Single(await ListAsync());
        Assert.Equal((DnsProviderKind.Route53, Zone, DnsRecordNames.DefaultTtlSeconds), (account.Kind, account.Zone, account.TtlSeconds));
        Assert.Equal(account.CredentialsHint, page.Find("[data-dns-account=route53-sim]").ParentElement!.QuerySelector("[data-testid=credentials-hint]")!.TextContent);
        Assert.DoesNotContain(Defaults.Route53.SecretAccessKey, page.Markup, StringComparison.Ordinal);

        await ClickAsync(page, "[data-testid=test-dns-account]");

        WaitForSnackbar("Connection test of route53-sim passed.");
        Assert.Equal("ok", page.Find("[data-testid=dns-connection] [data-connection]").GetAttribute("data-connection"));
    }

    [Fact]
    public async Task A_refused_secret_is_reported_by_the_test_and_a_blank_secret_on_edit_keeps_the_stored_one()
    {
        var id = await CreateAsync("route53-bad", "wrong-route53-secret-SECRET-000000");
        var page = await OpenAsync<DnsPage>();

        await ClickAsync(page, "[data-testid=test-dns-account]");

        WaitForSnackbar("Connection test of route53-bad failed");
        Assert.Equal("failed", page.Find("[data-testid=dns-connection] [data-connection]").GetAttribute("data-connection"));

        // Edit: the secrets are never put back into the form; retyping only the secret replaces it, the key ID is kept.
        await ClickAsync(page, "[data-testid=edit-dns-account]");
        Assert.Contains("secret_access_key ••••0000", page.Find("[data-testid=form-credentials-hint]").TextContent, StringComparison.Ordinal);
        Assert.All(page.FindAll("[data-testid=dns-account-form] input[type=password]"), i => Assert.True(string.IsNullOrEmpty(i.GetAttribute("value"))));
        Assert.DoesNotContain("wrong-route53-secret-SECRET-000000", page.Markup, StringComparison.Ordinal);
        Type(page, "[data-credential=secret_access_key]", Defaults.Route53.SecretAccessKey);
        await ClickAsync(page, "[data-testid=save-dns-account]");
        WaitForSnackbar("DNS account route53-bad was saved.");
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            using var http = new HttpClient();
            var call = await scope.ServiceProvider.GetRequiredService<DnsAccountDirectory>().CallForAsync(id, http, CancellationToken.None);
            Assert.Equal(Defaults.Route53.AccessKeyId, call!.Credentials["access_key_id"]);
            Assert.Equal(Defaults.Route53.SecretAccessKey, call.Credentials["secret_access_key"]);
        }

        await ClickAsync(page, "[data-testid=test-dns-account]");
        WaitForSnackbar("Connection test of route53-bad passed.");
    }

    [Fact]
    public async Task Refused_fields_are_marked_and_deleting_asks_first()
    {
        await CreateAsync("route53-sim", Defaults.Route53.SecretAccessKey);
        var page = await OpenAsync<DnsPage>();
        await ClickAsync(page, "[data-testid=add-dns-account]");
        Type(page, "[data-testid=dns-name]", "route53-sim");
        Type(page, "[data-testid=dns-zone]", "not a zone");
        await ClickAsync(page, "[data-testid=save-dns-account]");

        Assert.Contains("A DNS account named 'route53-sim' already exists.", TextOf(page), StringComparison.Ordinal);
        Assert.Contains("is not a zone name", TextOf(page), StringComparison.Ordinal);
        Assert.Contains("Enter the api key.", page.Find("[data-credential=api_key]").TextContent, StringComparison.Ordinal);
        Assert.Single(await ListAsync());

        await ClickAndConfirmAsync(page.Find("[data-testid=delete-dns-account]"), "Delete route53-sim");

        WaitForSnackbar("DNS account route53-sim was deleted.");
        Assert.Empty(await ListAsync());
    }

    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    public async Task Viewers_and_operators_see_the_accounts_without_write_actions_or_secrets(string role)
    {
        await CreateAsync("route53-sim", Defaults.Route53.SecretAccessKey);
        await SignInAsNewUserAsync(role);

        var page = await OpenAsync<DnsPage>();

        Assert.NotNull(page.Find("[data-dns-account=route53-sim]"));
        Assert.Contains("secret_access_key ••••0000", page.Find("[data-testid=credentials-hint]").TextContent, StringComparison.Ordinal);
        foreach (var action in new[] { "add-dns-account", "edit-dns-account", "delete-dns-account", "test-dns-account" })
        {
            Assert.Empty(page.FindAll($"[data-testid={action}]"));
        }
        Assert.DoesNotContain(Defaults.Route53.SecretAccessKey, page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_local_server_status_the_page_has_no_local_section_and_keeps_a_place_for_steering_records()
    {
        var page = await OpenAsync<DnsPage>();

        Assert.Empty(page.FindAll("[data-testid=local-dns]"));
        Assert.Contains("records appear here once services are deployed with a DNS account", page.Find("[data-testid=steering-records]").TextContent,
            StringComparison.Ordinal);
    }

    private async Task<Guid> CreateAsync(string name, string secret)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var created = await scope.ServiceProvider.GetRequiredService<DnsAccountDirectory>().CreateAsync(new DnsAccountSpec(name, DnsProviderKind.Route53,
            simulator.Route53.ApiBaseUrl.ToString(), Zone, null,
            new Dictionary<string, string?> { ["access_key_id"] = Defaults.Route53.AccessKeyId, ["secret_access_key"] = secret }), CancellationToken.None);
        Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        return created.Value!.Id;
    }

    private async Task<IReadOnlyList<DnsAccountSummary>> ListAsync()
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<DnsAccountDirectory>().ListAsync(CancellationToken.None);
    }

    private static List<string> CredentialKeys(IRenderedComponent<DnsPage> page) =>
        page.FindAll("[data-testid=credential-fields] [data-credential]").Select(e => e.GetAttribute("data-credential")!).ToList();
}

/// <summary>The DNS page's local PowerDNS section, driven by the registered <see cref="ILocalDnsServerStatus"/>.</summary>
public sealed class DnsPageLocalServerTests : AccountPageTest
{
    private readonly LocalServer server = new();

    // bUnit's services are fixed at the first render: registered here, set by each case.
    public DnsPageLocalServerTests() => Services.AddSingleton<ILocalDnsServerStatus>(server);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_local_server_section_says_where_it_runs_or_how_to_install_it(bool running)
    {
        server.Running = running;

        var page = await OpenAsync<DnsPage>();

        var section = page.Find("[data-testid=local-dns]");
        Assert.Equal(running ? "true" : "false", section.GetAttribute("data-running"));
        if (running)
        {
            Assert.Contains("http://127.0.0.1:18181/api/v1/", section.TextContent, StringComparison.Ordinal);
            Assert.Contains("dig @127.0.0.1 -p 18153 NAME", section.TextContent, StringComparison.Ordinal);
            Assert.Contains("cdn.poppy.test", section.TextContent, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("apt-get install pdns-server pdns-backend-sqlite3", section.TextContent, StringComparison.Ordinal);
        }
    }

    /// <summary>The states the development PowerDNS reports, set by each case.</summary>
    private sealed class LocalServer : ILocalDnsServerStatus
    {
        public bool Running { get; set; }

        public LocalPowerDnsStatus Status => Running
            ? new(LocalPowerDnsState.Running, new Uri("http://127.0.0.1:18181/api/v1/"), "127.0.0.1:18153", "cdn.poppy.test", "pdns-local", null,
                "apt-get install pdns-server pdns-backend-sqlite3")
            : new(LocalPowerDnsState.NotInstalled, null, null, null, null, null, "apt-get install pdns-server pdns-backend-sqlite3");
    }
}

/// <summary>The Designate, Rackspace and Route 53 simulators on a loopback port, for one test class (Test connection only reads them).</summary>
public sealed class DnsSimulatorFixture : IAsyncLifetime
{
    public DnsSimulatorHost Host { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Host = await DnsSimulatorHost.StartAsync(new DnsSimulatorOptions { ChangeDelay = TimeSpan.FromMilliseconds(100) }, CancellationToken.None);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
