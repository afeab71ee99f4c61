using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

using Poppy.Portal.Web.Tests.Provisioning;

namespace Poppy.Portal.Web.Tests.Api;

/// <summary>The /v1.0 service endpoints against Poppy's contract: status codes, bodies, defaults, paging, PATCH, purge.</summary>
public sealed class ServiceApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private HttpClient Api => fixture.Admin;

    [Fact]
    public async Task Create_answers_202_with_location_and_empty_body_then_get_returns_the_document_with_defaults()
    {
        var domain = ApiFixture.UniqueDomain();
        var document = JsonNode.Parse($$"""
            {"name":"mysite","flavor_id":"cdn","log_delivery":{"enabled":false},
             "domains":[{"domain":"{{domain}}","protocol":"http"},{"domain":"shop{{domain[3..]}}","protocol":"https","certificate":"san"}],
             "origins":[{"origin":"origin.mysite.com","port":80,"ssl":false,"hostheadertype":"custom","hostheadervalue":"www.customweb.com"}],
             "caching":[{"name":"default","ttl":3600},{"name":"home","ttl":1200,"rules":[{"name":"index","request_url":"/index.htm"}]}],
             "restrictions":[{"name":"site","access":"whitelist","rules":[{"name":"me","referrer":"www.mysite.com","request_url":"/*"},
               {"name":"ip","client_ip":"1.2.3.4/24"},{"name":"geo","geography":"USA"}]}]}
            """)!.AsObject();

        using var response = await Api.PostAsJsonAsync("/v1.0/services", document);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!;
        Assert.Matches("^http://localhost/v1.0/services/[0-9a-f-]{36}$", location.ToString());

        var service = (await Api.GetFromJsonAsync<JsonObject>(location))!;
        Assert.Equal("mysite", (string?)service["name"]);
        Assert.Equal("alpha", (string?)service["project_id"]);
        Assert.Equal("create_in_progress", (string?)service["status"]);
        Assert.Equal(domain, (string?)service["domains"]![0]!["domain"]);
        Assert.Equal("create_in_progress", (string?)service["domains"]![1]!["certificate_status"]);
        // Poppy's defaults: an origin without rules serves /*, the first caching rule without rules covers /*.
        Assert.Equal("/*", (string?)service["origins"]![0]!["rules"]![0]!["request_url"]);
        Assert.Equal("/*", (string?)service["caching"]![0]!["rules"]![0]!["request_url"]);
        Assert.Equal("/*", (string?)service["restrictions"]![0]!["rules"]![1]!["request_url"]);
        Assert.Equal("www.customweb.com", (string?)service["origins"]![0]!["hostheadervalue"]);
        var links = service["links"]!.AsArray();
        Assert.Contains(links, l => (string?)l!["rel"] == "self" && (string?)l["href"] == location.ToString());
        Assert.Contains(links, l => (string?)l!["rel"] == "flavor" && ((string?)l["href"])!.EndsWith("/v1.0/flavors/cdn"));
        Assert.Equal(2, service["providers"]!.AsArray().Count);
        Assert.All(service["providers"]!.AsArray(), p => Assert.Equal("deploy_in_progress", (string?)p!["status"]));
    }

    [Fact]
    public async Task Create_without_caching_gets_the_default_rule_of_one_day()
    {
        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService());
        var service = (await Api.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}"))!;
        var caching = service["caching"]!.AsArray();
        Assert.Single(caching);
        Assert.Equal(86400, (int)caching[0]!["ttl"]!);
    }

    public static TheoryData<string, string, string> InvalidDocuments() => new()
    {
        // (description, JSON merged into a valid document, field the error must name)
        { "name empty", """{"name":""}""", "name" },
        { "name too short", """{"name":"ab"}""", "name" },
        { "name too long", $$"""{"name":"{{new string('n', 335)}}"}""", "name" },
        { "name not a string", """{"name":42}""", "name" },
        { "no domains", """{"domains":[]}""", "domains" },
        { "eleven domains", $$"""{"domains":[{{string.Join(",", Enumerable.Range(0, 11).Select(i => $"{{\"domain\":\"www{i}.elevendomains.com\"}}"))}}]}""", "domains" },
        { "short domain", """{"domains":[{"domain":"ab"}]}""", "domains[0].domain" },
        { "trailing space", """{"domains":[{"domain":"www.mywebsite.com "}]}""", "domains[0].domain" },
        { "label starts with hyphen", """{"domains":[{"domain":"abcd.-mywebsite.com"}]}""", "domains[0].domain" },
        { "label ends with hyphen", """{"domains":[{"domain":"www.mywebsite-.com"}]}""", "domains[0].domain" },
        { "uppercase", """{"domains":[{"domain":"WWW.MyWebsite.com"}]}""", "domains[0].domain" },
        { "root domain", """{"domains":[{"domain":"mywebsite.com"}]}""", "domains[0].domain" },
        { "root co.uk", """{"domains":[{"domain":"mywebsite.co.uk"}]}""", "domains[0].domain" },
        { "root com.au", """{"domains":[{"domain":"mywebsite.com.au"}]}""", "domains[0].domain" },
        { "root co.ie (Poppy missed it)", """{"domains":[{"domain":"mywebsite.co.ie"}]}""", "domains[0].domain" },
        { "root co.vn (Poppy missed it)", """{"domains":[{"domain":"mywebsite.co.vn"}]}""", "domains[0].domain" },
        { "domain equals origin", """{"domains":[{"domain":"origin.example.net"}]}""", "domains[0].domain" },
        { "same domain twice on two protocols", """{"domains":[{"domain":"www.twice.com","protocol":"http"},{"domain":"www.twice.com","protocol":"https","certificate":"san"}]}""", "domains[1].domain" },
        { "http with certificate", """{"domains":[{"domain":"www.cert.com","protocol":"http","certificate":"shared"}]}""", "domains[0].certificate" },
        { "https without certificate", """{"domains":[{"domain":"www.cert.com","protocol":"https"}]}""", "domains[0].certificate" },
        { "unknown certificate", """{"domains":[{"domain":"www.cert.com","protocol":"https","certificate":"whatacert"}]}""", "domains[0].certificate" },
        { "unknown protocol", """{"domains":[{"domain":"www.cert.com","protocol":"ftp"}]}""", "domains[0].protocol" },
        { "dotted shared name", """{"domains":[{"domain":"www.shared.com","protocol":"https","certificate":"shared"}]}""", "domains[0].domain" },
        { "extra domain key", """{"domains":[{"domain":"www.extra.com","colour":"red"}]}""", "domains[0].colour" },
        { "no origins", """{"origins":[]}""", "origins" },
        { "eleven origins", $$"""{"origins":[{{string.Join(",", Enumerable.Range(0, 11).Select(i => $"{{\"origin\":\"o{i}.example.org\",\"rules\":[{{\"name\":\"r\",\"request_url\":\"/p{i}\"}}]}}"))}}]}""", "origins" },
        { "two origins on /*", """{"origins":[{"origin":"a.example.org"},{"origin":"b.example.org"}]}""", "origins[1].rules[0].request_url" },
        { "* and /* are one path", """{"origins":[{"origin":"a.example.org","rules":[{"name":"a","request_url":"*"}]},{"origin":"b.example.org","rules":[{"name":"b","request_url":"/*"}]}]}""", "origins[1].rules[0].request_url" },
        { "port as word", """{"origins":[{"origin":"o.example.org","port":"fourfourthree"}]}""", "origins[0].port" },
        { "port 8080", """{"origins":[{"origin":"o.example.org","port":8080}]}""", "origins[0].port" },
        { "port null", """{"origins":[{"origin":"o.example.org","port":null}]}""", "origins[0].port" },
        { "port negative", """{"origins":[{"origin":"o.example.org","port":-80}]}""", "origins[0].port" },
        { "port as string", """{"origins":[{"origin":"o.example.org","port":"80"}]}""", "origins[0].port" },
        { "ssl not boolean", """{"origins":[{"origin":"o.example.org","ssl":"Arggg"}]}""", "origins[0].ssl" },
        { "origin with scheme", """{"origins":[{"origin":"http://o.example.org"}]}""", "origins[0].origin" },
        { "origin non-ASCII", """{"origins":[{"origin":"ørigin.example.org"}]}""", "origins[0].origin" },
        { "origin leading space", """{"origins":[{"origin":" o.example.org"}]}""", "origins[0].origin" },
        { "origin with path", """{"origins":[{"origin":"o.example.org/path"}]}""", "origins[0].origin" },
        { "origin IPv6", """{"origins":[{"origin":"2001:db8::1"}]}""", "origins[0].origin" },
        { "host header type unknown", """{"origins":[{"origin":"o.example.org","hostheadertype":"org"}]}""", "origins[0].hostheadertype" },
        { "custom host header without value", """{"origins":[{"origin":"o.example.org","hostheadertype":"custom"}]}""", "origins[0].hostheadervalue" },
        { "custom host header digits", """{"origins":[{"origin":"o.example.org","hostheadertype":"custom","hostheadervalue":"123"}]}""", "origins[0].hostheadervalue" },
        { "custom host header with space", """{"origins":[{"origin":"o.example.org","hostheadertype":"custom","hostheadervalue":"www. domain.com"}]}""", "origins[0].hostheadervalue" },
        { "duplicate caching paths", """{"caching":[{"name":"a","ttl":1,"rules":[{"name":"a","request_url":"/x"}]},{"name":"b","ttl":2,"rules":[{"name":"b","request_url":"/x"}]}]}""", "caching[1].rules[0].request_url" },
        { "negative ttl", """{"caching":[{"name":"a","ttl":-1}]}""", "caching[0].ttl" },
        { "ttl over a year", """{"caching":[{"name":"a","ttl":31536001}]}""", "caching[0].ttl" },
        { "caching rule without name", """{"caching":[{"name":"a","ttl":1,"rules":[{"request_url":"/x"}]}]}""", "caching[0].rules[0].name" },
        { "caching rule without url", """{"caching":[{"name":"a","ttl":1,"rules":[{"name":"x"}]}]}""", "caching[0].rules[0].request_url" },
        { "second caching entry without rules", """{"caching":[{"name":"a","ttl":1},{"name":"b","ttl":2}]}""", "caching[1].rules" },
        { "unknown flavor", """{"flavor_id":"non_exist"}""", "flavor_id" },
        { "empty restriction", """{"restrictions":[{}]}""", "restrictions[0].name" },
        { "restriction access nonsense", """{"restrictions":[{"name":"r","access":"nonsense","rules":[{"name":"g","geography":"USA"}]}]}""", "restrictions[0].access" },
        { "restriction without rules", """{"restrictions":[{"name":"r"}]}""", "restrictions[0].rules" },
        { "ip three octets", """{"restrictions":[{"name":"r","rules":[{"client_ip":"1.2.3"}]}]}""", "restrictions[0].rules[0].client_ip" },
        { "ip octet over 255", """{"restrictions":[{"name":"r","rules":[{"client_ip":"348.2.3.2"}]}]}""", "restrictions[0].rules[0].client_ip" },
        { "ip colon", """{"restrictions":[{"name":"r","rules":[{"client_ip":":"}]}]}""", "restrictions[0].rules[0].client_ip" },
        { "ip prefix 33", """{"restrictions":[{"name":"r","rules":[{"client_ip":"1.2.3.4/33"}]}]}""", "restrictions[0].rules[0].client_ip" },
        { "ip prefix negative", """{"restrictions":[{"name":"r","rules":[{"client_ip":"1.2.3.4/-3"}]}]}""", "restrictions[0].rules[0].client_ip" },
        { "ipv6 prefix 129", """{"restrictions":[{"name":"r","rules":[{"client_ip":"2001:db8::/129"}]}]}""", "restrictions[0].rules[0].client_ip" },
        { "ipv6 two double colons", """{"restrictions":[{"name":"r","rules":[{"client_ip":"1200::AB00:1234::2552:7777:1313"}]}]}""", "restrictions[0].rules[0].client_ip" },
        { "whitelist and blacklist one type", """{"restrictions":[{"name":"w","access":"whitelist","rules":[{"name":"a","referrer":"www.a.com"}]},{"name":"b","access":"blacklist","rules":[{"name":"b","referrer":"www.b.com"}]}]}""", "restrictions[1].rules[0]" },
        { "referrer with scheme", """{"restrictions":[{"name":"r","rules":[{"name":"a","referrer":"http://www.mywebsite.com"}]}]}""", "restrictions[0].rules[0].referrer" },
        { "referrer bad label", """{"restrictions":[{"name":"r","rules":[{"name":"a","referrer":"www.-mywebsite.com"}]}]}""", "restrictions[0].rules[0].referrer" },
        { "geography code", """{"restrictions":[{"name":"r","rules":[{"geography":"US"}]}]}""", "restrictions[0].rules[0].geography" },
        { "two kinds in one rule", """{"restrictions":[{"name":"r","rules":[{"geography":"USA","client_ip":"1.2.3.4"}]}]}""", "restrictions[0].rules[0]" },
        { "log delivery not boolean", """{"log_delivery":{"enabled":"not a boolean"}}""", "log_delivery.enabled" },
        { "unknown top-level field", """{"project_id":"beta"}""", "project_id" },
        { "viewer policy unknown", """{"delivery":{"viewer_protocol_policy":"sometimes"}}""", "delivery.viewer_protocol_policy" },
        { "ttl bounds inverted", """{"delivery":{"min_ttl":100,"default_ttl":10}}""", "delivery.default_ttl" },
        { "https-only without https domain", """{"delivery":{"viewer_protocol_policy":"https-only"}}""", "delivery.viewer_protocol_policy" },
        { "default root object with slash", """{"delivery":{"default_root_object":"/index.html"}}""", "delivery.default_root_object" },
    };

    [Theory]
    [MemberData(nameof(InvalidDocuments))]
    public async Task Create_refuses_every_broken_rule_with_400_naming_the_field(string description, string change, string field)
    {
        var document = ApiFixture.NewService();
        foreach (var (key, value) in JsonNode.Parse(change)!.AsObject())
        {
            document[key] = value?.DeepClone();
        }

        using var response = await Api.PostAsJsonAsync("/v1.0/services", document);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{description}: {(int)response.StatusCode}");
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray();
        Assert.Contains(errors, e => (string?)e!["field"] == field);
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace((string?)e!["message"])));
    }

    [Theory]
    [InlineData("{\"name\": \"x\",")]
    [InlineData("not json at all")]
    [InlineData("")]
    public async Task Malformed_json_is_400_invalid_json(string body)
    {
        using var response = await Api.PostAsync("/v1.0/services", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Invalid JSON string", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"a string\"")]
    [InlineData("null")]
    public async Task A_body_that_is_not_an_object_is_400(string body)
    {
        using var response = await Api.PostAsync("/v1.0/services", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Deeply_nested_and_oversized_bodies_are_refused_without_a_500()
    {
        var nested = new string('[', 5000) + new string(']', 5000);
        using var deep = await Api.PostAsync("/v1.0/services", new StringContent(nested, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);

        var huge = "{\"name\":\"" + new string('x', 2 * 1024 * 1024) + "\"}";
        using var large = await Api.PostAsync("/v1.0/services", new StringContent(huge, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
    }

    [Fact]
    public async Task A_domain_is_unique_across_all_projects()
    {
        await fixture.Portal.CreateProjectAsync("uniq");
        using var other = await fixture.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, "uniq");
        var domain = ApiFixture.UniqueDomain();
        await ApiFixture.CreateAsync(Api, ApiFixture.NewService(domain));

        using var response = await other.PostAsJsonAsync("/v1.0/services", ApiFixture.NewService(domain));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"Domain {domain} has already been taken", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_shared_name_takes_a_shard_and_runs_out_after_five()
    {
        for (var i = 0; i < 5; i++)
        {
            var document = ApiFixture.NewService();
            document["domains"] = new JsonArray(new JsonObject { ["domain"] = "sharedsite", ["protocol"] = "https", ["certificate"] = "shared" });
            var id = await ApiFixture.CreateAsync(Api, document);
            var service = (await Api.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}"))!;
            Assert.Matches(@"^sharedsite\.scdn[1-5]\.secure\.poppycdn\.net$", (string?)service["domains"]![0]!["domain"]);
            Assert.Equal("deployed", (string?)service["domains"]![0]!["certificate_status"]);
        }
        var sixth = ApiFixture.NewService();
        sixth["domains"] = new JsonArray(new JsonObject { ["domain"] = "sharedsite", ["protocol"] = "https", ["certificate"] = "shared" });
        using var response = await Api.PostAsJsonAsync("/v1.0/services", sixth);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Get_of_a_non_uuid_is_400_and_of_an_unknown_id_404()
    {
        using var bad = await Api.GetAsync("/v1.0/services/not-a-uuid");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("Invalid service id", (string?)(await bad.Content.ReadFromJsonAsync<JsonObject>())!["message"]);

        var unknown = Guid.NewGuid();
        using var missing = await Api.GetAsync($"/v1.0/services/{unknown}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal($"service {unknown} could not be found", (string?)(await missing.Content.ReadFromJsonAsync<JsonObject>())!["message"]);
    }

    [Fact]
    public async Task Patch_is_refused_until_deployed_then_applies_and_sets_update_in_progress()
    {
        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService());
        var added = ApiFixture.UniqueDomain();
        var patch = new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/domains/-", ["value"] = new JsonObject { ["domain"] = added, ["protocol"] = "http" } });

        using var early = await PatchAsync(id, patch);
        Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
        Assert.Contains("create_in_progress", await early.Content.ReadAsStringAsync());

        await fixture.MarkDeployedAsync(id);
        using var response = await PatchAsync(id, patch);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.EndsWith($"/v1.0/services/{id}", response.Headers.Location!.ToString());
        var service = (await Api.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}"))!;
        Assert.Equal("update_in_progress", (string?)service["status"]);
        Assert.Equal(added, (string?)service["domains"]![1]!["domain"]);
    }

    public static TheoryData<string, string> BadPatches() => new()
    {
        { "project_id is not editable", """[{"op":"replace","path":"/project_id","value":"beta"}]""" },
        { "status is not editable", """[{"op":"replace","path":"/status","value":"deployed"}]""" },
        { "id is not editable", """[{"op":"replace","path":"/id","value":"x"}]""" },
        { "whole document", """[{"op":"replace","path":"","value":{}}]""" },
        { "remove name", """[{"op":"remove","path":"/name"}]""" },
        { "remove flavor", """[{"op":"remove","path":"/flavor_id"}]""" },
        { "remove the only origin", """[{"op":"remove","path":"/origins/0"}]""" },
        { "remove the only domain", """[{"op":"remove","path":"/domains/0"}]""" },
        { "empty operation", """[{}]""" },
        { "unknown op", """[{"op":"frobnicate","path":"/name","value":"x"}]""" },
        { "bad pointer", """[{"op":"replace","path":"/domains/7/domain","value":"www.x.com"}]""" },
        { "leading zero index", """[{"op":"replace","path":"/domains/00/domain","value":"www.x.com"}]""" },
        { "not an array", """{"op":"replace","path":"/name","value":"x"}""" },
        { "uppercase domain", """[{"op":"replace","path":"/domains/0/domain","value":"WWW.UPPER.COM"}]""" },
        { "unknown flavor", """[{"op":"replace","path":"/flavor_id","value":"nope"}]""" },
        { "log delivery not boolean", """[{"op":"replace","path":"/log_delivery/enabled","value":"not a boolean"}]""" },
        { "root domain", """[{"op":"replace","path":"/domains/0/domain","value":"website.co.uk"}]""" },
        { "failed test", """[{"op":"test","path":"/name","value":"other"}]""" },
        { "move into itself", """[{"op":"move","from":"/origins","path":"/origins/0"}]""" },
    };

    [Theory]
    [MemberData(nameof(BadPatches))]
    public async Task Bad_patches_are_400_and_leave_the_service_unchanged(string description, string patch)
    {
        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService());
        await fixture.MarkDeployedAsync(id);
        var before = await Api.GetStringAsync($"/v1.0/services/{id}");

        using var response = await PatchAsync(id, JsonNode.Parse(patch)!);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{description}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(before, await Api.GetStringAsync($"/v1.0/services/{id}"));
    }

    [Fact]
    public async Task Patch_operations_replace_move_copy_test_and_empty_patch_are_accepted()
    {
        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService());
        await fixture.MarkDeployedAsync(id);
        var patch = JsonNode.Parse("""
            [{"op":"test","path":"/name","value":"mysite"},
             {"op":"replace","path":"/name","value":"renamed"},
             {"op":"replace","path":"/log_delivery/enabled","value":true},
             {"op":"add","path":"/caching/0","value":{"name":"nocache","ttl":0,"rules":[{"name":"api","request_url":"/api/*"}]}},
             {"op":"copy","from":"/caching/0/rules/0","path":"/origins/0/rules/-"},
             {"op":"replace","path":"/origins/0/rules/1/request_url","value":"/copied/*"}]
            """)!;

        using var response = await PatchAsync(id, patch);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var service = (await Api.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}"))!;
        Assert.Equal("renamed", (string?)service["name"]);
        Assert.True((bool)service["log_delivery"]!["enabled"]!);
        Assert.Equal(0, (int)service["caching"]![0]!["ttl"]!);
        Assert.Equal("/copied/*", (string?)service["origins"]![0]!["rules"]![1]!["request_url"]);

        await fixture.MarkDeployedAsync(id);
        using var empty = await PatchAsync(id, new JsonArray());
        Assert.Equal(HttpStatusCode.Accepted, empty.StatusCode);
    }

    [Fact]
    public async Task A_patch_that_changes_nothing_is_accepted_and_asks_no_vendor_for_an_update()
    {
        var document = ApiFixture.NewService();
        document["domains"]!.AsArray().Add(new JsonObject { ["domain"] = "shopfront", ["protocol"] = "https", ["certificate"] = "shared" });
        var id = await ApiFixture.CreateAsync(Api, document);
        await fixture.MarkDeployedAsync(id);
        var operations = (await fixture.Portal.OperationsAsync(id)).Count;
        var before = await Api.GetStringAsync($"/v1.0/services/{id}");

        // The same name again, and a shared domain by the name it was given (the API shows it with its shard).
        using var same = await PatchAsync(id, JsonNode.Parse("""[{"op":"replace","path":"/name","value":"mysite"},{"op":"replace","path":"/domains/1/domain","value":"shopfront"}]""")!);
        using var empty = await PatchAsync(id, new JsonArray());

        Assert.Equal(HttpStatusCode.Accepted, same.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, empty.StatusCode);
        Assert.Equal(operations, (await fixture.Portal.OperationsAsync(id)).Count);
        Assert.Equal(before, await Api.GetStringAsync($"/v1.0/services/{id}"));

        // A real change still reaches every provider.
        using var renamed = await PatchAsync(id, JsonNode.Parse("""[{"op":"replace","path":"/name","value":"renamed"}]""")!);
        Assert.Equal(HttpStatusCode.Accepted, renamed.StatusCode);
        Assert.Equal(operations + 2, (await fixture.Portal.OperationsAsync(id)).Count);
    }

    [Fact]
    public async Task A_patch_may_not_take_another_services_domain()
    {
        var taken = ApiFixture.UniqueDomain();
        await ApiFixture.CreateAsync(Api, ApiFixture.NewService(taken));
        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService());
        await fixture.MarkDeployedAsync(id);

        using var response = await PatchAsync(id, JsonNode.Parse($$"""[{"op":"replace","path":"/domains/0/domain","value":"{{taken}}"}]""")!);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("has already been taken", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Delete_is_202_twice_and_404_for_unknown_ids()
    {
        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService());

        using var first = await Api.DeleteAsync($"/v1.0/services/{id}");
        using var second = await Api.DeleteAsync($"/v1.0/services/{id}");
        using var unknown = await Api.DeleteAsync($"/v1.0/services/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var service = (await Api.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}"))!;
        Assert.Equal("delete_in_progress", (string?)service["status"]);
    }

    [Theory]
    [InlineData("all=True", HttpStatusCode.Accepted)]
    [InlineData("all=true", HttpStatusCode.Accepted)]
    [InlineData("all=TRUE", HttpStatusCode.Accepted)]
    [InlineData("all=TRue", HttpStatusCode.Accepted)]
    [InlineData("url=/images/logo.png&hard=True", HttpStatusCode.Accepted)]
    [InlineData("url=/images/logo.png&hard=False", HttpStatusCode.Accepted)]
    [InlineData("", HttpStatusCode.Accepted)]
    [InlineData("url=/x&hard=negative", HttpStatusCode.BadRequest)]
    [InlineData("url=/%C2%A2%C2%A2%C2%A2.jpg", HttpStatusCode.BadRequest)]
    [InlineData("url=/x&all=true", HttpStatusCode.BadRequest)]
    [InlineData("all=perhaps", HttpStatusCode.BadRequest)]
    public async Task Purge_parameters(string query, HttpStatusCode expected)
    {
        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService());
        await fixture.MarkDeployedAsync(id);

        using var response = await Api.DeleteAsync($"/v1.0/services/{id}/assets?{query}");

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Accepted)
        {
            Assert.EndsWith($"/v1.0/services/{id}", response.Headers.Location!.ToString());
        }
    }

    [Fact]
    public async Task Purge_needs_a_deployed_service_and_a_known_id()
    {
        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService());
        using var early = await Api.DeleteAsync($"/v1.0/services/{id}/assets?all=true");
        using var unknown = await Api.DeleteAsync($"/v1.0/services/{Guid.NewGuid()}/assets?all=true");
        Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_numeric_tenant_segment_after_the_version_is_ignored_as_in_Poppy()
    {
        var id = await ApiFixture.CreateAsync(Api, ApiFixture.NewService());
        using var response = await Api.GetAsync($"/v1.0/123456/services/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task<HttpResponseMessage> PatchAsync(Guid id, JsonNode patch) =>
        Api.PatchAsync($"/v1.0/services/{id}", new StringContent(patch.ToJsonString(), Encoding.UTF8, "application/json"));
}
