using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Poppy.Portal.Web.Tests.Api;

/// <summary>
/// Role x tenant x endpoint: every API endpoint called by an admin, an operator and a viewer of project alpha and an
/// operator of project beta, against alpha's and beta's services. Nobody reads or changes another project's services.
/// </summary>
public sealed class ApiTenancyMatrixTests(ApiTenancyMatrixTests.Tenants tenants) : IClassFixture<ApiTenancyMatrixTests.Tenants>
{
    private const string Password = "User-Password-1!";
    private readonly ApiFixture fixture = tenants.Api;
    private Guid alphaService => tenants.AlphaService;
    private Guid betaService => tenants.BetaService;

    /// <summary>Projects alpha and beta with one service each, and an operator and a viewer of alpha and an operator of beta.</summary>
    public sealed class Tenants : IAsyncLifetime
    {
        public ApiFixture Api { get; } = new();
        public Guid AlphaService { get; private set; }
        public Guid BetaService { get; private set; }

        public async Task InitializeAsync()
        {
            await Api.InitializeAsync();
            await Api.Portal.CreateProjectAsync("beta");
            await Api.Portal.CreateUserAsync("operator-alpha@test.local", "Operator", "alpha");
            await Api.Portal.CreateUserAsync("viewer-alpha@test.local", "Viewer", "alpha");
            await Api.Portal.CreateUserAsync("operator-beta@test.local", "Operator", "beta");
            using var beta = await Api.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, "beta");
            AlphaService = await ApiFixture.CreateAsync(Api.Admin, ApiFixture.NewService());
            BetaService = await ApiFixture.CreateAsync(beta, ApiFixture.NewService());
        }

        public Task DisposeAsync() => Api.DisposeAsync();
    }

    private enum Access { Read, Write }

    private sealed record Endpoint(string Name, Access Access, Func<HttpClient, Guid, Task<HttpResponseMessage>> Call);

    private static readonly Endpoint[] ServiceEndpoints =
    [
        new("list", Access.Read, (c, _) => c.GetAsync("/v1.0/services")),
        new("get", Access.Read, (c, id) => c.GetAsync($"/v1.0/services/{id}")),
        new("create", Access.Write, (c, _) => c.PostAsJsonAsync("/v1.0/services", ApiFixture.NewService())),
        new("patch", Access.Write, (c, id) => c.PatchAsync($"/v1.0/services/{id}", new StringContent("""[{"op":"replace","path":"/name","value":"taken-over"}]""", Encoding.UTF8, "application/json"))),
        new("purge", Access.Write, (c, id) => c.DeleteAsync($"/v1.0/services/{id}/assets?all=true")),
        new("delete", Access.Write, (c, id) => c.DeleteAsync($"/v1.0/services/{id}")),
    ];

    [Theory]
    [InlineData("operator-beta@test.local", "alpha")]
    [InlineData("operator-alpha@test.local", "beta")]
    [InlineData("viewer-alpha@test.local", "beta")]
    public async Task A_user_naming_a_project_they_do_not_belong_to_is_refused_on_every_endpoint(string user, string project)
    {
        using var client = await fixture.ApiClientAsync(user, Password, project);
        var target = project == "alpha" ? alphaService : betaService;
        foreach (var endpoint in ServiceEndpoints)
        {
            using var response = await endpoint.Call(client, target);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{user} {endpoint.Name} in {project}: {(int)response.StatusCode}");
        }
        await AssertUnchangedAsync();
    }

    [Theory]
    [InlineData("operator-alpha@test.local")]
    [InlineData("viewer-alpha@test.local")]
    [InlineData(PortalFactory.AdminEmail)]
    public async Task Another_projects_service_id_is_not_found_from_ones_own_project(string user)
    {
        using var client = await fixture.ApiClientAsync(user, user == PortalFactory.AdminEmail ? PortalFactory.AdminPassword : Password, "alpha");
        foreach (var endpoint in ServiceEndpoints.Where(e => e.Name is not ("list" or "create")))
        {
            using var response = await endpoint.Call(client, betaService);
            var expected = user.StartsWith("viewer", StringComparison.Ordinal) && endpoint.Access == Access.Write ? HttpStatusCode.Forbidden : HttpStatusCode.NotFound;
            Assert.True(response.StatusCode == expected, $"{user} {endpoint.Name} of beta's service: {(int)response.StatusCode}");
        }
        var listed = (await client.GetFromJsonAsync<JsonObject>("/v1.0/services?limit=20"))!["services"]!.AsArray();
        Assert.DoesNotContain(listed, s => (string?)s!["id"] == betaService.ToString());
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_viewer_reads_but_every_write_is_403()
    {
        using var viewer = await fixture.ApiClientAsync("viewer-alpha@test.local", Password, "alpha");
        foreach (var endpoint in ServiceEndpoints)
        {
            using var response = await endpoint.Call(viewer, alphaService);
            var expected = endpoint.Access == Access.Read ? HttpStatusCode.OK : HttpStatusCode.Forbidden;
            Assert.True(response.StatusCode == expected, $"viewer {endpoint.Name}: {(int)response.StatusCode}");
        }
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task An_operator_of_the_project_reads_and_writes_its_services()
    {
        using var operatorClient = await fixture.ApiClientAsync("operator-alpha@test.local", Password, "alpha");
        var own = await ApiFixture.CreateAsync(operatorClient, ApiFixture.NewService());
        using var get = await operatorClient.GetAsync($"/v1.0/services/{own}");
        using var delete = await operatorClient.DeleteAsync($"/v1.0/services/{own}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
    }

    [Theory]
    [InlineData("operator-alpha@test.local")]
    [InlineData("viewer-alpha@test.local")]
    public async Task Admin_endpoints_are_for_admins_only(string user)
    {
        using var client = await fixture.ApiClientAsync(user, Password, "alpha");
        using var getLimit = await client.GetAsync("/v1.0/admin/limits/alpha");
        using var setLimit = await client.PutAsJsonAsync("/v1.0/admin/limits/alpha", new { limit = 1 });
        using var setStatus = await client.PostAsJsonAsync("/v1.0/admin/services/status", new { project_id = "beta", service_id = betaService, status = "deployed" });
        Assert.Equal(HttpStatusCode.Forbidden, getLimit.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, setLimit.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, setStatus.StatusCode);
        await AssertUnchangedAsync();
    }

    /// <summary>Beta's service still has its name and its create in progress, whoever tried what.</summary>
    private async Task AssertUnchangedAsync()
    {
        using var admin = await fixture.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, "beta");
        var service = (await admin.GetFromJsonAsync<JsonObject>($"/v1.0/services/{betaService}"))!;
        Assert.Equal("mysite", (string?)service["name"]);
        Assert.Equal("create_in_progress", (string?)service["status"]);
    }
}
