using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Poppy.Portal.Web.Tests.Api;

public sealed class FlavorApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static JsonObject Flavor(string id, string provider = "sim-fastly", string href = "www.fastly.com", string rel = "provider_url") => new()
    {
        ["id"] = id,
        ["providers"] = new JsonArray(new JsonObject
        {
            ["provider"] = provider,
            ["links"] = new JsonArray(new JsonObject { ["href"] = href, ["rel"] = rel }),
        }),
    };

    [Fact]
    public async Task Create_is_201_with_location_and_body_then_get_list_and_delete_204_then_404()
    {
        using var created = await fixture.Admin.PostAsJsonAsync("/v1.0/flavors", Flavor("premium"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.EndsWith("/v1.0/flavors/premium", created.Headers.Location!.ToString());
        Assert.Equal("premium", (string?)(await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]);

        var flavor = (await fixture.Admin.GetFromJsonAsync<JsonObject>(created.Headers.Location))!;
        Assert.Equal("sim-fastly", (string?)flavor["providers"]![0]!["provider"]);
        Assert.Equal("www.fastly.com", (string?)flavor["providers"]![0]!["links"]![0]!["href"]);
        var list = (await fixture.Admin.GetFromJsonAsync<JsonObject>("/v1.0/flavors"))!;
        Assert.Contains(list["flavors"]!.AsArray(), f => (string?)f!["id"] == "premium");

        using var deleted = await fixture.Admin.DeleteAsync("/v1.0/flavors/premium");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await fixture.Admin.GetAsync("/v1.0/flavors/premium");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        // Poppy answered 204 for any id; an unknown one is 404 here.
        using var again = await fixture.Admin.DeleteAsync("/v1.0/flavors/premium");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    public static TheoryData<string, string> BadFlavors() => new()
    {
        { "no providers", """{"id":"f-none","providers":[]}""" },
        { "unknown provider", Flavor("f-genie", provider: "genie").ToJsonString() },
        { "wrong rel", Flavor("f-rel", rel: "homepage").ToJsonString() },
        { "empty href", Flavor("f-href", href: "").ToJsonString() },
        { "short id", Flavor("ab").ToJsonString() },
        { "taken id", Flavor(ApiFixture.Flavor).ToJsonString() },
        { "id not a string", """{"id":5,"providers":[]}""" },
        { "not an object", "[]" },
    };

    [Theory]
    [MemberData(nameof(BadFlavors))]
    public async Task Invalid_flavors_are_400(string description, string body)
    {
        using var response = await fixture.Admin.PostAsync("/v1.0/flavors", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{description}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task A_flavor_in_use_cannot_be_deleted_and_says_so_with_409()
    {
        await ApiFixture.CreateAsync(fixture.Admin, ApiFixture.NewService());
        using var response = await fixture.Admin.DeleteAsync($"/v1.0/flavors/{ApiFixture.Flavor}");
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains($"Flavor '{ApiFixture.Flavor}' is used by", (await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_flavor_says_whether_it_refuses_services_its_vendors_cannot_express_warn_by_default()
    {
        var refusing = Flavor("strict-flavor");
        refusing["unsupported_settings"] = "refuse";
        using var created = await fixture.Admin.PostAsJsonAsync("/v1.0/flavors", refusing);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("refuse", (await created.Content.ReadFromJsonAsync<JsonObject>())!["unsupported_settings"]!.GetValue<string>());
        Assert.Equal("refuse", (await fixture.Admin.GetFromJsonAsync<JsonObject>("/v1.0/flavors/strict-flavor"))!["unsupported_settings"]!.GetValue<string>());
        Assert.Equal("warn", (await fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1.0/flavors/{ApiFixture.Flavor}"))!["unsupported_settings"]!.GetValue<string>());

        var wrong = Flavor("odd-flavor");
        wrong["unsupported_settings"] = "ignore";
        using var refused = await fixture.Admin.PostAsJsonAsync("/v1.0/flavors", wrong);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("unsupported_settings", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Only_admins_create_or_delete_flavors_but_everyone_reads_them()
    {
        await fixture.Portal.CreateUserAsync("flavor-operator@test.local", "Operator", "alpha");
        using var operatorClient = await fixture.ApiClientAsync("flavor-operator@test.local", "User-Password-1!", "alpha");
        using var create = await operatorClient.PostAsJsonAsync("/v1.0/flavors", Flavor("sneaky"));
        using var delete = await operatorClient.DeleteAsync($"/v1.0/flavors/{ApiFixture.Flavor}");
        using var read = await operatorClient.GetAsync($"/v1.0/flavors/{ApiFixture.Flavor}");
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }
}
