using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Api;

/// <summary>
/// One test per hostile-input defect of issue 10 (items 2, 3, 4, 6, 7 and 10 in part), each over real HTTP: it failed
/// (a 500, or hostile input accepted) before the fix. <see cref="HostileInputTests"/> is the broad suite.
/// </summary>
public sealed class InputHardeningTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private HttpClient Api => fixture.Admin;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static ByteArrayContent Json(byte[] utf8) => new(utf8) { Headers = { ContentType = new("application/json") } };

    private async Task<Guid> DeployedServiceAsync(JsonObject? document = null)
    {
        var id = await ApiFixture.CreateAsync(Api, document ?? ApiFixture.NewService());
        await fixture.MarkDeployedAsync(id);
        return id;
    }

    private Task<HttpResponseMessage> PatchAsync(Guid id, string patch) => Api.PatchAsync($"/v1.0/services/{id}", Json(patch));

    private static async Task AssertBadRequestWithMessageAsync(HttpResponseMessage response, string? contains = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        var json = JsonNode.Parse(body)!.AsObject();
        var message = (string?)json["message"] ?? string.Join(" ", json["errors"]!.AsArray().Select(e => (string?)e!["message"]));
        Assert.False(string.IsNullOrWhiteSpace(message));
        if (contains is not null)
        {
            Assert.Contains(contains, message, StringComparison.Ordinal);
        }
    }

    // ---- Item 2: JSON Patch amplification -------------------------------------------------------------------------

    [Fact]
    public async Task A_patch_that_grows_a_valid_document_past_the_post_limit_is_400_and_changes_nothing()
    {
        // A restriction of ~100 KB (a valid POST body), then ten copies of it: each result is a valid service, and
        // before the fix the 1.1 MB result, larger than any POST may send, was accepted and stored.
        var document = ApiFixture.NewService();
        document["restrictions"] = new JsonArray(new JsonObject
        {
            ["name"] = "partners",
            ["rules"] = new JsonArray(Enumerable.Range(0, 1500)
                .Select(i => (JsonNode)new JsonObject { ["name"] = $"r{i}", ["referrer"] = $"www.partner{i}.example.com" }).ToArray()),
        });
        var id = await DeployedServiceAsync(document);
        var before = await Api.GetStringAsync($"/v1.0/services/{id}");
        var patch = "[" + string.Join(",", Enumerable.Repeat("""{"op":"copy","from":"/restrictions/0","path":"/restrictions/-"}""", 10)) + "]";

        using var response = await PatchAsync(id, patch);

        await AssertBadRequestWithMessageAsync(response, "larger than 256 KiB");
        Assert.Equal(before, await Api.GetStringAsync($"/v1.0/services/{id}"));
    }

    [Fact]
    public async Task Twenty_self_copies_in_a_small_body_are_refused_while_applying()
    {
        var id = await DeployedServiceAsync();
        var patch = "[" + string.Join(",", Enumerable.Repeat("""{"op":"copy","from":"/caching","path":"/caching/-"}""", 20)) + "]";
        Assert.True(patch.Length < 1300);

        using var response = await PatchAsync(id, patch);

        await AssertBadRequestWithMessageAsync(response);
        Assert.Matches("larger than 256 KiB|levels deep", await response.Content.ReadAsStringAsync());
    }

    // ---- Item 6: the 500s ---------------------------------------------------------------------------------------

    [Fact]
    public async Task A_patch_whose_result_nests_deeper_than_64_is_400_not_500()
    {
        var id = await DeployedServiceAsync();
        // Each add puts 12 more levels under the previous one: six reach past 64 with a tiny document.
        var operations = new List<string>();
        var path = "/caching/0/x";
        for (var i = 0; i < 6; i++)
        {
            operations.Add($$"""{"op":"add","path":"{{path}}","value":{{string.Concat(Enumerable.Repeat("{\"a\":", 12))}}1{{new string('}', 12)}}}""");
            path += string.Concat(Enumerable.Repeat("/a", 12));
        }

        using var response = await PatchAsync(id, "[" + string.Join(",", operations) + "]");

        await AssertBadRequestWithMessageAsync(response, "levels deep");
    }

    public static TheoryData<string> InvalidUnicodeBodies() =>
    [
        "lone high surrogate", "lone low surrogate", "surrogate in a member name", "invalid UTF-8", "overlong UTF-8", "UTF-8 encoded surrogate",
    ];

    private static byte[] Body(string kind, string template)
    {
        // template holds one @ where the hostile string goes, as the content of a JSON string.
        var parts = template.Split('@');
        byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        return kind switch
        {
            "lone high surrogate" => Utf8(parts[0] + "\\ud800" + parts[1]),
            "lone low surrogate" => Utf8(parts[0] + "x\\udc00y" + parts[1]),
            "surrogate in a member name" => Utf8(template.Replace("{", "{\"\\ud800\":1,", StringComparison.Ordinal).Replace("@", "x", StringComparison.Ordinal)),
            "invalid UTF-8" => [.. Utf8(parts[0]), 0xFF, 0xFE, .. Utf8(parts[1])],
            "overlong UTF-8" => [.. Utf8(parts[0]), 0xC0, 0xAF, .. Utf8(parts[1])],
            _ => [.. Utf8(parts[0]), 0xED, 0xA0, 0x80, .. Utf8(parts[1])],
        };
    }

    [Theory]
    [MemberData(nameof(InvalidUnicodeBodies))]
    public async Task Invalid_unicode_in_a_service_create_is_400_and_nothing_is_stored(string kind)
    {
        var before = (await fixture.Portal.AllServicesAsync()).Count;
        var document = ApiFixture.NewService().ToJsonString().Replace("\"mysite\"", "\"@\"", StringComparison.Ordinal);

        using var response = await Api.PostAsync("/v1.0/services", Json(Body(kind, document)));

        await AssertBadRequestWithMessageAsync(response);
        Assert.Equal(before, (await fixture.Portal.AllServicesAsync()).Count);
    }

    [Theory]
    [MemberData(nameof(InvalidUnicodeBodies))]
    public async Task Invalid_unicode_in_a_patch_is_400(string kind)
    {
        var id = await DeployedServiceAsync();
        var before = await Api.GetStringAsync($"/v1.0/services/{id}");

        using var response = await Api.PatchAsync($"/v1.0/services/{id}", Json(Body(kind, """[{"op":"replace","path":"/name","value":"@"}]""")));

        await AssertBadRequestWithMessageAsync(response);
        Assert.Equal(before, await Api.GetStringAsync($"/v1.0/services/{id}"));
    }

    [Theory]
    [MemberData(nameof(InvalidUnicodeBodies))]
    public async Task Invalid_unicode_in_the_admin_status_override_is_400(string kind)
    {
        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService());

        using var response = await Api.PostAsync("/v1.0/admin/services/status",
            Json(Body(kind, $$"""{"project_id":"alpha","service_id":"{{id}}","status":"@"}""")));

        await AssertBadRequestWithMessageAsync(response);
        Assert.Equal("create_in_progress", (string?)(await Api.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}"))!["status"]);
    }

    [Theory]
    [MemberData(nameof(InvalidUnicodeBodies))]
    public async Task Invalid_unicode_in_a_limit_is_400(string kind)
    {
        using var response = await Api.PutAsync($"/v1.0/admin/limits/{PortalFactory.FirstProject}", Json(Body(kind, """{"@":5}""")));

        await AssertBadRequestWithMessageAsync(response);
        Assert.Equal(10_000, (int)(await Api.GetFromJsonAsync<JsonObject>($"/v1.0/admin/limits/{PortalFactory.FirstProject}"))!["limit"]!);
    }

    [Theory]
    [MemberData(nameof(InvalidUnicodeBodies))]
    public async Task Invalid_unicode_in_a_flavor_is_400(string kind)
    {
        using var response = await Api.PostAsync("/v1.0/flavors",
            Json(Body(kind, """{"id":"uni@code","providers":[{"provider":"sim-fastly","links":[{"href":"www.fastly.com","rel":"provider_url"}]}]}""")));

        await AssertBadRequestWithMessageAsync(response);
        var flavors = (await Api.GetFromJsonAsync<JsonObject>("/v1.0/flavors"))!["flavors"]!.AsArray();
        Assert.DoesNotContain(flavors, f => ((string?)f!["id"])!.StartsWith("uni", StringComparison.Ordinal));
    }

    // ---- Item 3: purge path traversal ---------------------------------------------------------------------------

    [Theory]
    [InlineData("url=/../www.victim.example.com/page.html")]
    [InlineData("url=/%252e%252e/www.victim.example.com/page.html")]
    [InlineData("url=/images/..%252f..%252fwww.victim.example.com/page.html")]
    [InlineData("url=//www.victim.example.com/page.html")]
    [InlineData("url=/images%5C..%5C..%5Cwww.victim.example.com")]
    [InlineData("url=javascript:alert(1)")]
    [InlineData("url=http://www.victim.example.com/page.html")]
    [InlineData("url=/a%0d%0aHost:%20www.victim.example.com")]
    [InlineData("url=/a.png&url=/b.png")]
    [InlineData("url=/a.png&URL=/b.png")]
    [InlineData("url=/a.png&hard=true&hard=false")]
    public async Task A_purge_url_that_is_not_one_normalized_path_is_400_and_nothing_is_queued(string query)
    {
        var id = await DeployedServiceAsync();

        using var response = await Api.DeleteAsync($"/v1.0/services/{id}/assets?{query}");

        await AssertBadRequestWithMessageAsync(response);
        Assert.Equal(0, await fixture.Portal.PurgeCountAsync(id));
    }

    [Fact]
    public async Task The_catalogs_purge_that_the_portal_page_calls_refuses_a_traversal_as_the_api_does()
    {
        var id = await DeployedServiceAsync();
        var projectId = await fixture.Portal.ProjectIdAsync(PortalFactory.FirstProject);

        // The service page checks the path first (ServiceDetailPageTests); the catalog refuses it from any caller.
        await using var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System());
        var result = await scope.ServiceProvider.GetRequiredService<ServiceCatalog>()
            .PurgeAsync(projectId, id, "/../www.victim.example.com/page.html", hard: true, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("no '.' or '..' segments", Assert.Single(result.Errors).Message);
        Assert.Equal(0, await fixture.Portal.PurgeCountAsync(id));
    }

    // ---- Item 4: anchors and domain uniqueness --------------------------------------------------------------------

    [Theory]
    [InlineData("domains", """[{"domain":"www.newline.example.com\n"}]""", "domains[0].domain")]
    [InlineData("domains", """[{"domain":"shop\n","protocol":"https","certificate":"shared"}]""", "domains[0].domain")]
    [InlineData("origins", """[{"origin":"origin.example.net\n"}]""", "origins[0].origin")]
    [InlineData("origins", """[{"origin":"o.example.net","hostheadertype":"custom","hostheadervalue":"www.host.example.com\n"}]""", "origins[0].hostheadervalue")]
    [InlineData("origins", """[{"origin":"o.example.net","rules":[{"name":"r","request_url":"/images/*\n"}]}]""", "origins[0].rules[0].request_url")]
    [InlineData("restrictions", """[{"name":"r","rules":[{"name":"a","referrer":"www.partner.example.com\n"}]}]""", "restrictions[0].rules[0].referrer")]
    [InlineData("restrictions", """[{"name":"r","rules":[{"name":"a","client_ip":"192.0.2.1\n"}]}]""", "restrictions[0].rules[0].client_ip")]
    public async Task A_trailing_newline_is_refused_in_every_validated_field(string key, string value, string field)
    {
        var document = ApiFixture.NewService();
        document[key] = JsonNode.Parse(value);

        using var response = await Api.PostAsJsonAsync("/v1.0/services", document);

        await AssertBadRequestWithMessageAsync(response);
        Assert.Contains(field, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{0}\n")]
    [InlineData("{0}.")]
    [InlineData("{1}")]
    [InlineData("{1}.")]
    public async Task Another_project_cannot_take_a_domain_by_case_a_trailing_dot_or_a_newline(string variant)
    {
        var project = $"other-{Guid.NewGuid():N}"[..20];
        await fixture.Portal.CreateProjectAsync(project);
        using var other = await fixture.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, project);
        var domain = ApiFixture.UniqueDomain();
        await ApiFixture.CreateAsync(Api, ApiFixture.NewService(domain));
        var before = (await fixture.Portal.AllServicesAsync()).Count;

        using var response = await other.PostAsJsonAsync("/v1.0/services", ApiFixture.NewService(string.Format(null, variant, domain, domain.ToUpperInvariant())));

        await AssertBadRequestWithMessageAsync(response);
        Assert.Equal(before, (await fixture.Portal.AllServicesAsync()).Count);
        Assert.Single(await fixture.Portal.AllServicesAsync(), s => s.Domains.Any(d => HostNames.Canonical(d.Domain) == domain));
    }

    // ---- Item 7: control characters -------------------------------------------------------------------------------

    [Theory]
    [InlineData("name", "my\u0000site")]
    [InlineData("name", "my\tsite")]
    [InlineData("name", "mysite\r\nX-Injected: 1")]
    [InlineData("name", "my\u007fsite")]
    [InlineData("name", "my\u0085site")]
    [InlineData("name", "my\u2028site")]
    [InlineData("name", "my\u2029site")]
    public async Task A_service_name_with_a_control_character_is_400_naming_the_field(string field, string value)
    {
        var document = ApiFixture.NewService();
        document[field] = value;
        var before = (await fixture.Portal.AllServicesAsync()).Count;

        using var response = await Api.PostAsJsonAsync("/v1.0/services", document);

        await AssertBadRequestWithMessageAsync(response, "control characters");
        Assert.Contains($"\"field\":\"{field}\"", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, (await fixture.Portal.AllServicesAsync()).Count);
    }

    [Fact]
    public async Task Control_characters_in_rule_and_restriction_names_are_refused_with_their_paths()
    {
        var document = ApiFixture.NewService();
        document["caching"] = JsonNode.Parse("""[{"name":"def\u0000ault","ttl":60,"rules":[{"name":"a\tb","request_url":"/*"}]}]""");
        document["restrictions"] = JsonNode.Parse("""[{"name":"r\nx","rules":[{"name":"g\u2028","geography":"USA"}]}]""");

        using var response = await Api.PostAsJsonAsync("/v1.0/services", document);

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        foreach (var field in new[] { "caching[0].name", "caching[0].rules[0].name", "restrictions[0].name", "restrictions[0].rules[0].name" })
        {
            Assert.Contains($"\"field\":\"{field}\"", body);
        }
    }

    // ---- Item 10 (part): IDN domains and strict flavors ------------------------------------------------------------

    [Theory]
    [InlineData("www.xn--bcher-kva.{0}.de")]
    [InlineData("www.{0}.xn--p1ai")]
    [InlineData("xn--80ak6aa92e.{0}.xn--p1ai")]
    public async Task Idn_domains_in_their_ascii_form_are_accepted(string pattern)
    {
        var domain = string.Format(null, pattern, $"t{Guid.NewGuid():N}"[..12]);

        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService(domain));

        Assert.Equal(domain, (string?)(await Api.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}"))!["domains"]![0]!["domain"]);
    }

    [Theory]
    [InlineData("""{"ID":"strict-a","providers":[{"provider":"sim-fastly","links":[{"href":"www.fastly.com","rel":"provider_url"}]}]}""", "ID")]
    [InlineData("""{"id":"strict-b","Providers":[{"provider":"sim-fastly","links":[{"href":"www.fastly.com","rel":"provider_url"}]}]}""", "Providers")]
    [InlineData("""{"id":"strict-c","providers":[{"provider":"sim-fastly","links":[{"href":"www.fastly.com","rel":"provider_url"}]}],"extra":true}""", "extra")]
    [InlineData("""{"id":"strict-d","providers":[{"Provider":"sim-fastly","provider":"sim-fastly","links":[{"href":"www.fastly.com","rel":"provider_url"}]}]}""", "providers[0].Provider")]
    [InlineData("""{"id":"strict-e","providers":[{"provider":"sim-fastly","links":[{"HREF":"x","href":"www.fastly.com","rel":"provider_url"}]}]}""", "providers[0].links[0].HREF")]
    [InlineData("""{"id":"strict-f","providers":[{"provider":"sim-fastly","links":[{"href":"www.fastly.com\r\nX: 1","rel":"provider_url"}]}]}""", "providers[0].links[0].href")]
    [InlineData("""{"id":"strict-g\u0000","providers":[{"provider":"sim-fastly","links":[{"href":"www.fastly.com","rel":"provider_url"}]}]}""", "id")]
    public async Task A_flavor_with_an_unknown_or_upper_case_key_or_a_control_character_is_400(string body, string field)
    {
        using var response = await Api.PostAsync("/v1.0/flavors", Json(body));

        await AssertBadRequestWithMessageAsync(response);
        Assert.Contains($"\"field\":\"{field}\"", await response.Content.ReadAsStringAsync());
        var flavors = (await Api.GetFromJsonAsync<JsonObject>("/v1.0/flavors"))!["flavors"]!.AsArray();
        Assert.DoesNotContain(flavors, f => ((string?)f!["id"])!.StartsWith("strict-", StringComparison.Ordinal));
    }
}
