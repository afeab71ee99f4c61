using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Web.Tests.Api;
using Poppy.Portal.Web.Tests.Provisioning;

namespace Poppy.Portal.Web.Tests.Flavors;

/// <summary>
/// A flavor's life with real provisioning, run on SQLite (ProvisioningTests) and PostgreSQL (ClusteredProvisioningTests):
/// refused with 409 while a live service uses it, deleted (204) once its services are deleted and archived, its
/// provider account deletable afterwards, and its id free for a new flavor.
/// </summary>
public static class FlavorDeletionScenario
{
    public static async Task RunAsync(ProvisioningPortal fixture, string name)
    {
        await using (var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var account = await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().CreateAsync(new ProviderAccountSpec(name,
                ProviderKind.Fastly, fixture.Simulators.Fastly.ApiBaseUrl.ToString(), new Dictionary<string, string?> { ["api_key"] = "sim-fastly-api-key" }),
                CancellationToken.None);
            Assert.True(account.Succeeded, string.Join("; ", account.Errors));
        }
        using (var created = await fixture.Admin.PostAsJsonAsync("/v1.0/flavors", Flavor(name, name)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        var id = await ApiFixture.CreateAsync(fixture.Admin, ProvisioningPortal.NewService(name));
        await fixture.WaitForStatusAsync(id, "deployed");

        using (var inUse = await fixture.Admin.DeleteAsync($"/v1.0/flavors/{name}"))
        {
            Assert.Equal(HttpStatusCode.Conflict, inUse.StatusCode);
            Assert.Contains($"Flavor '{name}' is used by 1 service", (await inUse.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());
        }

        using (var delete = await fixture.Admin.DeleteAsync($"/v1.0/services/{id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await fixture.WaitForStatusAsync(id, null);

        // Only an archived service names the flavor now.
        using (var deleted = await fixture.Admin.DeleteAsync($"/v1.0/flavors/{name}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using (var gone = await fixture.Admin.GetAsync($"/v1.0/flavors/{name}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        var list = (await fixture.Admin.GetFromJsonAsync<JsonObject>("/v1.0/flavors"))!;
        Assert.DoesNotContain(list["flavors"]!.AsArray(), f => f!["id"]!.GetValue<string>() == name);
        await using (var scope = fixture.Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var accounts = scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>();
            var account = (await accounts.FindByNameAsync(name, CancellationToken.None))!;
            var removed = await accounts.DeleteAsync(account.Id, CancellationToken.None);
            Assert.True(removed.Succeeded, string.Join("; ", removed.Errors));
        }

        // The id is free again, for a flavor of other providers.
        using var again = await fixture.Admin.PostAsJsonAsync("/v1.0/flavors", Flavor(name, "sim-fastly"));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("sim-fastly", (await again.Content.ReadFromJsonAsync<JsonObject>())!["providers"]![0]!["provider"]!.GetValue<string>());
    }

    private static JsonObject Flavor(string id, string provider) => new()
    {
        ["id"] = id,
        ["providers"] = new JsonArray(new JsonObject
        {
            ["provider"] = provider,
            ["links"] = new JsonArray(new JsonObject { ["href"] = "www.fastly.com", ["rel"] = "provider_url" }),
        }),
    };
}
