using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Simulators;

namespace Poppy.Portal.Web.Tests.Providers;

/// <summary>
/// Test connection on provider accounts (the service), against the built-in simulators (which check EdgeGrid and SigV4
/// signatures, OAuth 1.0a and Fastly tokens). The pages' use of it is in ProviderAccountPageTests.
/// </summary>
public sealed class ProviderConnectionTestTests : PortalTest
{
    public static TheoryData<ProviderKind> Kinds => [ProviderKind.Fastly, ProviderKind.CloudFront, ProviderKind.Akamai, ProviderKind.MaxCdn];

    public ProviderConnectionTestTests()
    {
        Portal.Settings["Portal:Simulators:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:Port"] = "0";
    }

    [Fact]
    public async Task An_endpoint_nobody_answers_on_is_reported_unreachable()
    {
        var id = await Portal.CreateAccountAsync("nowhere", ProviderKind.Fastly, $"http://127.0.0.1:{ClosedPort()}/fastly/", GoodCredentials(ProviderKind.Fastly));
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            await scope.ServiceProvider.GetRequiredService<ProviderConnectionTester>().TestAsync(id, CancellationToken.None);
        }

        var test = (await Portal.AccountAsync(id))!.LastConnectionTest!;
        Assert.Equal(ConnectionTestOutcome.Unreachable, test.Outcome);
        Assert.StartsWith("Fastly is unreachable", test.Message, StringComparison.Ordinal);
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

    private async Task<IReadOnlyList<ProviderAccountSummary>> ListAsync()
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().ListAsync(CancellationToken.None);
    }

    private static SimulatorOptions Defaults { get; } = new();

    public static Dictionary<string, string> GoodCredentials(ProviderKind kind) => kind switch
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

    public static (string Key, string Wrong) Secret(ProviderKind kind) => kind switch
    {
        ProviderKind.Fastly => ("api_key", "wrong-fastly-token-SECRET-0000"),
        ProviderKind.CloudFront => ("secret_access_key", "wrong-aws-secret-SECRET-000000000000"),
        ProviderKind.Akamai => ("client_secret", "d3Jvbmctc2VjcmV0LVNFQ1JFVC13cm9uZw=="),
        _ => ("consumer_secret", "wrong-maxcdn-secret-SECRET-0000"),
    };

    public static Dictionary<string, string> WithWrongSecret(ProviderKind kind)
    {
        var (key, wrong) = Secret(kind);
        var credentials = GoodCredentials(kind);
        credentials[key] = wrong;
        return credentials;
    }

    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
