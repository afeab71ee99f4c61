using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Tests.Signing;

/// <summary>
/// Signer → real socket → Kestrel → <see cref="SignedRequestHttpExtensions.ReadSignedRequestAsync(HttpRequest, CancellationToken)"/>
/// → verifier: proves that what the signers sign is what HttpClient sends and what ASP.NET Core hands the verifiers
/// (Host with port, raw encoded path and query, content headers, a header with several values, the body).
/// </summary>
public sealed class WireRoundTripTests : IAsyncLifetime
{
    private static readonly AwsCredentials Aws = new("AKIAPOPPYWIRE0000001", "wire/test+secret/0123456789abcdefghijklmnopq");
    private static readonly EdgeGridCredentials Akamai = new("akab-wireclient00001-abcdefghijklmnop", "d2lyZS1jbGllbnQtc2VjcmV0LTAxMjM0NTY3ODlhYmM=", "akab-wireaccess00001-abcdefghijklmnop");
    private static readonly EdgeGridOptions AkamaiOptions = new() { HeadersToSign = ["X-Test1"] };

    private WebApplication? server;
    private Uri baseAddress = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        server = builder.Build();

        var aws = new AwsSigV4Verifier("us-east-1", "cloudfront", id => id == Aws.AccessKeyId ? Aws : null);
        var akamai = new EdgeGridVerifier(token => token == Akamai.ClientToken ? Akamai : null, AkamaiOptions);
        server.Map("/aws/{**rest}", async (HttpContext context) =>
        {
            var request = await context.Request.ReadSignedRequestAsync(context.RequestAborted);
            var result = aws.Verify(request, TimeProvider.System.GetUtcNow());
            return await AnswerAsync(context, result.HttpStatus, result.Succeeded ? "ok" : $"{result.ErrorCode}: {result.Message}");
        });
        server.Map("/akamai/{**rest}", async (HttpContext context) =>
        {
            var request = await context.Request.ReadSignedRequestAsync(context.RequestAborted);
            var result = akamai.Verify(request, TimeProvider.System.GetUtcNow());
            return await AnswerAsync(context, result.HttpStatus, result.Succeeded ? "ok" : result.Detail);
        });
        await server.StartAsync();
        baseAddress = new Uri(server.Urls.Single());
    }

    // Reads the body a second time, as an endpoint would after verification, and echoes its length.
    private static async Task<IResult> AnswerAsync(HttpContext context, int status, string text)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8, leaveOpen: true);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        return Results.Text($"{text} (body {Encoding.UTF8.GetByteCount(body)} bytes)", statusCode: status);
    }

    public async Task DisposeAsync()
    {
        if (server is not null) await server.DisposeAsync();
    }

    private HttpClient AwsClient(AwsCredentials credentials) =>
        new(new AwsSigV4SigningHandler(new AwsSigV4Signer(credentials, "us-east-1", "cloudfront"), TimeProvider.System)
        {
            InnerHandler = new SocketsHttpHandler(),
        }) { BaseAddress = baseAddress };

    private HttpClient AkamaiClient(EdgeGridCredentials credentials) =>
        new(new EdgeGridSigningHandler(new EdgeGridSigner(credentials, AkamaiOptions), TimeProvider.System)
        {
            InnerHandler = new SocketsHttpHandler(),
        }) { BaseAddress = baseAddress };

    private const string InvalidationXml =
        "<InvalidationBatch><CallerReference>t1</CallerReference><Paths><Quantity>1</Quantity><Items><Path>/img/*</Path></Items></Paths></InvalidationBatch>";

    private static HttpRequestMessage Invalidation(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(InvalidationXml, Encoding.UTF8, "application/xml") };
        request.Headers.TryAddWithoutValidation("X-Poppy-Multi", ["first", "second  value"]);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/xml"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/xml", 0.5));
        return request;
    }

    [Fact]
    public async Task Aws_post_with_body_query_and_repeated_headers_verifies_on_the_server()
    {
        using var client = AwsClient(Aws);

        using var response = await client.SendAsync(Invalidation("/aws/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation?y=%2Fimg&x=a%20b&z=~&flag"));

        Assert.Equal($"ok (body {InvalidationXml.Length} bytes)", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Aws_get_with_an_encoded_path_verifies_on_the_server()
    {
        using var client = AwsClient(Aws);

        using var response = await client.GetAsync("/aws/2020-05-31/distribution/a%20b/%E1%88%B4/config");

        Assert.Equal("ok (body 0 bytes)", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Aws_request_with_a_wrong_secret_is_refused_on_the_server()
    {
        using var client = AwsClient(Aws with { SecretAccessKey = "wrong/secret/0123456789abcdefghijklmnopqrstu" });

        using var response = await client.SendAsync(Invalidation("/aws/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.StartsWith("SignatureDoesNotMatch: ", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task EdgeGrid_post_with_body_and_signed_header_verifies_on_the_server()
    {
        using var client = AkamaiClient(Akamai);
        var request = new HttpRequestMessage(HttpMethod.Post, "/akamai/ccu/v3/invalidate/url/production?x=a%20b")
        {
            Content = new StringContent("{\"objects\":[\"https://www.example.com/img/logo.png\"]}", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("X-Test1", "  spaced    value ");

        using var response = await client.SendAsync(request);

        Assert.Equal("ok (body 52 bytes)", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task EdgeGrid_request_of_an_unknown_client_is_refused_on_the_server()
    {
        using var client = AkamaiClient(Akamai with { ClientToken = "akab-unknownclient01-abcdefghijklmnop" });

        using var response = await client.GetAsync("/akamai/papi/v1/groups");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Invalid authorization client_token (body 0 bytes)", await response.Content.ReadAsStringAsync());
    }
}
