using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Cdn.Akamai;
using Poppy.Portal.Providers.Cdn.CloudFront;
using Poppy.Portal.Providers.Cdn.Fastly;
using Poppy.Portal.Providers.Cdn.MaxCdn;
using Poppy.Portal.Simulators;
using Poppy.Portal.Simulators.Faults;

namespace Poppy.Portal.Providers.Tests.Cdn;

/// <summary>Each driver's Test connection against its simulator (which checks signatures and tokens), over loopback HTTP.</summary>
public sealed class ConnectionTestTests : IAsyncLifetime
{
    private readonly SimulatorOptions options = new();
    private readonly TagLog log = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false, AllowAutoRedirect = false });
    private readonly HttpClient http;
    private SimulatorHost sims = null!;

    public ConnectionTestTests() => http = new HttpClient(log) { Timeout = TimeSpan.FromSeconds(10) };

    public async Task InitializeAsync() => sims = await SimulatorHost.StartAsync(options, CancellationToken.None);

    public async Task DisposeAsync()
    {
        http.Dispose();
        await sims.DisposeAsync();
    }

    public static TheoryData<CdnVendor> Vendors => [CdnVendor.Fastly, CdnVendor.CloudFront, CdnVendor.Akamai, CdnVendor.MaxCdn];

    [Theory]
    [MemberData(nameof(Vendors))]
    public async Task Good_credentials_pass(CdnVendor vendor)
    {
        var result = await Driver(vendor).TestConnectionAsync(Call(vendor, GoodCredentials(vendor)), CancellationToken.None);

        Assert.True(result.Ok, result.Message);
        Assert.Equal(ConnectionTestOutcome.Ok, result.Outcome);
        Assert.StartsWith($"{Name(vendor)} accepted the credentials", result.Message, StringComparison.Ordinal);
        // One read, about the account: nothing tags it with a service.
        Assert.Single(log.Requests);
        Assert.All(log.Requests, r => Assert.Equal(HttpMethod.Get.Method, r.Method));
        Assert.All(log.Requests, r => Assert.Null(r.ServiceId));
        Assert.Empty(sims.Vendors.Single(v => v.Vendor == vendor).Inventory());
    }

    [Theory]
    [MemberData(nameof(Vendors))]
    public async Task Bad_credentials_fail_with_the_vendors_reason_and_never_echo_the_secret(CdnVendor vendor)
    {
        var (key, wrong) = WrongSecret(vendor);
        var credentials = new Dictionary<string, string>(GoodCredentials(vendor)) { [key] = wrong };

        var result = await Driver(vendor).TestConnectionAsync(Call(vendor, credentials), CancellationToken.None);

        Assert.Equal(ConnectionTestOutcome.BadCredentials, result.Outcome);
        Assert.False(result.Ok);
        Assert.StartsWith($"{Name(vendor)} refused the credentials", result.Message, StringComparison.Ordinal);
        Assert.Contains(VendorReason(vendor), result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Vendors))]
    public async Task A_missing_credential_fails_before_anything_is_sent(CdnVendor vendor)
    {
        var (key, _) = WrongSecret(vendor);
        var credentials = GoodCredentials(vendor).Where(c => c.Key != key).ToDictionary();

        var result = await Driver(vendor).TestConnectionAsync(Call(vendor, credentials), CancellationToken.None);

        Assert.Equal(ConnectionTestOutcome.BadCredentials, result.Outcome);
        Assert.Contains(key, result.Message, StringComparison.Ordinal);
        Assert.Empty(log.Requests);
    }

    [Theory]
    [MemberData(nameof(Vendors))]
    public async Task A_vendor_nobody_answers_for_is_unreachable(CdnVendor vendor)
    {
        var closed = new Uri($"http://127.0.0.1:{ClosedPort()}/{vendor.ToString().ToLowerInvariant()}/");

        var result = await Driver(vendor).TestConnectionAsync(Call(vendor, GoodCredentials(vendor)) with { ApiEndpoint = closed }, CancellationToken.None);

        Assert.Equal(ConnectionTestOutcome.Unreachable, result.Outcome);
        Assert.StartsWith($"{Name(vendor)} is unreachable", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Vendors))]
    public async Task A_vendor_in_an_outage_is_unavailable(CdnVendor vendor)
    {
        sims.Vendors.Single(v => v.Vendor == vendor).Faults.Set(new FaultProfile { Outage = true });

        var result = await Driver(vendor).TestConnectionAsync(Call(vendor, GoodCredentials(vendor)), CancellationToken.None);

        Assert.Equal(ConnectionTestOutcome.Unreachable, result.Outcome);
        Assert.StartsWith($"{Name(vendor)} is unavailable", result.Message, StringComparison.Ordinal);
        Assert.Contains("503", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vendor_that_does_not_answer_in_time_is_unreachable()
    {
        sims.Fastly.Faults.Set(new FaultProfile { TimeoutRate = 1 });
        using var impatient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMilliseconds(500) };

        var result = await new FastlyDriver().TestConnectionAsync(Call(CdnVendor.Fastly, GoodCredentials(CdnVendor.Fastly)) with { Http = impatient },
            CancellationToken.None);

        Assert.Equal(ConnectionTestOutcome.Unreachable, result.Outcome);
        Assert.Contains("timed out", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_maxcdn_alias_is_an_unexpected_answer_that_says_so()
    {
        var credentials = new Dictionary<string, string>(GoodCredentials(CdnVendor.MaxCdn)) { ["company_alias"] = "someone-else" };

        var result = await new MaxCdnDriver().TestConnectionAsync(Call(CdnVendor.MaxCdn, credentials), CancellationToken.None);

        Assert.Equal(ConnectionTestOutcome.Unexpected, result.Outcome);
        Assert.Contains("404", result.Message, StringComparison.Ordinal);
        Assert.Contains("Unknown company alias", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Vendors))]
    public async Task Every_request_a_driver_makes_for_a_service_names_the_service(CdnVendor vendor)
    {
        var serviceId = Guid.NewGuid();
        var spec = new ServiceSpec
        {
            Name = "tagged",
            FlavorId = "cdn",
            Domains = [new DomainSpec { Domain = $"www.{serviceId:N}.example" }],
            Origins = [new OriginSpec { Origin = "origin.tagged.example" }],
        };

        await Driver(vendor).ApplyAsync(Call(vendor, GoodCredentials(vendor)) with { ServiceId = serviceId }, spec, CancellationToken.None);

        Assert.NotEmpty(log.Requests);
        Assert.All(log.Requests, r => Assert.Equal(serviceId, r.ServiceId));
    }

    private ProviderCall Call(CdnVendor vendor, IReadOnlyDictionary<string, string> credentials) =>
        new(Guid.Empty, null, sims.Vendors.Single(v => v.Vendor == vendor).ApiBaseUrl, credentials, http, TimeProvider.System);

    private static ICdnDriver Driver(CdnVendor vendor) => vendor switch
    {
        CdnVendor.Fastly => new FastlyDriver(),
        CdnVendor.CloudFront => new CloudFrontDriver(),
        CdnVendor.Akamai => new AkamaiDriver(),
        _ => new MaxCdnDriver(),
    };

    private static string Name(CdnVendor vendor) => vendor == CdnVendor.MaxCdn ? "MaxCDN" : vendor.ToString();

    private IReadOnlyDictionary<string, string> GoodCredentials(CdnVendor vendor) => vendor switch
    {
        CdnVendor.Fastly => new Dictionary<string, string> { ["api_key"] = options.Fastly.ApiKeys[0] },
        CdnVendor.CloudFront => new Dictionary<string, string>
        {
            ["access_key_id"] = options.CloudFront.AccessKeyId, ["secret_access_key"] = options.CloudFront.SecretAccessKey, ["region"] = "us-east-1",
        },
        CdnVendor.Akamai => new Dictionary<string, string>
        {
            ["client_token"] = options.Akamai.ClientToken, ["client_secret"] = options.Akamai.ClientSecret, ["access_token"] = options.Akamai.AccessToken,
        },
        _ => new Dictionary<string, string>
        {
            ["company_alias"] = options.MaxCdn.CompanyAlias, ["consumer_key"] = options.MaxCdn.ConsumerKey, ["consumer_secret"] = options.MaxCdn.ConsumerSecret,
        },
    };

    private static (string Key, string Wrong) WrongSecret(CdnVendor vendor) => vendor switch
    {
        CdnVendor.Fastly => ("api_key", "wrong-fastly-token-0000"),
        CdnVendor.CloudFront => ("secret_access_key", "wrong-aws-secret-0000000000000000000"),
        CdnVendor.Akamai => ("client_secret", "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="),
        _ => ("consumer_secret", "wrong-maxcdn-consumer-secret"),
    };

    /// <summary>What each simulated vendor says about a bad signature or token.</summary>
    private static string VendorReason(CdnVendor vendor) => vendor switch
    {
        CdnVendor.Fastly => "Provided credentials are missing or invalid",
        CdnVendor.CloudFront => "SignatureDoesNotMatch",
        CdnVendor.Akamai => "The signature does not match",
        _ => "Invalid signature",
    };

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Sends on over real HTTP, keeping each request's method and the service id it was tagged with.</summary>
    private sealed class TagLog(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly ConcurrentQueue<(string Method, Guid? ServiceId)> requests = new();

        public IReadOnlyList<(string Method, Guid? ServiceId)> Requests => [.. requests];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            requests.Enqueue((request.Method.Method,
                request.Options.TryGetValue(ProviderRequestOptions.ServiceId, out var serviceId) ? serviceId : null));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
