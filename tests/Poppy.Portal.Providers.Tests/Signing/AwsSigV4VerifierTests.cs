using System.Text;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Tests.Signing;

/// <summary>
/// The simulators' side of SigV4: AWS's published requests verify, our signer's requests verify, and every kind of
/// tampering or bad credential is refused with the error AWS would answer.
/// </summary>
public sealed class AwsSigV4VerifierTests
{
    private static readonly AwsCredentials Driver = new("AKIAPOPPYDRIVER00001", "poppy/driver+secret/0123456789abcdefghijklm");
    private static readonly DateTimeOffset Now = new(2026, 3, 14, 9, 26, 53, TimeSpan.Zero);
    private const string CloudFront = "https://cloudfront.amazonaws.com";

    private static AwsSigV4Verifier Verifier(params AwsCredentials[] known) =>
        new("us-east-1", "cloudfront", id => known.FirstOrDefault(k => k.AccessKeyId == id));

    private static async Task<SignedRequest> SignedAsync(HttpRequestMessage request, AwsCredentials? credentials = null, DateTimeOffset? at = null)
    {
        await new AwsSigV4Signer(credentials ?? Driver, "us-east-1", "cloudfront").SignAsync(request, at ?? Now, CancellationToken.None);
        return await Wire.AsReceivedAsync(request);
    }

    private static HttpRequestMessage CreateInvalidation() =>
        new(HttpMethod.Post, CloudFront + "/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation?x=a%20b&y=%2Fimg")
        {
            Content = new StringContent(
                "<InvalidationBatch><CallerReference>t1</CallerReference><Paths><Quantity>1</Quantity><Items><Path>/img/*</Path></Items></Paths></InvalidationBatch>",
                Encoding.UTF8, "application/xml"),
        };

    [Fact]
    public void Accepts_the_suites_get_vanilla_request_with_its_published_signature()
    {
        var request = new SignedRequest("GET", "https", "example.amazonaws.com", "/",
            [new("Host", "example.amazonaws.com"), new("X-Amz-Date", "20150830T123600Z"),
             new("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")],
            []);
        var verifier = new AwsSigV4Verifier("us-east-1", "service", id => id == "AKIDEXAMPLE" ? AwsSigV4TestSuiteTests.Suite : null);

        var result = verifier.Verify(request, AwsSigV4TestSuiteTests.SuiteTime);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("AKIDEXAMPLE", result.AccessKeyId);
    }

    [Fact]
    public void Accepts_the_suites_header_value_trim_and_form_requests_as_sent_on_the_wire()
    {
        var verifier = new AwsSigV4Verifier("us-east-1", "service", id => id == "AKIDEXAMPLE" ? AwsSigV4TestSuiteTests.Suite : null);
        var trim = new SignedRequest("GET", "https", "example.amazonaws.com", "/",
            [new("Host", "example.amazonaws.com"), new("My-Header1", " value1"), new("My-Header2", " \"a   b   c\""), new("X-Amz-Date", "20150830T123600Z"),
             new("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736")],
            []);
        var form = new SignedRequest("POST", "https", "example.amazonaws.com", "/",
            [new("Content-Type", "application/x-www-form-urlencoded"), new("Host", "example.amazonaws.com"), new("X-Amz-Date", "20150830T123600Z"),
             new("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")],
            Encoding.UTF8.GetBytes("Param1=value1"));

        Assert.True(verifier.Verify(trim, AwsSigV4TestSuiteTests.SuiteTime).Succeeded);
        Assert.True(verifier.Verify(form, AwsSigV4TestSuiteTests.SuiteTime).Succeeded);
        Assert.Equal(AwsSigV4FailureReason.SignatureDoesNotMatch,
            verifier.Verify(form with { Body = Encoding.UTF8.GetBytes("Param1=value2") }, AwsSigV4TestSuiteTests.SuiteTime).Reason);
    }

    [Fact]
    public async Task Round_trip_post_with_body_and_encoded_query()
    {
        var request = await SignedAsync(CreateInvalidation());

        var result = Verifier(Driver).Verify(request, Now);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(200, result.HttpStatus);
        Assert.Equal("", result.ErrorCode);
    }

    [Fact]
    public async Task Round_trip_with_a_session_token_and_content_sha256()
    {
        var temporary = Driver with { SessionToken = "FwoGZXIvYXdzEXAMPLEsessiontoken" };
        var message = CreateInvalidation();
        await new AwsSigV4Signer(temporary, "us-east-1", "cloudfront") { SendContentSha256 = true }.SignAsync(message, Now, CancellationToken.None);
        var request = await Wire.AsReceivedAsync(message);

        Assert.True(Verifier(temporary).Verify(request, Now).Succeeded);
        var stolen = Verifier(temporary).Verify(request.WithHeader("X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLEothertoken"), Now);
        Assert.Equal(AwsSigV4FailureReason.InvalidClientTokenId, stolen.Reason);
        var withoutToken = Verifier(temporary).Verify(await SignedAsync(CreateInvalidation()), Now);
        Assert.Equal(AwsSigV4FailureReason.InvalidClientTokenId, withoutToken.Reason);
    }

    [Fact]
    public async Task Rejects_a_tampered_path()
    {
        var request = await SignedAsync(CreateInvalidation());

        var result = Verifier(Driver).Verify(request with { PathAndQuery = request.PathAndQuery.Replace("EDFDVBD6EXAMPLE", "EOTHERDISTRIB1") }, Now);

        Assert.Equal(AwsSigV4FailureReason.SignatureDoesNotMatch, result.Reason);
        Assert.Equal("SignatureDoesNotMatch", result.ErrorCode);
        Assert.Equal(403, result.HttpStatus);
        Assert.StartsWith("The request signature we calculated does not match", result.Message);
    }

    [Fact]
    public async Task Rejects_a_tampered_query()
    {
        var request = await SignedAsync(CreateInvalidation());

        var result = Verifier(Driver).Verify(request with { PathAndQuery = request.PathAndQuery.Replace("y=%2Fimg", "y=%2Fcss") }, Now);

        Assert.Equal(AwsSigV4FailureReason.SignatureDoesNotMatch, result.Reason);
    }

    [Fact]
    public async Task Rejects_a_tampered_body()
    {
        var request = await SignedAsync(CreateInvalidation());
        var body = Encoding.UTF8.GetString(request.Body).Replace("/img/*", "/*");

        var result = Verifier(Driver).Verify(request with { Body = Encoding.UTF8.GetBytes(body) }, Now);

        Assert.Equal(AwsSigV4FailureReason.SignatureDoesNotMatch, result.Reason);
    }

    [Fact]
    public async Task Rejects_a_tampered_signed_header_but_not_an_unsigned_one()
    {
        var request = await SignedAsync(CreateInvalidation());

        var tampered = Verifier(Driver).Verify(request.WithHeader("Content-Type", "text/plain"), Now);
        var proxied = Verifier(Driver).Verify(request.WithHeader("User-Agent", "a-proxy/1.0"), Now);

        Assert.Equal(AwsSigV4FailureReason.SignatureDoesNotMatch, tampered.Reason);
        Assert.True(proxied.Succeeded, proxied.Message);
    }

    [Fact]
    public async Task Rejects_a_missing_signed_header()
    {
        var request = await SignedAsync(CreateInvalidation());

        var result = Verifier(Driver).Verify(request.WithHeaders(h => h.Where(x => x.Key != "Content-Type")), Now);

        Assert.Equal(AwsSigV4FailureReason.SignatureDoesNotMatch, result.Reason);
        Assert.Contains("content-type", result.Message);
    }

    [Fact]
    public async Task Rejects_a_signature_made_with_another_secret()
    {
        var request = await SignedAsync(CreateInvalidation(), Driver with { SecretAccessKey = "not/the/secret/the/simulator/knows/at/all0" });

        var result = Verifier(Driver).Verify(request, Now);

        Assert.Equal(AwsSigV4FailureReason.SignatureDoesNotMatch, result.Reason);
        Assert.DoesNotContain(Driver.SecretAccessKey, result.Message);
    }

    [Fact]
    public async Task Rejects_an_unknown_access_key()
    {
        var request = await SignedAsync(CreateInvalidation(), new AwsCredentials("AKIAUNKNOWNKEY000000", Driver.SecretAccessKey));

        var result = Verifier(Driver).Verify(request, Now);

        Assert.Equal(AwsSigV4FailureReason.InvalidClientTokenId, result.Reason);
        Assert.Equal("InvalidClientTokenId", result.ErrorCode);
        Assert.Equal(403, result.HttpStatus);
        Assert.Equal("The security token included in the request is invalid.", result.Message);
    }

    [Fact]
    public async Task Rejects_a_request_signed_more_than_five_minutes_ago()
    {
        var request = await SignedAsync(CreateInvalidation(), at: Now.AddMinutes(-5).AddSeconds(-1));

        var result = Verifier(Driver).Verify(request, Now);

        Assert.Equal(AwsSigV4FailureReason.RequestTimeTooSkewed, result.Reason);
        Assert.Equal("SignatureDoesNotMatch", result.ErrorCode);
        Assert.Equal(403, result.HttpStatus);
        Assert.Equal("Signature expired: 20260314T092152Z is now earlier than 20260314T092153Z (20260314T092653Z - 5 min.)", result.Message);
    }

    [Fact]
    public async Task Rejects_a_request_signed_more_than_five_minutes_ahead()
    {
        var request = await SignedAsync(CreateInvalidation(), at: Now.AddMinutes(6));

        var result = Verifier(Driver).Verify(request, Now);

        Assert.Equal(AwsSigV4FailureReason.RequestTimeTooSkewed, result.Reason);
        Assert.StartsWith("Signature not yet current: 20260314T093253Z is still later than 20260314T093153Z", result.Message);
    }

    [Fact]
    public async Task Accepts_a_clock_exactly_five_minutes_apart()
    {
        var early = await SignedAsync(CreateInvalidation(), at: Now.AddMinutes(-5));
        var late = await SignedAsync(CreateInvalidation(), at: Now.AddMinutes(5));

        Assert.True(Verifier(Driver).Verify(early, Now).Succeeded);
        Assert.True(Verifier(Driver).Verify(late, Now).Succeeded);
    }

    [Fact]
    public async Task Refuses_a_request_without_authorization()
    {
        var request = (await SignedAsync(CreateInvalidation())).WithHeaders(h => h.Where(x => x.Key != "Authorization"));

        var result = Verifier(Driver).Verify(request, Now);

        Assert.Equal(AwsSigV4FailureReason.MissingAuthenticationToken, result.Reason);
        Assert.Equal(403, result.HttpStatus);
    }

    [Theory]
    [InlineData("AWS AKIAPOPPYDRIVER00001:c2lnbmF0dXJl")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIAPOPPYDRIVER00001/20260314/us-east-1/cloudfront/aws4_request, SignedHeaders=host;x-amz-date")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIAPOPPYDRIVER00001/20260314/us-east-1/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")]
    public async Task Refuses_an_incomplete_signature(string authorization)
    {
        var request = (await SignedAsync(CreateInvalidation())).WithHeader("Authorization", authorization);

        var result = Verifier(Driver).Verify(request, Now);

        Assert.Equal(AwsSigV4FailureReason.IncompleteSignature, result.Reason);
        Assert.Equal("IncompleteSignature", result.ErrorCode);
        Assert.Equal(400, result.HttpStatus);
    }

    [Fact]
    public async Task Refuses_a_request_without_a_date()
    {
        var request = (await SignedAsync(CreateInvalidation())).WithHeaders(h => h.Where(x => x.Key != "X-Amz-Date"));

        var result = Verifier(Driver).Verify(request, Now);

        Assert.Equal(AwsSigV4FailureReason.IncompleteSignature, result.Reason);
    }

    [Theory]
    [InlineData("eu-west-1", "cloudfront", "Credential should be scoped to a valid region")]
    [InlineData("us-east-1", "route53", "Credential should be scoped to correct service")]
    public async Task Refuses_a_credential_scoped_elsewhere(string region, string service, string message)
    {
        var message1 = CreateInvalidation();
        await new AwsSigV4Signer(Driver, region, service).SignAsync(message1, Now, CancellationToken.None);

        var result = Verifier(Driver).Verify(await Wire.AsReceivedAsync(message1), Now);

        Assert.Equal(AwsSigV4FailureReason.SignatureDoesNotMatch, result.Reason);
        Assert.StartsWith(message, result.Message);
    }

    [Fact]
    public async Task Refuses_a_content_sha256_that_is_not_the_bodys()
    {
        var message = CreateInvalidation();
        await new AwsSigV4Signer(Driver, "us-east-1", "cloudfront") { SendContentSha256 = true }.SignAsync(message, Now, CancellationToken.None);
        var request = await Wire.AsReceivedAsync(message);

        var result = Verifier(Driver).Verify(request with { Body = Encoding.UTF8.GetBytes("<other/>") }, Now);

        Assert.Equal(AwsSigV4FailureReason.SignatureDoesNotMatch, result.Reason);
        Assert.Contains("x-amz-content-sha256", result.Message);
    }
}
