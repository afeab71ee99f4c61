using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Api;

/// <summary>
/// One portal per test class for the API tests (they create distinct services, so they can share it): a flavor "cdn"
/// with two provider accounts, and an admin API client for project alpha.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const string Flavor = "cdn";

    public PortalFactory Portal { get; } = new();

    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Portal.SeedFlavorAsync(Flavor, "sim-fastly", "sim-cloudfront");
        Admin = await ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, PortalFactory.FirstProject);
        // The tests of a class share project alpha; Poppy's default of 20 services would run out.
        using var limit = await Admin.PutAsJsonAsync($"/v1.0/admin/limits/{PortalFactory.FirstProject}", new { limit = 10_000 });
        Assert.Equal(System.Net.HttpStatusCode.Created, limit.StatusCode);
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Portal.DisposeAsync();
    }

    /// <summary>An API client of the user for <paramref name="project"/> (see <see cref="ApiClients.ApiClientAsync"/>).</summary>
    public Task<HttpClient> ApiClientAsync(string email, string password, string? project) => Portal.ApiClientAsync(email, password, project);

    /// <summary>A valid document in Poppy's format with a fresh domain, for tests to change one thing at a time.</summary>
    public static JsonObject NewService(string? domain = null) => new()
    {
        ["name"] = "mysite",
        ["flavor_id"] = Flavor,
        ["domains"] = new JsonArray(new JsonObject { ["domain"] = domain ?? UniqueDomain(), ["protocol"] = "http" }),
        ["origins"] = new JsonArray(new JsonObject { ["origin"] = "origin.example.net", ["port"] = 80, ["ssl"] = false }),
    };

    public static string UniqueDomain() => $"www.t{Guid.NewGuid():N}.example.com";

    /// <summary>Creates a service and returns its id, failing the test unless the API accepted it.</summary>
    public static async Task<Guid> CreateAsync(HttpClient client, JsonObject document)
    {
        using var response = await client.PostAsJsonAsync("/v1.0/services", document);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"create answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return Guid.Parse(response.Headers.Location!.Segments[^1]);
    }

    /// <summary>Poppy's admin status override, so PATCH and purge (which need a deployed service) can be tested.</summary>
    public async Task MarkDeployedAsync(Guid serviceId, string project = PortalFactory.FirstProject)
    {
        using var response = await Admin.PostAsJsonAsync("/v1.0/admin/services/status",
            new { project_id = project, service_id = serviceId, status = "deployed" });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
    }
}
