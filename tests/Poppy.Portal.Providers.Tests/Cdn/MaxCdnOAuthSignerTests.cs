using Poppy.Portal.Providers.Cdn.MaxCdn;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Tests.Cdn;

/// <summary>
/// The client signer against the widely published OAuth 1.0a HMAC-SHA1 example (the one the MaxCDN simulator's verifier
/// is tested on): its keys, token, nonce and timestamp give exactly the published signature.
/// </summary>
public sealed class MaxCdnOAuthSignerTests
{
    private const string ConsumerKey = "xvz1evFS4wEEPTGEFPHBog";
    private const string ConsumerSecret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
    private const string Token = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
    private const string TokenSecret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
    private const string Nonce = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
    private static readonly DateTimeOffset Timestamp = DateTimeOffset.FromUnixTimeSeconds(1318622958);

    [Fact]
    public async Task Signing_a_real_request_gives_the_published_signature()
    {
        // The form body is sent the way HttpClient encodes forms ('+' for spaces): the signer must decode it back.
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.twitter.com/1/statuses/update.json?include_entities=true")
        {
            Content = new FormUrlEncodedContent([new("status", "Hello Ladies + Gentlemen, a signed OAuth request!")]),
        };

        var header = await new MaxCdnOAuthSigner(ConsumerKey, ConsumerSecret, Token, TokenSecret)
            .SignAsync(request, Timestamp, Nonce, CancellationToken.None);

        Assert.Equal(header, request.Headers.GetValues("Authorization").Single());
        Assert.StartsWith("OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", oauth_nonce=\"" + Nonce + "\"", header);
        Assert.Contains("oauth_signature=\"tnnArxj06cWHq44gCs1OSKk%2FjLY%3D\"", header);
        Assert.Contains("oauth_token=\"" + Token + "\"", header);
        Assert.Contains("oauth_timestamp=\"1318622958\"", header);
        // The body is still there to send after signing read it.
        Assert.Equal("status=Hello+Ladies+%2B+Gentlemen%2C+a+signed+OAuth+request%21", await request.Content!.ReadAsStringAsync());
    }

    [Fact]
    public void Base_string_and_signature_match_the_published_example()
    {
        var parameters = new Dictionary<string, string>
        {
            ["status"] = "Hello Ladies + Gentlemen, a signed OAuth request!",
            ["include_entities"] = "true",
            ["oauth_consumer_key"] = ConsumerKey,
            ["oauth_nonce"] = Nonce,
            ["oauth_signature_method"] = "HMAC-SHA1",
            ["oauth_timestamp"] = "1318622958",
            ["oauth_token"] = Token,
            ["oauth_version"] = "1.0",
        };

        var baseString = OAuth1Signature.BaseString("post", "https://api.twitter.com/1/statuses/update.json", parameters);

        Assert.Equal(
            "POST&https%3A%2F%2Fapi.twitter.com%2F1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog" +
            "%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958" +
            "%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0" +
            "%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521",
            baseString);
        Assert.Equal("tnnArxj06cWHq44gCs1OSKk/jLY=", OAuth1Signature.Sign(baseString, ConsumerSecret, TokenSecret));
    }

    [Fact]
    public void Base_url_keeps_a_non_default_port_and_drops_a_default_one()
    {
        Assert.Equal("http://127.0.0.1:5090/maxcdn/alias/zones/pull.json", OAuth1Signature.BaseUrl(new Uri("http://127.0.0.1:5090/maxcdn/alias/zones/pull.json?page=1")));
        Assert.Equal("https://rws.maxcdn.com/alias/zones/pull.json", OAuth1Signature.BaseUrl(new Uri("HTTPS://RWS.MaxCDN.com:443/alias/zones/pull.json")));
    }
}
