using System.Xml.Linq;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Cdn.CloudFront;
using Poppy.Portal.Providers.Signing;
using Poppy.Portal.Simulators;
using Poppy.Portal.Simulators.CloudFront;
using Poppy.Portal.Simulators.Faults;

namespace Poppy.Portal.Providers.Tests.Cdn;

/// <summary>The CloudFront driver against the CloudFront simulator over loopback HTTP, with a hand-moved clock.</summary>
public sealed class CloudFrontDriverTests : IAsyncLifetime
{
    private const string CertificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/poppy-test";

    private static readonly XNamespace Ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";
    private static readonly TimeSpan DeployDelay = TimeSpan.FromMinutes(5);

    private readonly ManualClock clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly RequestLog requests = new(new SocketsHttpHandler { UseProxy = false });
    private readonly HttpClient http;
    private readonly CloudFrontDriver driver = new();
    private readonly Guid serviceId = Guid.Parse("6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f");
    private SimulatorHost simulator = null!;

    public CloudFrontDriverTests() => http = new HttpClient(requests) { Timeout = TimeSpan.FromSeconds(30) };

    private CloudFrontSimulator CloudFront => simulator.CloudFront;

    public async Task InitializeAsync() =>
        simulator = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            TimeProvider = clock, DeployDelay = DeployDelay, PurgeDelay = TimeSpan.FromSeconds(5), TimeoutHang = TimeSpan.FromSeconds(1),
        }, CancellationToken.None);

    public async Task DisposeAsync()
    {
        http.Dispose();
        await simulator.DisposeAsync();
    }

    [Fact]
    public async Task Create_stores_every_setting_as_CloudFront_expresses_it_and_warns_about_the_rest()
    {
        var result = await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);

        var distribution = Assert.Single(CloudFront.Distributions);
        Assert.Equal(distribution.Id, result.ProviderServiceId);
        Assert.Equal(DeploymentState.InProgress, result.State);
        Assert.Equal(["www.example.com", "static.example.com"], result.AccessUrls.Select(a => a.Domain));
        Assert.All(result.AccessUrls, a => Assert.Equal(distribution.DomainName, a.ProviderUrl));

        var config = distribution.Config;
        Assert.Equal($"poppy-{serviceId:D}", config.CallerReference);
        Assert.Equal($"poppy:{serviceId:D} shop", config.Comment);
        Assert.True(config.Enabled);
        Assert.Equal(["www.example.com", "static.example.com"], config.Aliases);
        Assert.Equal("PriceClass_All", config.PriceClass);

        // Origins: the catch-all one is the default target; the ssl one is reached over HTTPS on its port.
        Assert.Equal(2, config.Origins.Count);
        Assert.Equal(new CloudFrontOrigin("poppy-origin-0", "origin.example.com", "", 8080, 443, "match-viewer"), config.Origins[0]);
        Assert.Equal(new CloudFrontOrigin("poppy-origin-1", "images.example.com", "", 80, 8443, "https-only"), config.Origins[1]);

        // Default behaviour: the "/*" caching rule's TTL as DefaultTTL inside the delivery bounds.
        Assert.Equal(new CloudFrontCacheBehavior(null, "poppy-origin-0", "redirect-to-https", null, false, 10, 3600, 604800), config.DefaultCacheBehavior);

        // One behaviour per path, most specific first; each takes the origin and TTL of the rules that cover it.
        Assert.Equal(
            [
                new CloudFrontCacheBehavior("/images/*", "poppy-origin-1", "redirect-to-https", null, false, 10, 86400, 604800),
                new CloudFrontCacheBehavior("/year/*", "poppy-origin-0", "redirect-to-https", null, false, 10, 31536000, 31536000),
                new CloudFrontCacheBehavior("/api/*", "poppy-origin-0", "redirect-to-https", null, false, 0, 0, 0),
            ],
            config.CacheBehaviors);

        var xml = config.Xml;
        Assert.Equal("index.html", xml.Element(Ns + "DefaultRootObject")!.Value);
        var forwarded = xml.Element(Ns + "DefaultCacheBehavior")!.Element(Ns + "ForwardedValues")!;
        Assert.Equal("all", forwarded.Element(Ns + "Cookies")!.Element(Ns + "Forward")!.Value);
        Assert.Equal(["Host"], forwarded.Element(Ns + "Headers")!.Descendants(Ns + "Name").Select(n => n.Value));
        var imagesForwarded = Behaviours(xml).Single(b => b.Element(Ns + "PathPattern")!.Value == "/images/*").Element(Ns + "ForwardedValues")!;
        Assert.Equal("0", imagesForwarded.Element(Ns + "Headers")!.Element(Ns + "Quantity")!.Value); // host header "origin"

        var certificate = xml.Element(Ns + "ViewerCertificate")!;
        Assert.Equal(CertificateArn, certificate.Element(Ns + "ACMCertificateArn")!.Value);
        Assert.Equal("sni-only", certificate.Element(Ns + "SSLSupportMethod")!.Value);

        // Whitelist USA, Canada, Germany minus blacklisted Germany.
        var geo = xml.Element(Ns + "Restrictions")!.Element(Ns + "GeoRestriction")!;
        Assert.Equal("whitelist", geo.Element(Ns + "RestrictionType")!.Value);
        Assert.Equal(["CA", "US"], geo.Descendants(Ns + "Location").Select(l => l.Value));

        Assert.Contains(result.Warnings, w => w.Contains("referrer", StringComparison.Ordinal) && w.Contains("WAF", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("client IP", StringComparison.Ordinal) && w.Contains("WAF", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.StartsWith("Log delivery", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("/media/*", StringComparison.Ordinal) && w.Contains("whole distribution", StringComparison.Ordinal));
        Assert.Equal(4, result.Warnings.Count);
        // Said up front as well, before anything is sent: the same list, from the same mapping.
        Assert.Equal(result.Warnings, driver.Limitations(FullSpec(), Call().Credentials));
    }

    [Fact]
    public async Task Apply_twice_even_without_the_remembered_id_keeps_one_distribution_and_does_not_redeploy_it()
    {
        var first = await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);
        var etag = Assert.Single(CloudFront.Distributions).ETag;

        var again = await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);
        var hinted = await driver.ApplyAsync(Call(first.ProviderServiceId), FullSpec(), CancellationToken.None);

        var distribution = Assert.Single(CloudFront.Distributions);
        Assert.Equal(first.ProviderServiceId, again.ProviderServiceId);
        Assert.Equal(first.ProviderServiceId, hinted.ProviderServiceId);
        Assert.Equal(etag, distribution.ETag); // unchanged config: no PUT

        // A stale or foreign hint is verified, not trusted.
        var wrongHint = await driver.ApplyAsync(Call("ENOSUCHDISTRIB"), FullSpec(), CancellationToken.None);
        Assert.Equal(first.ProviderServiceId, wrongHint.ProviderServiceId);
        Assert.Single(CloudFront.Distributions);
    }

    [Fact]
    public async Task A_new_service_is_created_in_one_request_and_a_changed_spec_without_the_id_updates_the_same_distribution()
    {
        var first = await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);
        var create = Assert.Single(requests.Requests); // no list of the account's distributions first
        Assert.StartsWith("POST ", create, StringComparison.Ordinal);
        Assert.EndsWith("/distribution", create, StringComparison.Ordinal);

        // As after a crash that lost the id while the service changed: the CallerReference names the distribution.
        var spec = FullSpec();
        spec.Origins[0].Port = 9090;
        var again = await driver.ApplyAsync(Call(), spec, CancellationToken.None);

        var distribution = Assert.Single(CloudFront.Distributions);
        Assert.Equal(first.ProviderServiceId, again.ProviderServiceId);
        Assert.Equal(9090, distribution.Config.Origins[0].HttpPort);
        Assert.DoesNotContain(requests.Requests, r => r.StartsWith("GET ", StringComparison.Ordinal) && r.EndsWith("/distribution", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_distribution_whose_comment_was_edited_by_hand_is_found_again_by_its_caller_reference()
    {
        var created = await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);
        var before = Assert.Single(CloudFront.Distributions);
        var edited = new XElement(before.Config.Xml);
        edited.Element(Ns + "Comment")!.Value = "renamed in the AWS console";
        await SendSignedAsync(HttpMethod.Put, $"2020-05-31/distribution/{before.Id}/config", edited, before.ETag);

        var again = await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);

        var after = Assert.Single(CloudFront.Distributions);
        Assert.Equal(created.ProviderServiceId, again.ProviderServiceId);
        Assert.Equal($"poppy:{serviceId:D} shop", after.Config.Comment); // the marker is put back
    }

    [Fact]
    public async Task State_is_in_progress_until_the_simulator_clock_passes_the_deployment()
    {
        Assert.Null(await driver.GetStateAsync(Call(), FullSpec(), CancellationToken.None));
        await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);

        clock.Advance(DeployDelay - TimeSpan.FromSeconds(1));
        Assert.Equal(DeploymentState.InProgress, (await driver.GetStateAsync(Call(), FullSpec(), CancellationToken.None))!.State);

        clock.Advance(TimeSpan.FromSeconds(1));
        var state = await driver.GetStateAsync(Call(), FullSpec(), CancellationToken.None);
        Assert.Equal(DeploymentState.Deployed, state!.State);
        Assert.Equal(4, state.Warnings.Count);
        Assert.Equal(DeploymentState.Deployed, (await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None)).State);
    }

    [Fact]
    public async Task Update_puts_the_changed_config_with_the_etag_and_deploys_again()
    {
        var created = await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);
        clock.Advance(DeployDelay);
        var before = Assert.Single(CloudFront.Distributions);

        var spec = FullSpec();
        spec.Domains.RemoveAt(1);
        spec.Domains.Add(new DomainSpec { Domain = "Shop.Example.org" });
        spec.Origins[0].Port = 9090;
        spec.Caching[0].Ttl = 600;
        spec.Delivery.ViewerProtocolPolicy = ViewerProtocolPolicy.AllowAll;
        spec.Delivery.ForwardQueryStrings = true;
        spec.Restrictions = [new RestrictionSpec { Name = "no-fr", Access = RestrictionAccess.Blacklist, Rules = [new() { Geography = "France" }] }];
        var updated = await driver.ApplyAsync(Call(created.ProviderServiceId), spec, CancellationToken.None);

        var after = Assert.Single(CloudFront.Distributions);
        Assert.Equal(before.Id, after.Id);
        Assert.NotEqual(before.ETag, after.ETag);
        Assert.Equal(DeploymentState.InProgress, updated.State);
        Assert.Equal("InProgress", CloudFront.StatusOf(after));
        Assert.Equal(before.Config.CallerReference, after.Config.CallerReference);
        Assert.Equal(["www.example.com", "shop.example.org"], after.Config.Aliases);
        Assert.Equal(9090, after.Config.Origins[0].HttpPort);
        Assert.Equal(new CloudFrontCacheBehavior(null, "poppy-origin-0", "allow-all", null, true, 10, 600, 604800), after.Config.DefaultCacheBehavior);
        var geo = after.Config.Xml.Element(Ns + "Restrictions")!.Element(Ns + "GeoRestriction")!;
        Assert.Equal("blacklist", geo.Element(Ns + "RestrictionType")!.Value);
        Assert.Equal(["FR"], geo.Descendants(Ns + "Location").Select(l => l.Value));
        Assert.Equal("Log delivery", Assert.Single(updated.Warnings)[..12]); // the WAF and per-path geo warnings left with the old restrictions
    }

    [Fact]
    public async Task Without_a_certificate_the_domains_are_not_aliases_and_a_warning_says_why()
    {
        var result = await driver.ApplyAsync(Call(certificate: false), FullSpec(), CancellationToken.None);

        var distribution = Assert.Single(CloudFront.Distributions);
        Assert.Empty(distribution.Config.Aliases);
        Assert.Equal("true", distribution.Config.Xml.Element(Ns + "ViewerCertificate")!.Element(Ns + "CloudFrontDefaultCertificate")!.Value);
        Assert.Contains(result.Warnings, w => w.Contains("www.example.com", StringComparison.Ordinal) && w.Contains("acm_certificate_arn", StringComparison.Ordinal));
        // Known before anything is sent, from the account's credentials.
        Assert.Equal(result.Warnings, driver.Limitations(FullSpec(), Call(certificate: false).Credentials));
    }

    [Fact]
    public async Task Purge_of_a_url_and_of_everything_are_invalidations_hard_or_soft()
    {
        var created = await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);

        await driver.PurgeAsync(Call(), FullSpec(), "/images/logo.png", hard: true, CancellationToken.None);
        await driver.PurgeAsync(Call(), FullSpec(), null, hard: true, CancellationToken.None);
        await driver.PurgeAsync(Call(), FullSpec(), "css/site.css", hard: false, CancellationToken.None);
        await driver.PurgeAsync(Call(), FullSpec(), null, hard: true, CancellationToken.None);

        var invalidations = CloudFront.Invalidations;
        Assert.All(invalidations, i => Assert.Equal(created.ProviderServiceId, i.DistributionId));
        Assert.Equal([["/images/logo.png"], ["/*"], ["/css/site.css"], ["/*"]], invalidations.Select(i => i.Paths.ToArray()));
        Assert.Equal(4, invalidations.Select(i => i.CallerReference).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(PurgePathCases.LeavingTheService), MemberType = typeof(PurgePathCases))]
    public async Task Purge_refuses_a_path_that_is_not_normalized_and_sends_nothing(string url)
    {
        await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.PurgeAsync(Call(), FullSpec(), url, hard: true, CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Empty(CloudFront.Invalidations);
    }

    [Fact]
    public async Task Purge_without_a_distribution_is_a_permanent_error()
    {
        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.PurgeAsync(Call(), FullSpec(), null, hard: true, CancellationToken.None));
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Delete_disables_waits_for_the_deployment_then_deletes_and_a_second_delete_is_fine()
    {
        await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);

        Assert.Equal(DeploymentState.InProgress, await driver.DeleteAsync(Call(), FullSpec(), CancellationToken.None));
        var disabled = Assert.Single(CloudFront.Distributions);
        Assert.False(disabled.Config.Enabled);
        Assert.Equal(["www.example.com", "static.example.com"], disabled.Config.Aliases); // only Enabled changed

        // Still deploying the disable: nothing deleted yet.
        Assert.Equal(DeploymentState.InProgress, await driver.DeleteAsync(Call(), FullSpec(), CancellationToken.None));
        Assert.Single(CloudFront.Distributions);

        clock.Advance(DeployDelay);
        Assert.Equal(DeploymentState.Deployed, await driver.DeleteAsync(Call(), FullSpec(), CancellationToken.None));
        Assert.Empty(CloudFront.Distributions);

        Assert.Equal(DeploymentState.Deployed, await driver.DeleteAsync(Call(disabled.Id), FullSpec(), CancellationToken.None));
        Assert.Null(await driver.GetStateAsync(Call(disabled.Id), FullSpec(), CancellationToken.None));
    }

    [Fact]
    public async Task Bad_credentials_are_a_permanent_error_with_the_vendor_message()
    {
        var call = Call() with
        {
            Credentials = new Dictionary<string, string> { ["access_key_id"] = "AKIASIMULATOREXAMPLE", ["secret_access_key"] = "wrong-secret", ["region"] = "us-east-1" },
        };

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(call, FullSpec(), CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Equal(403, error.StatusCode);
        Assert.Contains("SignatureDoesNotMatch", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret", error.Message, StringComparison.Ordinal);
        Assert.Empty(CloudFront.Distributions);
    }

    [Fact]
    public async Task A_rejected_config_is_a_permanent_error_with_the_vendor_message()
    {
        var spec = FullSpec();
        spec.Origins[0].Port = 70000;

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call(), spec, CancellationToken.None));

        Assert.False(error.IsTransient);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("InvalidArgument", error.Message, StringComparison.Ordinal);
        Assert.Contains("HTTPPort has an invalid value: 70000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttling_is_transient_with_the_vendors_retry_after()
    {
        CloudFront.Faults.Set(new FaultProfile { ThrottleBurst = new ThrottleBurst(1, 7) });

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("Throttling", error.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);

        // The burst is over: the repeated call succeeds.
        await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);
        Assert.Single(CloudFront.Distributions);
    }

    [Fact]
    public async Task An_outage_is_transient()
    {
        CloudFront.Faults.Set(new FaultProfile { Outage = true });

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.DeleteAsync(Call(), FullSpec(), CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Equal(503, error.StatusCode);
        Assert.Contains("ServiceUnavailable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vendor_that_does_not_answer_in_time_is_a_transient_error()
    {
        CloudFront.Faults.Set(new FaultProfile { TimeoutRate = 1 });
        using var impatient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMilliseconds(300) };

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.ApplyAsync(Call() with { Http = impatient }, FullSpec(), CancellationToken.None));

        Assert.True(error.IsTransient);
        Assert.Null(error.StatusCode);
    }

    [Fact]
    public async Task Too_many_invalidations_in_progress_is_transient()
    {
        await driver.ApplyAsync(Call(), FullSpec(), CancellationToken.None);
        for (var i = 0; i < 15; i++)
        {
            await driver.PurgeAsync(Call(), FullSpec(), null, hard: true, CancellationToken.None);
        }

        var error = await Assert.ThrowsAsync<CdnDriverException>(() => driver.PurgeAsync(Call(), FullSpec(), "/img/*", hard: true, CancellationToken.None));
        Assert.True(error.IsTransient);
        Assert.Contains("TooManyInvalidationsInProgress", error.Message, StringComparison.Ordinal);

        // Once the invalidations complete (simulator clock), the purge goes through.
        clock.Advance(TimeSpan.FromSeconds(5));
        await driver.PurgeAsync(Call(), FullSpec(), "/img/*", hard: true, CancellationToken.None);
        Assert.Equal(16, CloudFront.Invalidations.Count);
    }

    /// <summary>A change made outside the portal, as the AWS console would make it.</summary>
    private async Task SendSignedAsync(HttpMethod method, string path, XElement body, string ifMatch)
    {
        var signer = new AwsSigV4Signer(
            new AwsCredentials("AKIASIMULATOREXAMPLE", "simulatorSecretKey/ForCloudFront0000000000"), "us-east-1", "cloudfront");
        using var request = new HttpRequestMessage(method, new Uri(CloudFront.ApiBaseUrl, path))
        {
            Content = new StringContent(body.ToString(SaveOptions.DisableFormatting), System.Text.Encoding.UTF8, "text/xml"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        await signer.SignAsync(request, clock.GetUtcNow(), CancellationToken.None);
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static IEnumerable<XElement> Behaviours(XElement config) =>
        config.Element(Ns + "CacheBehaviors")!.Element(Ns + "Items")!.Elements(Ns + "CacheBehavior");

    private ProviderCall Call(string? providerServiceId = null, bool certificate = true)
    {
        var credentials = new Dictionary<string, string>
        {
            ["access_key_id"] = "AKIASIMULATOREXAMPLE",
            ["secret_access_key"] = "simulatorSecretKey/ForCloudFront0000000000",
            ["region"] = "us-east-1",
        };
        if (certificate)
        {
            credentials[CloudFrontDriver.CertificateArnKey] = CertificateArn;
        }

        return new ProviderCall(serviceId, providerServiceId, CloudFront.ApiBaseUrl, credentials, http, clock);
    }

    private static ServiceSpec FullSpec() => new()
    {
        Name = "shop",
        FlavorId = "cdn",
        Domains =
        [
            new() { Domain = "www.example.com", Protocol = DomainProtocol.Https, Certificate = CertificateType.Sni },
            new() { Domain = "static.example.com" },
        ],
        Origins =
        [
            new() { Origin = "origin.example.com", Port = 8080, Rules = [new() { Name = "default", RequestUrl = "/*" }] },
            new()
            {
                Origin = "images.example.com", Port = 8443, Ssl = true, HostHeaderType = HostHeaderType.Origin,
                Rules = [new() { Name = "images", RequestUrl = "/images/*" }],
            },
        ],
        Caching =
        [
            new() { Name = "default", Ttl = 3600, Rules = [new() { Name = "all", RequestUrl = "/*" }] },
            new() { Name = "images", Ttl = 86400, Rules = [new() { Name = "images", RequestUrl = "/images/*" }] },
            new() { Name = "api", Ttl = 0, Rules = [new() { Name = "api", RequestUrl = "/api/*" }] },
            new() { Name = "year", Ttl = 31_536_000, Rules = [new() { Name = "year", RequestUrl = "/year/*" }] },
        ],
        Restrictions =
        [
            new()
            {
                Name = "north-america-and-germany", Access = RestrictionAccess.Whitelist,
                Rules = [new() { Geography = "USA" }, new() { Geography = "Canada" }, new() { Geography = "Germany", RequestUrl = "/media/*" }],
            },
            new() { Name = "not-germany", Access = RestrictionAccess.Blacklist, Rules = [new() { Geography = "Germany" }] },
            new() { Name = "hotlinking", Access = RestrictionAccess.Whitelist, Rules = [new() { Referrer = "example.com" }] },
            new() { Name = "office", Access = RestrictionAccess.Blacklist, Rules = [new() { ClientIp = "203.0.113.0/24" }] },
        ],
        LogDelivery = new() { Enabled = true },
        Delivery = new()
        {
            ViewerProtocolPolicy = ViewerProtocolPolicy.RedirectToHttps,
            DefaultRootObject = "index.html",
            ForwardQueryStrings = false,
            ForwardCookies = true,
            MinTtl = 10,
            DefaultTtl = 7200,
            MaxTtl = 604_800,
        },
    };
}
