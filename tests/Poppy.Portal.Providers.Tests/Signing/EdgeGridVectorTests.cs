using System.Text;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Tests.Signing;

/// <summary>
/// The signer against Akamai's published EdgeGrid test data (testdata.json of the official edgegrid libraries: its
/// credentials, timestamp and nonce, max_body 2048, headers_to_sign X-Test1..3), plus the three vectors of
/// vendor-apis.md §3 with today's default max_body of 131072.
/// </summary>
public sealed class EdgeGridVectorTests
{
    internal static readonly EdgeGridCredentials Test = new(
        "akab-client-token-xxx-xxxxxxxxxxxxxxxx", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=", "akab-access-token-xxx-xxxxxxxxxxxxxxxx");
    internal static readonly DateTimeOffset TestTime = new(2014, 3, 21, 19, 34, 21, TimeSpan.Zero);
    internal const string TestNonce = "nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    internal const string BaseUrl = "https://akaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net";
    internal static readonly EdgeGridOptions TestData = new() { MaxBody = 2048, HeadersToSign = ["X-Test1", "X-Test2", "X-Test3"] };

    private const string Prefix =
        "EG1-HMAC-SHA256 client_token=akab-client-token-xxx-xxxxxxxxxxxxxxxx;access_token=akab-access-token-xxx-xxxxxxxxxxxxxxxx;" +
        "timestamp=20140321T19:34:21+0000;nonce=nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx;signature=";

    private static HttpRequestMessage Request(string method, string path, string? body = null, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), BaseUrl + path);
        if (body is not null) request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    private static Task<string> SignAsync(HttpRequestMessage request, EdgeGridOptions? options) =>
        new EdgeGridSigner(Test, options).SignAsync(request, TestTime, TestNonce, CancellationToken.None);

    [Fact]
    public void Signing_key() =>
        Assert.Equal("znsRMDBRqTXGJ7Ojip3/h2FGPu3LuoMYWgv9PKEnE/o=", EdgeGrid.SigningKey(Test.ClientSecret, EdgeGrid.FormatTimestamp(TestTime)));

    [Fact]
    public void Timestamp_format() => Assert.Equal("20140321T19:34:21+0000", EdgeGrid.FormatTimestamp(TestTime));

    public static TheoryData<string, string, string, string?, string[]> TestDataCases => new()
    {
        { "simple GET", "GET", "/", null, [] },
        { "GET with querystring", "GET", "/testapi/v1/t1?p1=1&p2=2", null, [] },
        { "POST inside limit", "POST", "/testapi/v1/t3", "datadatadatadatadatadatadatadata", [] },
        { "POST too large", "POST", "/testapi/v1/t3", new string('d', 2049), [] },
        { "POST length equals max_body", "POST", "/testapi/v1/t3", new string('d', 2048), [] },
        { "POST empty body", "POST", "/testapi/v1/t6", "", [] },
        { "Simple header signing with GET", "GET", "/testapi/v1/t4", null, ["X-Test1:test-simple-header"] },
        { "Header containing spaces", "GET", "/testapi/v1/t4", null, ["X-Test1:\"     test-header-with-spaces     \""] },
        { "Header with leading and interior spaces", "GET", "/testapi/v1/t4", null, ["X-Test1:     first-thing      second-thing"] },
        { "Headers out of order", "GET", "/testapi/v1/t4", null, ["X-Test2:t2", "X-Test1:t1", "X-Test3:t3"] },
        { "Extra header", "GET", "/testapi/v1/t5", null, ["X-Test2:t2", "X-Test1:t1", "X-Test3:t3", "X-Extra:this won't be included"] },
        { "PUT test", "PUT", "/testapi/v1/t6", "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP", [] },
    };

    private static readonly Dictionary<string, string> ExpectedSignatures = new()
    {
        ["simple GET"] = "tL+y4hxyHxgWVD30X3pWnGKHcPzmrIF+LThiAOhMxYU=",
        ["GET with querystring"] = "hKDH1UlnQySSHjvIcZpDMbQHihTQ0XyVAKZaApabdeA=",
        ["POST inside limit"] = "hXm4iCxtpN22m4cbZb4lVLW5rhX8Ca82vCFqXzSTPe4=",
        ["POST too large"] = "6Q6PiTipLae6n4GsSIDTCJ54bEbHUBp+4MUXrbQCBoY=",
        ["POST length equals max_body"] = "6Q6PiTipLae6n4GsSIDTCJ54bEbHUBp+4MUXrbQCBoY=",
        ["POST empty body"] = "1gEDxeQGD5GovIkJJGcBaKnZ+VaPtrc4qBUHixjsPCQ=",
        ["Simple header signing with GET"] = "8F9AybcRw+PLxnvT+H0JRkjROrrUgsxJTnRXMzqvcwY=",
        ["Header containing spaces"] = "ucq2AbjCNtobHfCTuS38fdkl5UDdWHZhQX46fYR8CqI=",
        ["Header with leading and interior spaces"] = "WtnneL539UadAAOJwnsXvPqT4Kt6z7HMgBEwAFpt3+c=",
        ["Headers out of order"] = "Wus73Nx8jOYM+kkBFF2q8D1EATRIMr0WLWwpLBgkBqY=",
        ["Extra header"] = "Knd/jc0A5Ghhizjayr0AUUvl2MZjBpS3FDSzvtq4Ixc=",
        ["PUT test"] = "GNBWEYSEWOLtu+7dD52da2C39aX/Jchpon3K/AmBqBU=",
    };

    [Theory]
    [MemberData(nameof(TestDataCases))]
    public async Task Akamai_test_data(string name, string method, string path, string? body, string[] headers)
    {
        var request = Request(method, path, body, headers.Select(h => (h[..h.IndexOf(':')], h[(h.IndexOf(':') + 1)..])).ToArray());

        var authorization = await SignAsync(request, TestData);

        Assert.Equal(Prefix + ExpectedSignatures[name], authorization);
        Assert.Equal(authorization, Assert.Single(request.Headers.GetValues("Authorization")));
    }

    [Theory]
    [InlineData("GET", "/", null, "tL+y4hxyHxgWVD30X3pWnGKHcPzmrIF+LThiAOhMxYU=")]
    [InlineData("GET", "/testapi/v1/t1?p1=1&p2=2", null, "hKDH1UlnQySSHjvIcZpDMbQHihTQ0XyVAKZaApabdeA=")]
    [InlineData("POST", "/testapi/v1/t3", "datadatadatadatadatadatadatadata", "hXm4iCxtpN22m4cbZb4lVLW5rhX8Ca82vCFqXzSTPe4=")]
    public async Task Reference_vectors_with_the_default_options(string method, string path, string? body, string signature)
    {
        var authorization = await SignAsync(Request(method, path, body), options: null);

        Assert.Equal(Prefix + signature, authorization);
    }

    [Fact]
    public async Task Default_max_body_hashes_more_than_the_old_2048_bytes()
    {
        var body = new string('d', 2048) + "tail";

        var current = await SignAsync(Request("POST", "/testapi/v1/t3", body), options: null);
        var old = await SignAsync(Request("POST", "/testapi/v1/t3", body), TestData);

        Assert.Equal(Prefix + "6Q6PiTipLae6n4GsSIDTCJ54bEbHUBp+4MUXrbQCBoY=", old);
        Assert.NotEqual(old, current);
    }

    [Fact]
    public async Task Signing_again_replaces_the_signature()
    {
        var request = Request("GET", "/");
        await new EdgeGridSigner(Test).SignAsync(request, TestTime.AddMinutes(-3), "another-nonce", CancellationToken.None);

        var authorization = await SignAsync(request, options: null);

        Assert.Equal(Prefix + "tL+y4hxyHxgWVD30X3pWnGKHcPzmrIF+LThiAOhMxYU=", Assert.Single(request.Headers.GetValues("Authorization")));
        Assert.Equal(authorization, Assert.Single(request.Headers.GetValues("Authorization")));
    }

    [Fact]
    public void Credentials_do_not_print_their_secrets()
    {
        var text = Test.ToString();

        Assert.Contains(Test.ClientToken, text);
        Assert.DoesNotContain(Test.ClientSecret, text);
        Assert.DoesNotContain(Test.AccessToken, text);
    }
}
