using System.Net;
using Poppy.Portal.Providers.Signing;
using Poppy.Portal.Simulators.Tests.Infrastructure;
using static Poppy.Portal.Simulators.Tests.CloudFront.CloudFrontCalls;

namespace Poppy.Portal.Simulators.Tests.CloudFront;

public sealed class CloudFrontApiTests : SimulatorTest
{
    private CloudFrontCalls api = null!;

    private CloudFrontCalls Api => api ??= new CloudFrontCalls(Simulator.CloudFront.ApiBaseUrl, Clock);

    [Fact]
    public async Task Create_read_update_disable_delete_and_invalidate_with_etags_and_eventual_deployment()
    {
        // Create: 201, Location, ETag, InProgress.
        using var created = await Api.SendAsync(HttpMethod.Post, "2020-05-31/distribution", Config("ref-1", Origin.Port));
        AssertStatus(HttpStatusCode.Created, created, await created.Content.ReadAsStringAsync());
        var distribution = await XmlOf(created);
        var id = distribution.Element(Ns + "Id")!.Value;
        Assert.Equal($"2020-05-31/distribution/{id}", Simulator.CloudFront.ApiBaseUrl.MakeRelativeUri(created.Headers.Location!).ToString());
        var etag = Header(created, "ETag");
        Assert.NotEmpty(etag);
        Assert.Equal("InProgress", distribution.Element(Ns + "Status")!.Value);
        Assert.Matches("^d[a-z0-9]{13}\\.cloudfront\\.net$", distribution.Element(Ns + "DomainName")!.Value);
        Assert.Equal("poppy", Simulator.CloudFront.FindDistribution(id)!.Config.Comment);

        // Deployed once the (fake) clock has passed the deploy delay.
        Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("InProgress", await StatusAsync(id));
        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("Deployed", await StatusAsync(id));

        // Read the config with its ETag.
        using (var config = await Api.SendAsync(HttpMethod.Get, $"2020-05-31/distribution/{id}/config"))
        {
            AssertStatus(HttpStatusCode.OK, config);
            Assert.Equal(etag, Header(config, "ETag"));
            Assert.Equal("ref-1", (await XmlOf(config)).Element(Ns + "CallerReference")!.Value);
        }

        // Update needs the current ETag in If-Match.
        using (var noIfMatch = await Api.SendAsync(HttpMethod.Put, $"2020-05-31/distribution/{id}/config", Config("ref-1", Origin.Port, comment: "v2")))
        {
            AssertStatus(HttpStatusCode.BadRequest, noIfMatch);
            Assert.Equal("InvalidIfMatchVersion", await ErrorCodeOf(noIfMatch));
        }

        using (var stale = await Api.SendAsync(HttpMethod.Put, $"2020-05-31/distribution/{id}/config", Config("ref-1", Origin.Port, comment: "v2"), "EOLDETAG000000"))
        {
            AssertStatus(HttpStatusCode.PreconditionFailed, stale);
            Assert.Equal("PreconditionFailed", await ErrorCodeOf(stale));
        }

        using (var updated = await Api.SendAsync(HttpMethod.Put, $"2020-05-31/distribution/{id}/config", Config("ref-1", Origin.Port, comment: "v2"), etag))
        {
            AssertStatus(HttpStatusCode.OK, updated);
            Assert.NotEqual(etag, Header(updated, "ETag"));
            etag = Header(updated, "ETag");
            Assert.Equal("InProgress", (await XmlOf(updated)).Element(Ns + "Status")!.Value);
        }

        Assert.Equal("v2", Simulator.CloudFront.FindDistribution(id)!.Config.Comment);

        // Invalidate: 201, InProgress, then Completed.
        using (var invalidation = await Api.SendAsync(HttpMethod.Post, $"2020-05-31/distribution/{id}/invalidation", InvalidationBatch("inv-1", "/img/*")))
        {
            AssertStatus(HttpStatusCode.Created, invalidation);
            Assert.Equal("InProgress", (await XmlOf(invalidation)).Element(Ns + "Status")!.Value);
        }

        var invalidationId = Assert.Single(Simulator.CloudFront.Invalidations).Id;
        Clock.Advance(TimeSpan.FromSeconds(5));
        using (var completed = await Api.SendAsync(HttpMethod.Get, $"2020-05-31/distribution/{id}/invalidation/{invalidationId}"))
        {
            Assert.Equal("Completed", (await XmlOf(completed)).Element(Ns + "Status")!.Value);
        }

        // Delete: refused while enabled, and while the disable is still deploying; accepted after.
        using (var enabled = await Api.SendAsync(HttpMethod.Delete, $"2020-05-31/distribution/{id}", ifMatch: etag))
        {
            AssertStatus(HttpStatusCode.Conflict, enabled);
            Assert.Equal("DistributionNotDisabled", await ErrorCodeOf(enabled));
        }

        using (var disabled = await Api.SendAsync(HttpMethod.Put, $"2020-05-31/distribution/{id}/config", Config("ref-1", Origin.Port, enabled: false), etag))
        {
            AssertStatus(HttpStatusCode.OK, disabled);
            etag = Header(disabled, "ETag");
        }

        using (var deploying = await Api.SendAsync(HttpMethod.Delete, $"2020-05-31/distribution/{id}", ifMatch: etag))
        {
            Assert.Equal("DistributionNotDisabled", await ErrorCodeOf(deploying));
        }

        Clock.Advance(TimeSpan.FromMinutes(5));
        using (var deleted = await Api.SendAsync(HttpMethod.Delete, $"2020-05-31/distribution/{id}", ifMatch: etag))
        {
            AssertStatus(HttpStatusCode.NoContent, deleted);
        }

        Assert.Empty(Simulator.CloudFront.Distributions);
        using var gone = await Api.SendAsync(HttpMethod.Get, $"2020-05-31/distribution/{id}");
        AssertStatus(HttpStatusCode.NotFound, gone);
        Assert.Equal("NoSuchDistribution", await ErrorCodeOf(gone));
    }

    [Fact]
    public async Task Caller_reference_makes_create_idempotent_for_the_same_config_only()
    {
        using var first = await Api.SendAsync(HttpMethod.Post, "2020-05-31/distribution", Config("same-ref", Origin.Port));
        var id = (await XmlOf(first)).Element(Ns + "Id")!.Value;

        // A retry of the same request (whitespace does not matter) gets the same distribution back.
        using var retry = await Api.SendAsync(HttpMethod.Post, "2020-05-31/distribution", Config("same-ref", Origin.Port).Replace("\n", "\n  "));
        AssertStatus(HttpStatusCode.Created, retry);
        Assert.Equal(id, (await XmlOf(retry)).Element(Ns + "Id")!.Value);
        Assert.Single(Simulator.CloudFront.Distributions);

        using var different = await Api.SendAsync(HttpMethod.Post, "2020-05-31/distribution", Config("same-ref", Origin.Port, comment: "other"));
        AssertStatus(HttpStatusCode.Conflict, different);
        Assert.Equal("DistributionAlreadyExists", await ErrorCodeOf(different));
        Assert.Single(Simulator.CloudFront.Distributions);
    }

    [Fact]
    public async Task Signature_problems_are_refused_in_the_AWS_error_shape()
    {
        using var unsigned = new HttpClient();
        using (var missing = await unsigned.GetAsync(new Uri(Simulator.CloudFront.ApiBaseUrl, "2020-05-31/distribution")))
        {
            AssertStatus(HttpStatusCode.Forbidden, missing);
            Assert.Equal("MissingAuthenticationToken", await ErrorCodeOf(missing));
        }

        using var wrongSecret = new CloudFrontCalls(Simulator.CloudFront.ApiBaseUrl, Clock, new AwsCredentials("AKIASIMULATOREXAMPLE", "not-the-secret"));
        using (var mismatch = await wrongSecret.SendAsync(HttpMethod.Post, "2020-05-31/distribution", Config("x", Origin.Port)))
        {
            AssertStatus(HttpStatusCode.Forbidden, mismatch);
            Assert.Equal("SignatureDoesNotMatch", await ErrorCodeOf(mismatch));
        }

        using var unknownKey = new CloudFrontCalls(Simulator.CloudFront.ApiBaseUrl, Clock, new AwsCredentials("AKIAUNKNOWNEXAMPLE00", "s"));
        using (var unknown = await unknownKey.SendAsync(HttpMethod.Get, "2020-05-31/distribution"))
        {
            Assert.Equal("InvalidClientTokenId", await ErrorCodeOf(unknown));
        }

        Assert.Empty(Simulator.CloudFront.Distributions);
    }

    [Fact]
    public async Task Invalid_configs_get_CloudFront_error_codes()
    {
        var inconsistent = Config("a", Origin.Port).Replace("<Origins><Quantity>1</Quantity>", "<Origins><Quantity>2</Quantity>");
        using (var response = await Api.SendAsync(HttpMethod.Post, "2020-05-31/distribution", inconsistent))
        {
            AssertStatus(HttpStatusCode.BadRequest, response);
            Assert.Equal("InconsistentQuantities", await ErrorCodeOf(response));
        }

        var noSuchOrigin = Config("b", Origin.Port).Replace("<TargetOriginId>origin-1</TargetOriginId>", "<TargetOriginId>nope</TargetOriginId>");
        using (var response = await Api.SendAsync(HttpMethod.Post, "2020-05-31/distribution", noSuchOrigin))
        {
            AssertStatus(HttpStatusCode.NotFound, response);
            Assert.Equal("NoSuchOrigin", await ErrorCodeOf(response));
        }

        using (var response = await Api.SendAsync(HttpMethod.Post, "2020-05-31/distribution", "<DistributionConfig><oops"))
        {
            Assert.Equal("MalformedXML", await ErrorCodeOf(response));
        }

        using (var first = await Api.SendAsync(HttpMethod.Post, "2020-05-31/distribution", Config("c", Origin.Port, alias: "www.example.com")))
        {
            AssertStatus(HttpStatusCode.Created, first);
        }

        using (var taken = await Api.SendAsync(HttpMethod.Post, "2020-05-31/distribution", Config("d", Origin.Port, alias: "www.example.com")))
        {
            AssertStatus(HttpStatusCode.Conflict, taken);
            Assert.Equal("CNAMEAlreadyExists", await ErrorCodeOf(taken));
        }

        Assert.Single(Simulator.CloudFront.Distributions);
    }

    private async Task<string> StatusAsync(string id)
    {
        using var response = await Api.SendAsync(HttpMethod.Get, $"2020-05-31/distribution/{id}");
        return (await XmlOf(response)).Element(Ns + "Status")!.Value;
    }
}
