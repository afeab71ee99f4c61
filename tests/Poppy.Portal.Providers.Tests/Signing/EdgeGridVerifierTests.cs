using System.Text;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Tests.Signing;

/// <summary>
/// The simulators' side of EdgeGrid: Akamai's published header verifies, our signer's requests verify, and tampering,
/// unknown clients and clock skew are refused with Akamai's status and detail.
/// </summary>
public sealed class EdgeGridVerifierTests
{
    private static readonly EdgeGridCredentials Client = new("akab-poppyclient0001-abcdefghijklmnop", "cG9wcHktY2xpZW50LXNlY3JldC0wMTIzNDU2Nzg5YWI=", "akab-poppyaccess0001-abcdefghijklmnop");
    private static readonly DateTimeOffset Now = new(2026, 3, 14, 9, 26, 53, TimeSpan.Zero);
    private const string Api = "http://127.0.0.1:18443";

    private static EdgeGridVerifier Verifier(EdgeGridOptions? options = null, params EdgeGridCredentials[] known) =>
        new(token => (known.Length == 0 ? [Client] : known).FirstOrDefault(c => c.ClientToken == token), options);

    private static HttpRequestMessage Purge() =>
        new(HttpMethod.Post, Api + "/ccu/v3/invalidate/url/production?x=a%20b")
        {
            Content = new StringContent("{\"objects\":[\"https://www.example.com/img/logo.png\"]}", Encoding.UTF8, "application/json"),
        };

    private static async Task<SignedRequest> SignedAsync(HttpRequestMessage request, EdgeGridCredentials? credentials = null,
        DateTimeOffset? at = null, EdgeGridOptions? options = null)
    {
        await new EdgeGridSigner(credentials ?? Client, options).SignAsync(request, at ?? Now, Guid.NewGuid().ToString(), CancellationToken.None);
        return await Wire.AsReceivedAsync(request);
    }

    [Fact]
    public void Accepts_akamais_published_simple_get()
    {
        var request = new SignedRequest("GET", "https", "akaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net", "/",
            [new("Authorization", "EG1-HMAC-SHA256 client_token=akab-client-token-xxx-xxxxxxxxxxxxxxxx;access_token=akab-access-token-xxx-xxxxxxxxxxxxxxxx;" +
                "timestamp=20140321T19:34:21+0000;nonce=nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx;signature=tL+y4hxyHxgWVD30X3pWnGKHcPzmrIF+LThiAOhMxYU=")],
            []);

        var result = Verifier(known: EdgeGridVectorTests.Test).Verify(request, EdgeGridVectorTests.TestTime);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(EdgeGridVectorTests.Test.ClientToken, result.ClientToken);
    }

    [Fact]
    public async Task Round_trip_post_with_body()
    {
        var request = await SignedAsync(Purge());

        var result = Verifier().Verify(request, Now);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(200, result.HttpStatus);
    }

    [Fact]
    public async Task Rejects_a_tampered_path()
    {
        var request = await SignedAsync(Purge());

        var result = Verifier().Verify(request with { PathAndQuery = request.PathAndQuery.Replace("production", "staging") }, Now);

        Assert.Equal(EdgeGridFailureReason.SignatureDoesNotMatch, result.Reason);
        Assert.Equal(401, result.HttpStatus);
        Assert.Equal("Not authorized", result.Title);
        Assert.Equal("The signature does not match", result.Detail);
        Assert.Equal("/-/pep-authn/deny", result.ProblemTypePath);
    }

    [Fact]
    public async Task Rejects_a_tampered_host()
    {
        var request = await SignedAsync(Purge());

        Assert.Equal(EdgeGridFailureReason.SignatureDoesNotMatch, Verifier().Verify(request with { Host = "127.0.0.1:18444" }, Now).Reason);
    }

    [Fact]
    public async Task Rejects_a_tampered_post_body()
    {
        var request = await SignedAsync(Purge());

        var result = Verifier().Verify(request with { Body = Encoding.UTF8.GetBytes("{\"objects\":[\"https://www.example.com/\"]}") }, Now);

        Assert.Equal(EdgeGridFailureReason.SignatureDoesNotMatch, result.Reason);
    }

    [Fact]
    public async Task Does_not_cover_a_put_body_as_the_protocol_says()
    {
        var message = new HttpRequestMessage(HttpMethod.Put, Api + "/papi/v1/properties/prp_1/versions/2/rules")
        {
            Content = new StringContent("{\"rules\":{}}", Encoding.UTF8, "application/json"),
        };
        var request = await SignedAsync(message);

        var result = Verifier().Verify(request with { Body = Encoding.UTF8.GetBytes("{\"rules\":{\"changed\":true}}") }, Now);

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task Rejects_a_tampered_signed_header_but_not_an_unsigned_one()
    {
        var options = new EdgeGridOptions { HeadersToSign = ["X-Test1"] };
        var message = Purge();
        message.Headers.TryAddWithoutValidation("X-Test1", "signed value");
        var request = await SignedAsync(message, options: options);

        Assert.True(Verifier(options).Verify(request, Now).Succeeded);
        Assert.Equal(EdgeGridFailureReason.SignatureDoesNotMatch, Verifier(options).Verify(request.WithHeader("X-Test1", "other value"), Now).Reason);
        Assert.True(Verifier(options).Verify(request.WithHeader("X-Extra", "anything"), Now).Succeeded);
    }

    [Fact]
    public async Task Rejects_a_signature_made_with_another_secret()
    {
        var request = await SignedAsync(Purge(), Client with { ClientSecret = "b3RoZXItc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWZnaGk=" });

        Assert.Equal(EdgeGridFailureReason.SignatureDoesNotMatch, Verifier().Verify(request, Now).Reason);
    }

    [Fact]
    public async Task Rejects_an_unknown_client_token()
    {
        var request = await SignedAsync(Purge(), Client with { ClientToken = "akab-unknownclient01-abcdefghijklmnop" });

        var result = Verifier().Verify(request, Now);

        Assert.Equal(EdgeGridFailureReason.InvalidClientToken, result.Reason);
        Assert.Equal(401, result.HttpStatus);
        Assert.Equal("Invalid authorization client_token", result.Detail);
    }

    [Fact]
    public async Task Rejects_an_access_token_of_another_client()
    {
        var request = await SignedAsync(Purge(), Client with { AccessToken = "akab-otheraccess0001-abcdefghijklmnop" });

        var result = Verifier().Verify(request, Now);

        Assert.Equal(EdgeGridFailureReason.InvalidAccessToken, result.Reason);
        Assert.Equal(401, result.HttpStatus);
    }

    [Theory]
    [InlineData(-31)]
    [InlineData(31)]
    public async Task Rejects_a_skewed_clock(int seconds)
    {
        var request = await SignedAsync(Purge(), at: Now.AddSeconds(seconds));

        var result = Verifier().Verify(request, Now);

        Assert.Equal(EdgeGridFailureReason.InvalidTimestamp, result.Reason);
        Assert.Equal(400, result.HttpStatus);
        Assert.Equal("Bad request", result.Title);
        Assert.Equal("Invalid timestamp", result.Detail);
        Assert.Equal("/-/pep-authn/request-error", result.ProblemTypePath);
    }

    [Theory]
    [InlineData(-30)]
    [InlineData(30)]
    public async Task Accepts_a_clock_thirty_seconds_apart(int seconds)
    {
        var request = await SignedAsync(Purge(), at: Now.AddSeconds(seconds));

        Assert.True(Verifier().Verify(request, Now).Succeeded);
    }

    [Fact]
    public async Task Refuses_a_missing_or_malformed_header()
    {
        var request = await SignedAsync(Purge());

        var missing = Verifier().Verify(request.WithHeaders(h => h.Where(x => x.Key != "Authorization")), Now);
        var bearer = Verifier().Verify(request.WithHeader("Authorization", "Bearer abc"), Now);
        var noNonce = Verifier().Verify(request.WithHeader("Authorization",
            $"EG1-HMAC-SHA256 client_token={Client.ClientToken};access_token={Client.AccessToken};timestamp=20260314T09:26:53+0000;signature=abc"), Now);

        Assert.Equal((EdgeGridFailureReason.MissingAuthorization, 400), (missing.Reason, missing.HttpStatus));
        Assert.Equal((EdgeGridFailureReason.MalformedAuthorization, 400), (bearer.Reason, bearer.HttpStatus));
        Assert.Equal(EdgeGridFailureReason.MalformedAuthorization, noNonce.Reason);
    }
}
