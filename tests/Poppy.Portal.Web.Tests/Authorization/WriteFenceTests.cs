using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Tests.Api;
using Poppy.Portal.Web.Tests.ApiTokens;

namespace Poppy.Portal.Web.Tests.Authorization;

/// <summary>
/// With the HTTP write fence (<c>ViewerWriteGuardMiddleware</c>) switched off, a Viewer still changes nothing: every
/// refusal comes from the application services, as their message shows.
/// </summary>
public sealed class WriteFenceTests : IAsyncLifetime
{
    private const string ViewerEmail = "viewer@fence.test";
    private const string ServiceRefusal = "Your role does not allow changes: Viewers only read.";
    private readonly ApiFixture api = new();
    private Guid service;
    private long operation;
    private string viewerToken = "";
    private string viewerPassword = "";

    public async Task InitializeAsync()
    {
        api.Portal.Settings["Portal:Security:ViewerWriteFence"] = "false";
        await api.InitializeAsync();
        viewerPassword = await api.Portal.CreateUserAsync(ViewerEmail, PortalRoles.Viewer, PortalFactory.FirstProject);
        service = await ApiFixture.CreateAsync(api.Admin, ApiFixture.NewService());
        await api.MarkDeployedAsync(service);
        await using var scope = api.Portal.Services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        operation = await db.Set<ProvisioningOperation>().Where(o => o.ServiceId == service).Select(o => o.Id).FirstAsync();
        await db.Set<ProvisioningOperation>().Where(o => o.Id == operation).ExecuteUpdateAsync(o => o.SetProperty(x => x.State, OperationState.Failed));
        viewerToken = await api.Portal.CreateTokenAsync(ViewerEmail);
    }

    public Task DisposeAsync() => api.DisposeAsync();

    [Theory]
    [InlineData("POST", "/v1.0/services", "new")]
    [InlineData("PATCH", "/v1.0/services/{id}", """[{"op":"replace","path":"/name","value":"renamed"}]""")]
    [InlineData("DELETE", "/v1.0/services/{id}", null)]
    [InlineData("DELETE", "/v1.0/services/{id}/assets?all=true", null)]
    [InlineData("PUT", "/v1.0/admin/limits/alpha", """{"limit": 1}""")]
    [InlineData("POST", "/v1.0/admin/services/status", """{"project_id": "alpha", "service_id": "{id}", "status": "failed"}""")]
    [InlineData("POST", "/v1.0/flavors", """{"id": "by-viewer", "providers": [{"provider": "fastly", "links": [{"href": "www.fastly.com", "rel": "provider_url"}]}]}""")]
    [InlineData("DELETE", "/v1.0/flavors/cdn", null)]
    public async Task A_viewer_token_is_refused_by_the_services_themselves(string method, string path, string? body)
    {
        using var client = api.Portal.TokenClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{id}", service.ToString()));
        request.Headers.Add("X-Auth-Token", viewerToken);
        request.Headers.Add("X-Project-ID", PortalFactory.FirstProject);
        var json = body == "new" ? ApiFixture.NewService().ToJsonString() : body?.Replace("{id}", service.ToString());
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        // The middleware answers with an empty body; these messages come from Core.
        Assert.NotEqual("", await response.Content.ReadAsStringAsync());
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_viewer_signed_in_is_refused_retry_and_admin_forms_by_the_services()
    {
        using var viewer = api.Portal.CreatePortalClient();
        await viewer.SignInOrFailAsync(ViewerEmail, viewerPassword);

        // The portal's pages call the services in the circuit, acting as the signed-in user: a retry is refused there.
        var projectId = await api.Portal.ProjectIdAsync(PortalFactory.FirstProject);
        string viewerId;
        await using (var system = api.Portal.Services.CreateAsyncScope(Actor.System()))
        {
            viewerId = (await system.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<PortalUser>>().FindByEmailAsync(ViewerEmail))!.Id;
        }
        await using (var asViewer = api.Portal.Services.CreateAsyncScope(Actor.User(viewerId, ViewerEmail, PortalRoles.Viewer)))
        {
            var retry = await Assert.ThrowsAsync<AccessDeniedException>(() =>
                asViewer.ServiceProvider.GetRequiredService<ProvisioningOperations>().RetryAsync(projectId, operation, CancellationToken.None));
            Assert.Equal(ServiceRefusal, retry.Message);
        }
        using var createProject = await viewer.PostWithTokenAsync("/admin/projects",
            new Dictionary<string, string> { ["_handler"] = "create-project", ["Input.Name"] = "by-viewer" });

        Assert.True(createProject.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Redirect, $"{createProject.StatusCode}");
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task The_message_is_the_services_own()
    {
        using var client = api.Portal.TokenClient();
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/v1.0/services/{service}");
        request.Headers.Add("X-Auth-Token", viewerToken);
        request.Headers.Add("X-Project-ID", PortalFactory.FirstProject);
        using var refused = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(ServiceRefusal, await refused.MessageAsync());
    }

    private async Task AssertUnchangedAsync()
    {
        await using var scope = api.Portal.Services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var stored = await db.Set<CdnService>().AsNoTracking().SingleAsync(s => s.Id == service);
        Assert.Equal(ServiceStatus.Deployed, stored.Status);
        Assert.Equal("mysite", stored.Name);
        Assert.Equal(1, await db.Set<CdnService>().CountAsync());
        Assert.Equal(0, await db.Set<ServicePurge>().CountAsync());
        Assert.False(await db.Set<ProjectServiceLimit>().AnyAsync(l => l.MaxServices == 1));
        Assert.True(await db.Set<Flavor>().AnyAsync(f => f.Id == ApiFixture.Flavor));
        Assert.False(await db.Set<Flavor>().AnyAsync(f => f.Id == "by-viewer"));
        Assert.False(await db.Projects.AnyAsync(p => p.Name == "by-viewer"));
        Assert.Equal(OperationState.Failed, await db.Set<ProvisioningOperation>().Where(o => o.Id == operation).Select(o => o.State).SingleAsync());
    }
}
