using System.Net;
using System.Text.Json.Nodes;
using Poppy.Portal.Simulators.MaxCdn;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Simulators.Tests.MaxCdn;

/// <summary>Two-legged OAuth 1.0a calls as a MaxCDN client makes them (form-encoded writes).</summary>
internal sealed class MaxCdnCalls(HttpClient http, Uri accountBase, TimeProvider clock, string consumerKey = "sim-maxcdn-consumer-key", string secret = "sim-maxcdn-consumer-secret")
{
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, params (string Name, string Value)[] form)
    {
        var uri = new Uri(accountBase, path.TrimStart('/'));
        using var request = new HttpRequestMessage(method, uri);
        if (form.Length > 0)
        {
            request.Content = new FormUrlEncodedContent(form.Select(f => KeyValuePair.Create(f.Name, f.Value)));
        }

        var oauth = new Dictionary<string, string>
        {
            ["oauth_consumer_key"] = consumerKey,
            ["oauth_nonce"] = Guid.NewGuid().ToString("N"),
            ["oauth_signature_method"] = "HMAC-SHA1",
            ["oauth_timestamp"] = clock.GetUtcNow().ToUnixTimeSeconds().ToString(),
            ["oauth_version"] = "1.0",
        };
        var parameters = oauth.Concat(form.Select(f => KeyValuePair.Create(f.Name, f.Value)))
            .Concat(System.Web.HttpUtility.ParseQueryString(uri.Query) is var q ? q.AllKeys.Select(k => KeyValuePair.Create(k!, q[k]!)) : []);
        var baseUrl = uri.GetLeftPart(UriPartial.Path);
        oauth["oauth_signature"] = OAuth1Signature.Sign(OAuth1Signature.BaseString(method.Method, baseUrl, parameters), secret);
        request.Headers.TryAddWithoutValidation("Authorization",
            "OAuth " + string.Join(", ", oauth.Select(p => $"{OAuth1Signature.Encode(p.Key)}=\"{OAuth1Signature.Encode(p.Value)}\"")));
        return await http.SendAsync(request);
    }

    public async Task<JsonNode> OkAsync(Task<HttpResponseMessage> call, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        var json = JsonNode.Parse(body)!;
        Assert.Equal((int)expected, json["code"]!.GetValue<int>());
        return json;
    }
}
