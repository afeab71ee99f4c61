using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Poppy.Portal.Web.Tests.Api;

/// <summary>Paging, limits, health, JSON-Home, OpenAPI, tenancy headers and hostile input on the /v1.0 API.</summary>
public sealed class ApiSurfaceTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Paging_follows_next_links_in_creation_order_and_stops_without_a_next_link()
    {
        await fixture.Portal.CreateProjectAsync("paging");
        using var api = await fixture.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, "paging");
        var created = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            created.Add(await ApiFixture.CreateAsync(api, ApiFixture.NewService()));
        }

        var seen = new List<Guid>();
        var url = "/v1.0/services?limit=3";
        var pages = 0;
        while (url is not null)
        {
            var page = (await api.GetFromJsonAsync<JsonObject>(url))!;
            seen.AddRange(page["services"]!.AsArray().Select(s => Guid.Parse((string)s!["id"]!)));
            url = page["links"]!.AsArray().FirstOrDefault(l => (string?)l!["rel"] == "next") is { } next ? new Uri((string)next["href"]!).PathAndQuery : null;
            pages++;
        }

        Assert.Equal(created, seen);
        Assert.Equal(3, pages);
        var defaultPage = (await api.GetFromJsonAsync<JsonObject>("/v1.0/services"))!;
        Assert.Equal(7, defaultPage["services"]!.AsArray().Count);
        Assert.Empty(defaultPage["links"]!.AsArray());
    }

    [Theory]
    [InlineData("limit=-1")]
    [InlineData("limit=-1e10")]
    [InlineData("limit=0")]
    [InlineData("limit=21")]
    [InlineData("limit=1e7")]
    [InlineData("limit=invalid")]
    [InlineData("limit=")]
    [InlineData("marker=invalid")]
    [InlineData("marker=")]
    [InlineData("marker=%E5%AD%A6%E6%A0%A1")]
    public async Task Bad_paging_parameters_are_400(string query)
    {
        using var response = await fixture.Admin.GetAsync($"/v1.0/services?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]);
    }

    [Theory]
    [InlineData("limit=1")]
    [InlineData("limit=20")]
    [InlineData("unknown=parameter")]
    public async Task Good_paging_parameters_and_unknown_parameters_are_200(string query)
    {
        using var response = await fixture.Admin.GetAsync($"/v1.0/services?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_unknown_marker_gives_an_empty_page()
    {
        var page = (await fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1.0/services?marker={Guid.NewGuid()}"))!;
        Assert.Empty(page["services"]!.AsArray());
    }

    [Fact]
    public async Task Project_limit_is_enforced_with_403_and_can_be_read_and_set_by_admins_only()
    {
        await fixture.Portal.CreateProjectAsync("limited");
        using var api = await fixture.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, "limited");
        Assert.Equal(20, (int)(await api.GetFromJsonAsync<JsonObject>("/v1.0/admin/limits/limited"))!["limit"]!);

        using (var set = await api.PutAsJsonAsync("/v1.0/admin/limits/limited", new { limit = 1 }))
        {
            Assert.Equal(HttpStatusCode.Created, set.StatusCode);
        }
        var first = await ApiFixture.CreateAsync(api, ApiFixture.NewService());
        using var over = await api.PostAsJsonAsync("/v1.0/services", ApiFixture.NewService());
        Assert.Equal(HttpStatusCode.Forbidden, over.StatusCode);
        Assert.Equal("Maximum Services Limit of 1 reached!", (string?)(await over.Content.ReadFromJsonAsync<JsonObject>())!["message"]);

        // A service being deleted no longer counts.
        using (await api.DeleteAsync($"/v1.0/services/{first}"))
        {
        }
        await ApiFixture.CreateAsync(api, ApiFixture.NewService());
        Assert.Equal(1, (int)(await api.GetFromJsonAsync<JsonObject>("/v1.0/admin/limits/limited"))!["limit"]!);
    }

    [Theory]
    [InlineData("""{"limit":-1}""")]
    [InlineData("""{"limit":"invalid"}""")]
    [InlineData("""{"limit":""}""")]
    [InlineData("""{"limit":null}""")]
    [InlineData("""{"limit":5,"other":1}""")]
    [InlineData("""[]""")]
    public async Task Bad_limits_are_400(string body)
    {
        using var response = await fixture.Admin.PutAsync("/v1.0/admin/limits/alpha", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Limits_of_an_unknown_project_are_404()
    {
        using var response = await fixture.Admin.GetAsync("/v1.0/admin/limits/no-such-project");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Ping_is_204_without_signing_in_and_health_reports_storage_and_providers()
    {
        using var anonymous = fixture.Portal.CreateClient();
        using var ping = await anonymous.GetAsync("/v1.0/ping");
        Assert.Equal(HttpStatusCode.NoContent, ping.StatusCode);

        var health = (await fixture.Admin.GetFromJsonAsync<JsonObject>("/v1.0/health"))!;
        Assert.Equal("true", (string?)health["storage"]!["database"]!["online"]);
        Assert.Equal("true", (string?)health["providers"]!["sim-fastly"]!["online"]);

        var component = (await fixture.Admin.GetFromJsonAsync<JsonObject>("/v1.0/health/provider/sim-fastly"))!;
        Assert.Equal("true", (string?)component["online"]);
        using var unknown = await fixture.Admin.GetAsync("/v1.0/health/provider/genie");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Json_home_lists_the_resources()
    {
        using var response = await fixture.Admin.GetAsync("/v1.0");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json-home", response.Content.Headers.ContentType!.MediaType);
        var home = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("/v1.0/services{?marker,limit}", (string?)home["resources"]!["rel/services"]!["href-template"]);
        Assert.NotNull(home["resources"]!["rel/flavors"]);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_service_endpoints_and_swagger_ui_is_served()
    {
        using var anonymous = fixture.Portal.CreateClient();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/poppy-v1.json"))!;
        var paths = document["paths"]!.AsObject();
        Assert.Contains("/v1.0/services", paths.Select(p => p.Key));
        Assert.Contains("/v1.0/services/{id}/assets", paths.Select(p => p.Key));
        Assert.DoesNotContain(paths, p => p.Key.StartsWith("/ui", StringComparison.Ordinal));

        using var ui = await anonymous.GetAsync("/api/docs/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

    [Fact]
    public async Task Without_credentials_the_api_answers_401_with_a_message()
    {
        using var anonymous = fixture.Portal.CreateClient();
        anonymous.DefaultRequestHeaders.Add("X-Project-ID", "alpha");
        using var response = await anonymous.GetAsync("/v1.0/services");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]);
    }

    [Fact]
    public async Task The_project_header_is_required_and_must_name_a_project_of_the_caller()
    {
        await fixture.Portal.CreateProjectAsync("elsewhere");
        await fixture.Portal.CreateUserAsync("op-alpha@test.local", "Operator", "alpha");
        using var noHeader = await fixture.ApiClientAsync("op-alpha@test.local", "User-Password-1!", project: null);
        using var missing = await noHeader.GetAsync("/v1.0/services");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("The Project ID must be provided.", (string?)(await missing.Content.ReadFromJsonAsync<JsonObject>())!["message"]);

        using var foreign = await fixture.ApiClientAsync("op-alpha@test.local", "User-Password-1!", "elsewhere");
        using var unknown = await fixture.ApiClientAsync("op-alpha@test.local", "User-Password-1!", "no-such-project");
        using var foreignResponse = await foreign.GetAsync("/v1.0/services");
        using var unknownResponse = await unknown.GetAsync("/v1.0/services");
        Assert.Equal(HttpStatusCode.Forbidden, foreignResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unknownResponse.StatusCode);
        // The same words for both, so project names of other tenants cannot be probed.
        Assert.Equal((await foreignResponse.Content.ReadAsStringAsync()).Replace("elsewhere", "X"),
            (await unknownResponse.Content.ReadAsStringAsync()).Replace("no-such-project", "X"));
    }

    public static TheoryData<string> HostilePayloads() =>
    [
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(document.cookie)",
        "' OR '1'='1", "1; DROP TABLE Services; --", "' UNION SELECT * FROM AspNetUsers --",
        "; cat /etc/passwd", "$(reboot)", "`id`", "| nc 127.0.0.1 4444", "../../../../etc/passwd", "%00", "\u0000",
        "{{7*7}}", "${jndi:ldap://127.0.0.1/a}", new string('A', 5000),
    ];

    [Theory]
    [MemberData(nameof(HostilePayloads))]
    public async Task Injection_strings_in_any_field_never_cause_a_500_and_structured_fields_refuse_them(string payload)
    {
        var fields = new (string Field, Action<JsonObject, string> Put, bool Structured)[]
        {
            ("name", (d, v) => d["name"] = v, false),
            ("flavor_id", (d, v) => d["flavor_id"] = v, true),
            ("domain", (d, v) => d["domains"]![0]!["domain"] = v, true),
            ("origin", (d, v) => d["origins"]![0]!["origin"] = v, true),
            ("caching name", (d, v) => d["caching"] = new JsonArray(new JsonObject { ["name"] = v, ["ttl"] = 60 }), false),
            ("request_url", (d, v) => d["origins"]![0]!["rules"] = new JsonArray(new JsonObject { ["name"] = "r", ["request_url"] = v }), true),
            ("referrer", (d, v) => d["restrictions"] = new JsonArray(new JsonObject { ["name"] = "r", ["rules"] = new JsonArray(new JsonObject { ["name"] = "a", ["referrer"] = v }) }), true),
            ("geography", (d, v) => d["restrictions"] = new JsonArray(new JsonObject { ["name"] = "r", ["rules"] = new JsonArray(new JsonObject { ["geography"] = v }) }), true),
            ("client_ip", (d, v) => d["restrictions"] = new JsonArray(new JsonObject { ["name"] = "r", ["rules"] = new JsonArray(new JsonObject { ["client_ip"] = v }) }), true),
        };
        foreach (var (field, put, structured) in fields)
        {
            var document = ApiFixture.NewService();
            put(document, payload);
            using var response = await fixture.Admin.PostAsJsonAsync("/v1.0/services", document);
            var status = (int)response.StatusCode;
            Assert.True(status < 500, $"{field}: {status}");
            if (structured)
            {
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{field} accepted '{payload}': {status}");
            }
            else if (response.StatusCode == HttpStatusCode.Accepted)
            {
                // Free text is stored as given and returned JSON-encoded, never interpreted.
                var service = (await fixture.Admin.GetFromJsonAsync<JsonObject>(response.Headers.Location))!;
                var stored = field == "name" ? (string?)service["name"] : (string?)service["caching"]![0]!["name"];
                Assert.Equal(payload, stored);
            }
        }
        using var query = await fixture.Admin.GetAsync($"/v1.0/services?marker={Uri.EscapeDataString(payload)}");
        Assert.Equal(HttpStatusCode.BadRequest, query.StatusCode);
    }
}
