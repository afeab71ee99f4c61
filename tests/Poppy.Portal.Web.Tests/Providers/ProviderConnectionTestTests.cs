using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Simulators;
using Poppy.Portal.Web.Features.Providers;

namespace Poppy.Portal.Web.Tests.Providers;

/// <summary>
/// Test connection on provider accounts, through the pages, against the built-in simulators (which check EdgeGrid and
/// SigV4 signatures, OAuth 1.0a and Fastly tokens): on demand with the button, and on every save.
/// </summary>
public sealed class ProviderConnectionTestTests : PortalTest
{
    public static TheoryData<ProviderKind> Kinds => [ProviderKind.Fastly, ProviderKind.CloudFront, ProviderKind.Akamai, ProviderKind.MaxCdn];

    public ProviderConnectionTestTests()
    {
        Portal.Settings["Portal:Simulators:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:Port"] = "0";
    }

    private SimulatorHost Simulators => Portal.Services.GetServices<IHostedService>().OfType<DevelopmentSimulators>().Single().Host!;

    [Fact]
    public async Task The_button_tests_each_seeded_simulator_account_and_the_list_shows_it_passed()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var accounts = await ListAsync();
        Assert.Equal(4, accounts.Count);
        Assert.All((await admin.GetPageAsync("/providers")).QuerySelectorAll("[data-connection]"), b => Assert.Equal("untested", b.GetAttribute("data-connection")));

        foreach (var account in accounts)
        {
            using var tested = await admin.SubmitFormAsync($"/providers/{account.Id}", new Dictionary<string, string>(), $"/providers/{account.Id}/test-connection");
            Assert.Equal(HttpStatusCode.Redirect, tested.StatusCode);
            Assert.Equal(ProviderEndpoints.TestedPath(account.Id), tested.Headers.Location!.OriginalString);

            var page = await admin.GetPageAsync(ProviderEndpoints.TestedPath(account.Id));
            var alert = page.QuerySelector("[data-testid=connection-test]")!;
            Assert.Contains("Connection test passed", alert.TextContent);
            Assert.Contains("accepted the credentials", alert.TextContent);
            Assert.Equal("ok", page.QuerySelector("[data-testid=last-connection-test] [data-connection]")!.GetAttribute("data-connection"));
        }

        var list = await admin.GetPageAsync("/providers");
        Assert.Equal(["ok", "ok", "ok", "ok"], list.QuerySelectorAll("[data-testid=providers-table] [data-connection]").Select(b => b.GetAttribute("data-connection")));
        Assert.All(await ListAsync(), a =>
        {
            Assert.Equal(ConnectionTestOutcome.Ok, a.LastConnectionTest!.Outcome);
            Assert.Equal(Portal.Clock.GetUtcNow().UtcDateTime, a.LastConnectionTest.At.UtcDateTime, TimeSpan.FromMinutes(1));
        });
        // A test is a read: nothing was created at any vendor.
        Assert.All(Simulators.Vendors, v => Assert.Empty(v.Inventory()));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_account_saved_with_bad_credentials_is_kept_with_a_warning_until_good_ones_are_saved(ProviderKind kind)
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var vendor = Simulators.Vendors.Single(v => v.Vendor.ToString() == kind.ToString());
        var (secretKey, _) = Secret(kind);

        var id = await admin.CreateAccountAsync($"bad-{kind.ToString().ToLowerInvariant()}", kind, vendor.ApiBaseUrl.ToString(), WithWrongSecret(kind));

        var created = await admin.GetPageAsync($"/providers/{id}?created=true");
        var warning = created.QuerySelector("[data-testid=connection-test]")!;
        Assert.Contains("alert-warning", warning.ClassName);
        Assert.Contains("Connection test failed", warning.TextContent);
        Assert.Contains("refused the credentials", warning.TextContent);
        Assert.DoesNotContain(WithWrongSecret(kind)[secretKey], created.DocumentElement.OuterHtml);
        var row = (await admin.GetPageAsync("/providers")).QuerySelectorAll("[data-testid=providers-table] tbody tr")
            .Single(r => r.QuerySelector("td")!.TextContent.Trim() == $"bad-{kind.ToString().ToLowerInvariant()}");
        var badge = row.QuerySelector("[data-connection]")!;
        Assert.Equal(("failed", "Bad credentials"), (badge.GetAttribute("data-connection"), badge.TextContent.Trim()));
        Assert.Contains("refused the credentials", badge.GetAttribute("title"));

        // The right secret typed in: the save is tested again and passes.
        using var saved = await admin.SubmitFormAsync($"/providers/{id}",
            ProviderAccountForms.FormFields($"bad-{kind.ToString().ToLowerInvariant()}", kind, vendor.ApiBaseUrl.ToString(), GoodCredentials(kind)), "save-account");
        var page = PortalClient.Parse(await saved.Content.ReadAsStringAsync());
        Assert.Contains("Saved.", page.Body!.TextContent);
        Assert.Contains("Connection test passed", page.QuerySelector("[data-testid=connection-test]")!.TextContent);
        Assert.Equal(ConnectionTestOutcome.Ok, (await Portal.AccountAsync(id))!.LastConnectionTest!.Outcome);
    }

    [Fact]
    public async Task An_endpoint_nobody_answers_on_is_reported_unreachable()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        var id = await admin.CreateAccountAsync("nowhere", ProviderKind.Fastly, $"http://127.0.0.1:{ClosedPort()}/fastly/", GoodCredentials(ProviderKind.Fastly));

        var test = (await Portal.AccountAsync(id))!.LastConnectionTest!;
        Assert.Equal(ConnectionTestOutcome.Unreachable, test.Outcome);
        Assert.StartsWith("Fastly is unreachable", test.Message, StringComparison.Ordinal);
        Assert.Equal("Unreachable", (await admin.GetPageAsync("/providers")).QuerySelectorAll("[data-connection=failed]").Single().TextContent.Trim());
    }

    [Fact]
    public async Task Changing_the_endpoint_forgets_the_last_result()
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var fastly = (await ListAsync()).Single(a => a.Kind == ProviderKind.Fastly);
        var tester = scope.ServiceProvider.GetRequiredService<ProviderConnectionTester>();
        Assert.True((await tester.TestAsync(fastly.Id, CancellationToken.None)).Value!.Ok);
        Assert.NotNull((await Portal.AccountAsync(fastly.Id))!.LastConnectionTest);

        var moved = await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().UpdateAsync(fastly.Id,
            new ProviderAccountSpec(fastly.Name, fastly.Kind, fastly.ApiEndpoint + "v2/", new Dictionary<string, string?>()), CancellationToken.None);

        Assert.True(moved.Succeeded);
        Assert.Null((await Portal.AccountAsync(fastly.Id))!.LastConnectionTest);
        Assert.True((await tester.TestAsync(Guid.NewGuid(), CancellationToken.None)).IsNotFound);
    }

    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    public async Task Viewers_and_operators_cannot_test_a_connection(string role)
    {
        var fastly = (await ListAsync()).Single(a => a.Kind == ProviderKind.Fastly);
        using var client = await Portal.CreateSignedInClientAsync(role);

        using var refused = await client.PostWithTokenAsync($"/providers/{fastly.Id}/test-connection");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Null((await Portal.AccountAsync(fastly.Id))!.LastConnectionTest);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused()
    {
        var fastly = (await ListAsync()).Single(a => a.Kind == ProviderKind.Fastly);
        using var admin = await Portal.CreateAdminClientAsync();

        using var refused = await admin.PostAsync($"/providers/{fastly.Id}/test-connection", []);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Null((await Portal.AccountAsync(fastly.Id))!.LastConnectionTest);
    }

    private async Task<IReadOnlyList<ProviderAccountSummary>> ListAsync()
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().ListAsync(CancellationToken.None);
    }

    private static SimulatorOptions Defaults { get; } = new();

    private static Dictionary<string, string> GoodCredentials(ProviderKind kind) => kind switch
    {
        ProviderKind.Fastly => new() { ["api_key"] = Defaults.Fastly.ApiKeys[0] },
        ProviderKind.CloudFront => new()
        {
            ["access_key_id"] = Defaults.CloudFront.AccessKeyId, ["secret_access_key"] = Defaults.CloudFront.SecretAccessKey, ["region"] = "us-east-1",
        },
        ProviderKind.Akamai => new()
        {
            ["client_token"] = Defaults.Akamai.ClientToken, ["client_secret"] = Defaults.Akamai.ClientSecret, ["access_token"] = Defaults.Akamai.AccessToken,
        },
        _ => new()
        {
            ["company_alias"] = Defaults.MaxCdn.CompanyAlias, ["consumer_key"] = Defaults.MaxCdn.ConsumerKey, ["consumer_secret"] = Defaults.MaxCdn.ConsumerSecret,
        },
    };

    private static (string Key, string Wrong) Secret(ProviderKind kind) => kind switch
    {
        ProviderKind.Fastly => ("api_key", "wrong-fastly-token-SECRET-0000"),
        ProviderKind.CloudFront => ("secret_access_key", "wrong-aws-secret-SECRET-000000000000"),
        ProviderKind.Akamai => ("client_secret", "d3Jvbmctc2VjcmV0LVNFQ1JFVC13cm9uZw=="),
        _ => ("consumer_secret", "wrong-maxcdn-secret-SECRET-0000"),
    };

    private static Dictionary<string, string> WithWrongSecret(ProviderKind kind)
    {
        var (key, wrong) = Secret(kind);
        var credentials = GoodCredentials(kind);
        credentials[key] = wrong;
        return credentials;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
