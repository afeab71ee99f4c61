using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Poppy.Portal.Providers.Signing;
using Poppy.Portal.Simulators.Dns;

namespace Poppy.Portal.Simulators.Tests.Dns;

/// <summary>The simulated DNS vendors' wire formats and error bodies, spoken to with raw HTTP (no driver in between).</summary>
public sealed class DnsSimulatorWireTests : IAsyncLifetime
{
    private static readonly XNamespace R53 = "https://route53.amazonaws.com/doc/2013-04-01/";
    private readonly ManualClock clock = new(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false });
    private DnsSimulatorHost simulator = null!;

    public async Task InitializeAsync() =>
        simulator = await DnsSimulatorHost.StartAsync(new DnsSimulatorOptions { TimeProvider = clock, ChangeDelay = TimeSpan.FromSeconds(10) }, CancellationToken.None);

    public async Task DisposeAsync()
    {
        http.Dispose();
        await simulator.DisposeAsync();
    }

    [Fact]
    public async Task Designate_recordsets_are_PENDING_until_the_change_delay_passes_and_errors_carry_Designate_s_body()
    {
        using var noToken = await http.GetAsync(new Uri(simulator.Designate.ApiBaseUrl, "v2/zones"));
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal("Unauthorized", (string?)(await noToken.Content.ReadFromJsonAsync<JsonNode>())!["error"]!["title"]);

        var token = await KeystoneTokenAsync();
        var zoneId = simulator.Designate.Zones.Single().Id;
        using var created = await SendAsync(HttpMethod.Post, new Uri(simulator.Designate.ApiBaseUrl, $"v2/zones/{zoneId}/recordsets"), token,
            new JsonObject { ["name"] = "www-example-com.cdn.operator.test.", ["type"] = "CNAME", ["ttl"] = 30, ["records"] = new JsonArray("a.edge.test.") });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var set = (await created.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal(("PENDING", "CREATE"), ((string?)set["status"], (string?)set["action"]));

        clock.Advance(TimeSpan.FromSeconds(10));
        using var read = await SendAsync(HttpMethod.Get, new Uri(simulator.Designate.ApiBaseUrl, $"v2/zones/{zoneId}/recordsets/{set["id"]}"), token);
        Assert.Equal("ACTIVE", (string?)(await read.Content.ReadFromJsonAsync<JsonNode>())!["status"]);

        using var duplicate = await SendAsync(HttpMethod.Post, new Uri(simulator.Designate.ApiBaseUrl, $"v2/zones/{zoneId}/recordsets"), token,
            new JsonObject { ["name"] = "www-example-com.cdn.operator.test.", ["type"] = "CNAME", ["ttl"] = 30, ["records"] = new JsonArray("b.edge.test.") });
        await AssertDesignateErrorAsync(duplicate, HttpStatusCode.Conflict, "duplicate_recordset");

        using var missing = await SendAsync(HttpMethod.Get, new Uri(simulator.Designate.ApiBaseUrl, $"v2/zones/{zoneId}/recordsets/{Guid.NewGuid()}"), token);
        await AssertDesignateErrorAsync(missing, HttpStatusCode.NotFound, "recordset_not_found");

        using var invalid = await SendAsync(HttpMethod.Post, new Uri(simulator.Designate.ApiBaseUrl, $"v2/zones/{zoneId}/recordsets"), token,
            new JsonObject { ["name"] = "x.cdn.operator.test.", ["type"] = "CNAME", ["ttl"] = -1, ["records"] = new JsonArray("b.edge.test.") });
        await AssertDesignateErrorAsync(invalid, HttpStatusCode.BadRequest, "invalid_object");
    }

    [Fact]
    public async Task Rackspace_makes_the_change_when_its_job_completes_and_refuses_short_TTLs()
    {
        var token = await RackspaceTokenAsync();
        var domainId = simulator.Rackspace.Zones.Single().Id;
        using var tooShort = await SendAsync(HttpMethod.Post, new Uri(simulator.Rackspace.ApiBaseUrl, $"domains/{domainId}/records"), token,
            new JsonObject { ["records"] = new JsonArray(new JsonObject { ["name"] = "w.cdn.operator.test", ["type"] = "CNAME", ["data"] = "a.edge.test", ["ttl"] = 30 }) });
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Equal("Ttl must be greater than or equal to 300.",
            (string?)(await tooShort.Content.ReadFromJsonAsync<JsonNode>())!["validationErrors"]!["messages"]![0]);

        using var accepted = await SendAsync(HttpMethod.Post, new Uri(simulator.Rackspace.ApiBaseUrl, $"domains/{domainId}/records"), token,
            new JsonObject { ["records"] = new JsonArray(new JsonObject { ["name"] = "w.cdn.operator.test", ["type"] = "CNAME", ["data"] = "a.edge.test", ["ttl"] = 300 }) });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var job = (await accepted.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("RUNNING", (string?)job["status"]);
        Assert.Empty(simulator.Rackspace.Records);

        clock.Advance(TimeSpan.FromSeconds(10));
        using var status = await SendAsync(HttpMethod.Get, new Uri(simulator.Rackspace.ApiBaseUrl, $"status/{job["jobId"]}?showDetails=true"), token);
        var done = (await status.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("COMPLETED", (string?)done["status"]);
        Assert.Equal("a.edge.test", (string?)done["response"]!["records"]![0]!["data"]);
        Assert.Equal("a.edge.test", simulator.Rackspace.Cname("w.cdn.operator.test")!.Data);

        using var missing = await SendAsync(HttpMethod.Delete, new Uri(simulator.Rackspace.ApiBaseUrl, $"domains/{domainId}/records/CNAME-1"), token);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("Object not Found.", (string?)(await missing.Content.ReadFromJsonAsync<JsonNode>())!["details"]);

        using var noToken = await http.GetAsync(new Uri(simulator.Rackspace.ApiBaseUrl, "domains"));
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(401, (int?)(await noToken.Content.ReadFromJsonAsync<JsonNode>())!["unauthorized"]!["code"]);
    }

    [Fact]
    public async Task Route53_changes_are_PENDING_then_INSYNC_and_errors_are_ErrorResponse_or_InvalidChangeBatch()
    {
        var zoneId = simulator.Route53.Zones.Single().Id;
        var batch = new XElement(R53 + "ChangeResourceRecordSetsRequest", new XElement(R53 + "ChangeBatch", new XElement(R53 + "Changes",
            new XElement(R53 + "Change", new XElement(R53 + "Action", "DELETE"), new XElement(R53 + "ResourceRecordSet",
                new XElement(R53 + "Name", "gone.cdn.operator.test."), new XElement(R53 + "Type", "CNAME"), new XElement(R53 + "TTL", "30"),
                new XElement(R53 + "ResourceRecords", new XElement(R53 + "ResourceRecord", new XElement(R53 + "Value", "a.edge.test"))))))));
        using var notFound = await Route53Async(HttpMethod.Post, $"hostedzone/{zoneId}/rrset/", batch);
        Assert.Equal(HttpStatusCode.BadRequest, notFound.StatusCode);
        var invalid = XElement.Parse(await notFound.Content.ReadAsStringAsync());
        Assert.Equal(R53 + "InvalidChangeBatch", invalid.Name);
        Assert.Contains("but it was not found", invalid.Element(R53 + "Messages")!.Element(R53 + "Message")!.Value, StringComparison.Ordinal);

        batch.Descendants(R53 + "Action").Single().Value = "UPSERT";
        using var accepted = await Route53Async(HttpMethod.Post, $"hostedzone/{zoneId}/rrset/", batch);
        var changeId = XElement.Parse(await accepted.Content.ReadAsStringAsync()).Element(R53 + "ChangeInfo")!;
        Assert.Equal("PENDING", changeId.Element(R53 + "Status")!.Value);
        clock.Advance(TimeSpan.FromSeconds(10));
        using var change = await Route53Async(HttpMethod.Get, "change/" + changeId.Element(R53 + "Id")!.Value.Split('/').Last(), null);
        Assert.Equal("INSYNC", XElement.Parse(await change.Content.ReadAsStringAsync()).Element(R53 + "ChangeInfo")!.Element(R53 + "Status")!.Value);

        using var noZone = await Route53Async(HttpMethod.Get, "hostedzone/ZNOSUCHZONE/rrset", null);
        Assert.Equal(HttpStatusCode.NotFound, noZone.StatusCode);
        Assert.Equal("NoSuchHostedZone", XElement.Parse(await noZone.Content.ReadAsStringAsync()).Descendants(R53 + "Code").Single().Value);

        using var unsigned = await http.GetAsync(new Uri(simulator.Route53.ApiBaseUrl, "2013-04-01/hostedzonesbyname"));
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal("MissingAuthenticationToken", XElement.Parse(await unsigned.Content.ReadAsStringAsync()).Descendants(R53 + "Code").Single().Value);
    }

    [Fact]
    public async Task Faults_are_set_over_HTTP_per_DNS_vendor()
    {
        using var set = await http.PostAsJsonAsync(new Uri(simulator.BaseUrl, "_faults/route53"), new { throttleBurst = new { count = 2, retryAfterSeconds = 3 } });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(2, simulator.Route53.Faults.ThrottleRemaining);

        using var throttled = await Route53Async(HttpMethod.Get, "hostedzonesbyname", null);
        Assert.Equal(HttpStatusCode.BadRequest, throttled.StatusCode);
        Assert.Equal("3", throttled.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Throttling", XElement.Parse(await throttled.Content.ReadAsStringAsync()).Descendants(R53 + "Code").Single().Value);

        using var reset = await http.DeleteAsync(new Uri(simulator.BaseUrl, "_faults/route53"));
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(0, simulator.Route53.Faults.ThrottleRemaining);

        using var unknown = await http.GetAsync(new Uri(simulator.BaseUrl, "_faults/bind"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private async Task<string> KeystoneTokenAsync()
    {
        using var response = await http.PostAsJsonAsync(new Uri(simulator.Designate.IdentityUrl, "auth/tokens"), new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["methods"] = new JsonArray("password"),
                    ["password"] = new JsonObject { ["user"] = new JsonObject { ["name"] = "poppy", ["password"] = "sim-designate-password" } },
                },
                ["scope"] = new JsonObject { ["project"] = new JsonObject { ["name"] = "poppy-dns" } },
            },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return response.Headers.GetValues("X-Subject-Token").Single();
    }

    private async Task<string> RackspaceTokenAsync()
    {
        using var response = await http.PostAsJsonAsync(new Uri(simulator.Rackspace.IdentityUrl, "tokens"), new JsonObject
        {
            ["auth"] = new JsonObject { ["RAX-KSKEY:apiKeyCredentials"] = new JsonObject { ["username"] = "poppy", ["apiKey"] = "sim-rackspace-api-key" } },
        });
        return (string)(await response.Content.ReadFromJsonAsync<JsonNode>())!["access"]!["token"]!["id"]!;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, string token, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Add("X-Auth-Token", token);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> Route53Async(HttpMethod method, string path, XElement? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(simulator.Route53.ApiBaseUrl, "2013-04-01/" + path));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToString(), Encoding.UTF8, "text/xml");
        }

        var credentials = new AwsCredentials("AKIASIMROUTE53EXAMPLE", "simulatorSecretKey/ForRoute53000000000000");
        await new AwsSigV4Signer(credentials, "us-east-1", "route53").SignAsync(request, clock.GetUtcNow(), CancellationToken.None);
        return await http.SendAsync(request);
    }

    private static async Task AssertDesignateErrorAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal(((int)status, type), ((int?)body["code"], (string?)body["type"]));
        Assert.False(string.IsNullOrEmpty((string?)body["message"]));
    }
}
