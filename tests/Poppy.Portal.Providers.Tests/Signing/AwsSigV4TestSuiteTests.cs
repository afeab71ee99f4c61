using System.Net.Http.Headers;
using System.Text;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Tests.Signing;

/// <summary>
/// The signer against AWS's published SigV4 test suite (aws-sig-v4-test-suite: credentials AKIDEXAMPLE, region
/// us-east-1, service "service", 20150830T123600Z) and the IAM ListUsers example of AWS's SigV4 documentation.
/// Each case asserts the canonical request, the string to sign and the Authorization header separately where the
/// suite publishes them, so a failure says which step went wrong.
/// </summary>
public sealed class AwsSigV4TestSuiteTests
{
    internal static readonly AwsCredentials Suite = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    internal static readonly DateTimeOffset SuiteTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);
    private const string Host = "https://example.amazonaws.com";
    private const string EmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private const string Credential = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
    private const string ScopeLines = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n";

    // The suite's STS session token (post-sts-token).
    internal const string SuiteSessionToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

    private static Task<AwsSigV4Signature> SignAsync(HttpRequestMessage request, AwsCredentials? credentials = null, string service = "service") =>
        new AwsSigV4Signer(credentials ?? Suite, "us-east-1", service).SignAsync(request, SuiteTime, CancellationToken.None);

    [Fact]
    public async Task Get_vanilla()
    {
        var signed = await SignAsync(new HttpRequestMessage(HttpMethod.Get, Host + "/"));

        Assert.Equal("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + EmptyHash, signed.CanonicalRequest);
        Assert.Equal(ScopeLines + "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63", signed.StringToSign);
        Assert.Equal(Credential + ", SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", signed.Authorization);
    }

    [Fact]
    public async Task Get_vanilla_puts_the_headers_on_the_request()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Host + "/");
        var signed = await SignAsync(request);

        Assert.Equal("example.amazonaws.com", request.Headers.Host);
        Assert.Equal("20150830T123600Z", Assert.Single(request.Headers.GetValues("X-Amz-Date")));
        Assert.Equal(signed.Authorization, Assert.Single(request.Headers.GetValues("Authorization")));
        Assert.False(request.Headers.Contains("X-Amz-Content-Sha256"));
    }

    [Fact]
    public async Task Get_vanilla_query_order_key_case()
    {
        var signed = await SignAsync(new HttpRequestMessage(HttpMethod.Get, Host + "/?Param2=value2&Param1=value1"));

        Assert.Equal("GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + EmptyHash, signed.CanonicalRequest);
        Assert.Equal(ScopeLines + "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0", signed.StringToSign);
        Assert.Equal(Credential + ", SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500", signed.Authorization);
    }

    [Fact]
    public async Task Post_vanilla()
    {
        var signed = await SignAsync(new HttpRequestMessage(HttpMethod.Post, Host + "/"));

        Assert.Equal("POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + EmptyHash, signed.CanonicalRequest);
        Assert.Equal(ScopeLines + "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87", signed.StringToSign);
        Assert.Equal(Credential + ", SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", signed.Authorization);
    }

    [Fact]
    public async Task Post_x_www_form_urlencoded()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("Param1=value1"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        var signed = await SignAsync(new HttpRequestMessage(HttpMethod.Post, Host + "/") { Content = content });

        Assert.Equal(
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n" +
            "content-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e", signed.CanonicalRequest);
        Assert.Equal(ScopeLines + "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281", signed.StringToSign);
        Assert.Equal(Credential + ", SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a", signed.Authorization);
    }

    [Fact]
    public async Task Get_header_value_trim()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Host + "/");
        request.Headers.TryAddWithoutValidation("My-Header1", " value1");
        request.Headers.TryAddWithoutValidation("My-Header2", " \"a   b   c\"");
        var signed = await SignAsync(request);

        Assert.Equal(
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\n" +
            "host;my-header1;my-header2;x-amz-date\n" + EmptyHash, signed.CanonicalRequest);
        Assert.Equal(ScopeLines + "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7", signed.StringToSign);
        Assert.Equal(Credential + ", SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736", signed.Authorization);
    }

    [Fact]
    public async Task Post_sts_header_before_signs_the_session_token()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Host + "/");
        var signed = await SignAsync(request, Suite with { SessionToken = SuiteSessionToken });

        Assert.Equal(SuiteSessionToken, Assert.Single(request.Headers.GetValues("X-Amz-Security-Token")));
        Assert.Equal(ScopeLines + "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6", signed.StringToSign);
        Assert.Equal(Credential + ", SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead", signed.Authorization);
    }

    // Cases the suite publishes the Authorization header for (its .authz file).
    public static TheoryData<string, string, string[], string, string> AuthorizationCases => new()
    {
        { "get-unreserved", "GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", [], "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },
        { "get-slashes", "GET //example//", [], "host;x-amz-date", "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84" },
        { "get-vanilla-query-order-value", "GET /?Param1=value2&Param1=value1", [], "host;x-amz-date", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },
        { "get-vanilla-utf8-query", "GET /?\u1234=bar", [], "host;x-amz-date", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },
        { "get-header-value-order", "GET /", ["My-Header1:value4", "My-Header1:value1", "My-Header1:value3", "My-Header1:value2"], "host;my-header1;x-amz-date", "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },
        { "get-header-key-duplicate", "GET /", ["My-Header1:value2", "My-Header1:value2", "My-Header1:value1"], "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },
        { "post-header-value-case", "POST /", ["My-Header1:VALUE1"], "host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },
    };

    [Theory]
    [MemberData(nameof(AuthorizationCases))]
    public async Task Suite_case_signs_to_its_published_authorization(string name, string requestLine, string[] headers, string signedHeaders, string signature)
    {
        var space = requestLine.IndexOf(' ');
        var request = new HttpRequestMessage(new HttpMethod(requestLine[..space]), Host + requestLine[(space + 1)..]);
        foreach (var header in headers)
            request.Headers.TryAddWithoutValidation(header[..header.IndexOf(':')], header[(header.IndexOf(':') + 1)..]);

        var signed = await SignAsync(request);

        Assert.True(signed.Authorization == $"{Credential}, SignedHeaders={signedHeaders}, Signature={signature}",
            $"{name}: got {signed.Authorization}\ncanonical request:\n{signed.CanonicalRequest}");
    }

    [Fact]
    public async Task Iam_list_users_example_from_the_documentation()
    {
        var content = new ByteArrayContent([]);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded; charset=utf-8");
        var request = new HttpRequestMessage(HttpMethod.Get, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08") { Content = content };

        var signed = await SignAsync(request, service: "iam");

        Assert.Equal(
            "GET\n/\nAction=ListUsers&Version=2010-05-08\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\n" +
            "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n" + EmptyHash, signed.CanonicalRequest);
        Assert.Equal("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59", signed.StringToSign);
        Assert.Equal("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, " +
                     "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7", signed.Authorization);
    }

    [Fact]
    public void Iam_example_signing_key()
    {
        var key = AwsSigV4.SigningKey(Suite.SecretAccessKey, "20150830", "us-east-1", "iam");

        Assert.Equal("c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9", Convert.ToHexStringLower(key));
    }

    // The suite's normalize-path cases; HttpRequestMessage's Uri resolves dot segments itself, so these go to the path step directly.
    [Theory]
    [InlineData("/example/..", "/")]                     // get-relative
    [InlineData("/example1/example2/../..", "/")]       // get-relative-relative
    [InlineData("/./", "/")]                             // get-slash-dot-slash
    [InlineData("/./example", "/example")]               // get-slash-pointless-dot
    [InlineData("//", "/")]                              // get-slash
    [InlineData("//example//", "/example/")]             // get-slashes
    [InlineData("", "/")]
    [InlineData("/a%20b/c", "/a%2520b/c")]               // the wire path is encoded once more, as the SDKs do for non-S3 services
    public void Canonical_uri_normalizes_the_path(string rawPath, string expected) =>
        Assert.Equal(expected, AwsSigV4.CanonicalUri(rawPath));

    [Theory]
    [InlineData("Param1", "Param1=")]                                  // get-vanilla-empty-query-key
    [InlineData("Param1=value1&Param1=Value1", "Param1=Value1&Param1=value1")] // get-vanilla-query-order-key (by value, ordinal)
    [InlineData("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")] // get-vanilla-query-unreserved
    [InlineData("q=a+b&a=1%2f2&z=%zz&&", "a=1%2F2&q=a%2Bb&z=%25zz")]
    public void Canonical_query_encodes_and_sorts(string rawQuery, string expected) =>
        Assert.Equal(expected, AwsSigV4.CanonicalQuery(rawQuery));

    [Fact]
    public async Task Content_sha256_header_is_sent_and_signed_when_asked_for()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Host + "/") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("Param1=value1")) };
        var signer = new AwsSigV4Signer(Suite, "us-east-1", "service") { SendContentSha256 = true };

        var signed = await signer.SignAsync(request, SuiteTime, CancellationToken.None);

        Assert.Equal("9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e", Assert.Single(request.Headers.GetValues("X-Amz-Content-Sha256")));
        Assert.Contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date,", signed.Authorization);
    }

    [Fact]
    public async Task Signing_again_replaces_the_date_and_signature()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Host + "/");
        var signer = new AwsSigV4Signer(Suite, "us-east-1", "service");
        await signer.SignAsync(request, SuiteTime.AddMinutes(-10), CancellationToken.None);

        var signed = await signer.SignAsync(request, SuiteTime, CancellationToken.None);

        Assert.Equal("20150830T123600Z", Assert.Single(request.Headers.GetValues("X-Amz-Date")));
        Assert.Equal(signed.Authorization, Assert.Single(request.Headers.GetValues("Authorization")));
        Assert.EndsWith("Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", signed.Authorization);
    }

    [Fact]
    public async Task User_agent_and_hop_by_hop_headers_are_sent_but_not_signed()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Host + "/");
        request.Headers.UserAgent.ParseAdd("Poppy/1.0");
        request.Headers.ConnectionClose = true;

        var signed = await SignAsync(request);

        Assert.EndsWith("Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", signed.Authorization);
        Assert.Equal("Poppy/1.0", request.Headers.UserAgent.ToString());
    }

    [Fact]
    public void Credentials_do_not_print_their_secret()
    {
        var text = (Suite with { SessionToken = SuiteSessionToken }).ToString();

        Assert.Contains("AKIDEXAMPLE", text);
        Assert.DoesNotContain(Suite.SecretAccessKey, text);
        Assert.DoesNotContain(SuiteSessionToken, text);
    }
}
