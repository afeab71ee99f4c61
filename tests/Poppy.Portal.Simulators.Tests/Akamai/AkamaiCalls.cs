using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Simulators.Tests.Akamai;

/// <summary>EdgeGrid-signed JSON calls, as the Akamai driver makes them (the Providers project's signer).</summary>
internal sealed class AkamaiCalls : IDisposable
{
    public const string Query = "contractId=ctr_SIM-1&groupId=grp_1";

    private readonly HttpClient http;
    private readonly Uri apiBase;

    public AkamaiCalls(Uri apiBase, TimeProvider clock, EdgeGridCredentials? credentials = null)
    {
        this.apiBase = apiBase;
        var signer = new EdgeGridSigner(credentials ?? new EdgeGridCredentials(
            "akab-sim-client-token-0000-000000000000", "c2ltdWxhdG9yLWNsaWVudC1zZWNyZXQtMDAwMDAwMDA=", "akab-sim-access-token-0000-000000000000"));
        http = new HttpClient(new EdgeGridSigningHandler(signer, clock) { InnerHandler = new SocketsHttpHandler { UseProxy = false } });
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, string? ifMatch = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, new Uri(apiBase, path.TrimStart('/')));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        request.Headers.Add("PAPI-Use-Prefixes", "true");
        return http.SendAsync(request);
    }

    public async Task<JsonNode> OkAsync(Task<HttpResponseMessage> call, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>Follows a PAPI link (<c>/papi/v1/…?contractId…</c>) and returns the id at its end.</summary>
    public static string IdOf(JsonNode created, string link) => created[link]!.GetValue<string>().Split('?')[0].Split('/')[^1];

    public static string Rules(int originPort, string ttl = "1d", string children = "") => $$$"""
        {"rules":{"name":"default","options":{},"criteria":[],"children":[{{{children}}}],"behaviors":[
          {"name":"origin","options":{"originType":"CUSTOMER","hostname":"127.0.0.1","httpPort":{{{originPort}}},"forwardHostHeader":"REQUEST_HOST_HEADER","cacheKeyHostname":"ORIGIN_HOSTNAME"}},
          {"name":"cpCode","options":{"value":{"id":123456} } },
          {"name":"caching","options":{"behavior":"MAX_AGE","mustRevalidate":false,"ttl":"{{{ttl}}}"}}]}}
        """;

    /// <summary>Property + edge hostname + hostnames + rules + production activation, as a driver's create does.</summary>
    public async Task<(string PropertyId, string EdgeHost)> CreatePropertyAsync(string domain, int originPort, string ttl = "1d", string children = "")
    {
        var property = await OkAsync(SendAsync(HttpMethod.Post, $"papi/v1/properties?{Query}",
            $$"""{"productId":"prd_Fresca","propertyName":"{{domain}}","ruleFormat":"latest"}"""), HttpStatusCode.Created);
        var propertyId = IdOf(property, "propertyLink");
        var edgeHostname = await OkAsync(SendAsync(HttpMethod.Post, $"papi/v1/edgehostnames?{Query}",
            $$"""{"productId":"prd_Fresca","domainPrefix":"{{domain}}","domainSuffix":"edgesuite.net","ipVersionBehavior":"IPV4"}"""), HttpStatusCode.Created);
        var ehn = IdOf(edgeHostname, "edgeHostnameLink");
        await OkAsync(SendAsync(HttpMethod.Put, $"papi/v1/properties/{propertyId}/versions/1/hostnames?{Query}",
            $$"""[{"cnameType":"EDGE_HOSTNAME","cnameFrom":"{{domain}}","edgeHostnameId":"{{ehn}}","certProvisioningType":"CPS_MANAGED"}]"""));
        await OkAsync(SendAsync(HttpMethod.Put, $"papi/v1/properties/{propertyId}/versions/1/rules?{Query}", Rules(originPort, ttl, children),
            contentType: "application/vnd.akamai.papirules.latest+json"));
        await OkAsync(SendAsync(HttpMethod.Post, $"papi/v1/properties/{propertyId}/activations?{Query}",
            """{"propertyVersion":1,"network":"PRODUCTION","notifyEmails":["ops@example.com"],"acknowledgeAllWarnings":true}"""), HttpStatusCode.Created);
        return (propertyId, domain + ".edgesuite.net");
    }

    public void Dispose() => http.Dispose();
}
