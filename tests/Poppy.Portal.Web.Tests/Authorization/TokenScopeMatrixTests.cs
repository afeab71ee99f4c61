using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Web.Tests.Api;
using Poppy.Portal.Web.Tests.ApiTokens;

namespace Poppy.Portal.Web.Tests.Authorization;

/// <summary>
/// Every route of the portal × API tokens restricted to project alpha (an admin's, and an operator's who is also a member
/// of beta): nothing of beta is read or changed. The route list is read from the running portal, so a new route fails
/// here until the matrix says what it does with a restricted token.
/// </summary>
public sealed class TokenScopeMatrixTests(TokenScopeMatrixTests.World world) : IClassFixture<TokenScopeMatrixTests.World>
{
    public const string OperatorEmail = "operator-both@test.local";

    /// <summary>A call against beta's objects, judged by its answer; null means the route needs no check here.</summary>
    private sealed record Probe(string Method, string Route, Func<World, string, Task<HttpResponseMessage>>? Call, Func<HttpResponseMessage, string, bool>? Refused);

    private static bool StatusIn(HttpResponseMessage response, params HttpStatusCode[] codes) => codes.Contains(response.StatusCode);

    private static readonly HttpStatusCode[] Refusals = [HttpStatusCode.Forbidden, HttpStatusCode.NotFound];

    private static Func<HttpResponseMessage, string, bool> Refusal => (response, _) => StatusIn(response, Refusals);

    private static Func<HttpResponseMessage, string, bool> PageWithout(Func<World, string> betaMarker, World world) =>
        (response, body) => response.StatusCode == HttpStatusCode.OK && !body.Contains(betaMarker(world), StringComparison.Ordinal);

    private static Probe[] Probes(World w) =>
    [
        // Poppy API: every service route naming beta.
        new("GET", "/v1.0/services/", (w, t) => w.Api(HttpMethod.Get, "/v1.0/services", t, "beta"), Refusal),
        new("POST", "/v1.0/services/", (w, t) => w.Api(HttpMethod.Post, "/v1.0/services", t, "beta", ApiFixture.NewService().ToJsonString()), Refusal),
        new("GET", "/v1.0/services/{id}", (w, t) => w.Api(HttpMethod.Get, $"/v1.0/services/{w.BetaService}", t, "beta"), Refusal),
        new("PATCH", "/v1.0/services/{id}", (w, t) => w.Api(HttpMethod.Patch, $"/v1.0/services/{w.BetaService}", t, "beta",
            """[{"op":"replace","path":"/name","value":"taken-over"}]"""), Refusal),
        new("DELETE", "/v1.0/services/{id}", (w, t) => w.Api(HttpMethod.Delete, $"/v1.0/services/{w.BetaService}", t, "beta"), Refusal),
        new("DELETE", "/v1.0/services/{id}/assets", (w, t) => w.Api(HttpMethod.Delete, $"/v1.0/services/{w.BetaService}/assets?all=true", t, "beta"), Refusal),
        new("GET", "/v1.0/services/{id}/benchmarks", (w, t) => w.Api(HttpMethod.Get, $"/v1.0/services/{w.BetaService}/benchmarks?window=24h", t, "beta"), Refusal),
        new("GET", "/v1.0/services/{id}/steering", (w, t) => w.Api(HttpMethod.Get, $"/v1.0/services/{w.BetaService}/steering", t, "beta"), Refusal),
        new("PUT", "/v1.0/services/{id}/steering", (w, t) => w.Api(HttpMethod.Put, $"/v1.0/services/{w.BetaService}/steering", t, "beta",
            """{"mode": "dry_run"}"""), Refusal),
        // Poppy API: admin routes about beta.
        new("GET", "/v1.0/admin/limits/{project}", (w, t) => w.Api(HttpMethod.Get, "/v1.0/admin/limits/beta", t, "alpha"), Refusal),
        new("PUT", "/v1.0/admin/limits/{project}", (w, t) => w.Api(HttpMethod.Put, "/v1.0/admin/limits/beta", t, "alpha", """{"limit": 1}"""), Refusal),
        new("POST", "/v1.0/admin/services/status", (w, t) => w.Api(HttpMethod.Post, "/v1.0/admin/services/status", t, "alpha",
            $$"""{"project_id": "beta", "service_id": "{{w.BetaService}}", "status": "failed"}"""), Refusal),
        // Flavors belong to no project: a restricted token reads them and changes none.
        new("POST", "/v1.0/flavors/", (w, t) => w.Api(HttpMethod.Post, "/v1.0/flavors", t, "alpha",
            """{"id": "scoped-flavor", "providers": [{"provider": "fastly", "links": [{"href": "www.fastly.com", "rel": "provider_url"}]}]}"""), Refusal),
        new("DELETE", "/v1.0/flavors/{id}", (w, t) => w.Api(HttpMethod.Delete, $"/v1.0/flavors/{ApiFixture.Flavor}", t, "alpha"), Refusal),
        // Portal routes a token may read: they must show nothing of beta.
        new("GET", "/services/{Id:guid}", (w, t) => w.Page($"/services/{w.BetaService}", t), Refusal),
        new("GET", "/services/{Id:guid}/edit", (w, t) => w.Page($"/services/{w.BetaService}/edit", t), Refusal),
        new("GET", "/audit/{Id:long}", (w, t) => w.Page($"/audit/{w.BetaAuditEntry}", t), Refusal),
        new("GET", "/audit", (w, t) => w.Page($"/audit?project={w.BetaProject}", t), PageWithout(x => x.BetaService.ToString(), w)),
        new("GET", "/jobs", (w, t) => w.Page("/jobs?filter=all", t), PageWithout(x => "svc-beta", w)),
        new("GET", "/services", (w, t) => w.Page("/services", t), PageWithout(x => "svc-beta", w)),
        new("POST", "/v1.0/admin/services/abandon", (w, t) => w.Api(HttpMethod.Post, "/v1.0/admin/services/abandon", t, "alpha",
            $$"""{"project_id": "beta", "service_id": "{{w.BetaService}}", "provider": "sim-fastly", "reason": "scope"}"""), Refusal),
    ];

    /// <summary>Routes with nothing of a project in them (or only the caller's own account), listed so the matrix is complete.</summary>
    private static readonly HashSet<string> ProjectFreeRoutes =
    [
        "GET /v1.0/", "GET /v1.0/ping", "GET /v1.0/health", "GET /v1.0/health/{component}/{name}", "GET /v1.0/flavors/", "GET /v1.0/flavors/{id}",
        "GET /openapi/{documentName}.json", "GET /healthz",
        "GET /", "GET /providers", "GET /providers/new", "GET /providers/{Id:guid}", "GET /admin/flavors", "GET /admin/projects", "GET /admin/users",
        "GET /admin/users/{Id}", "GET /benchmarks", "GET /dns", "GET /services/new", "GET /account/tokens",
        "GET /not-found", "GET {**path:file}",
    ];

    [Theory]
    [InlineData("admin")]
    [InlineData("operator")]
    public async Task A_token_restricted_to_alpha_reaches_nothing_of_beta_on_any_route(string whose)
    {
        var token = whose == "admin" ? world.AdminToken : world.OperatorToken;
        var failures = new List<string>();
        foreach (var probe in Probes(world).Where(p => p.Call is not null))
        {
            using var response = await probe.Call!(world, token);
            var body = await response.Content.ReadAsStringAsync();
            if (!probe.Refused!(response, body))
            {
                failures.Add($"{probe.Method} {probe.Route}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}");
            }
        }
        Assert.Empty(failures);
        await world.AssertBetaUnchangedAsync();
    }

    [Fact]
    public async Task The_same_tokens_still_work_in_alpha()
    {
        foreach (var token in new[] { world.AdminToken, world.OperatorToken })
        {
            using var list = await world.Api(HttpMethod.Get, "/v1.0/services", token, "alpha");
            using var create = await world.Api(HttpMethod.Post, "/v1.0/services", token, "alpha", ApiFixture.NewService().ToJsonString());
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, create.StatusCode);
        }
        using var limit = await world.Api(HttpMethod.Get, "/v1.0/admin/limits/alpha", world.AdminToken, "alpha");
        Assert.Equal(HttpStatusCode.OK, limit.StatusCode);
    }

    [Fact]
    public void Every_route_of_the_portal_is_in_the_matrix()
    {
        var covered = Probes(world).Select(p => $"{p.Method} {p.Route}").Concat(ProjectFreeRoutes).ToHashSet();
        var routes = world.Portal.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith("/account", StringComparison.Ordinal) && !raw.StartsWith("/api/docs", StringComparison.Ordinal)
                && !raw.StartsWith("/_", StringComparison.Ordinal) && !raw.Contains('.', StringComparison.Ordinal) || e.RoutePattern.RawText == "/openapi/{documentName}.json")
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Where(r => !r.StartsWith("HEAD ", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        // Razor pages accept POST for their forms: a restricted token cannot submit forms at all (ApiTokenFormGuard).
        var missing = routes.Where(r => !covered.Contains(r) && !(r.StartsWith("POST ", StringComparison.Ordinal) && covered.Contains("GET " + r[5..]))).ToList();
        Assert.True(missing.Count == 0, "Add these routes to the token-scope matrix: " + string.Join(", ", missing));
    }

    /// <summary>Projects alpha and beta with a service each; the admin's token and an operator's (member of both) restricted to alpha.</summary>
    public sealed class World : IAsyncLifetime
    {
        private readonly ApiFixture api = new();

        public PortalFactory Portal => api.Portal;

        public Guid BetaProject { get; private set; }

        public Guid BetaService { get; private set; }

        public long BetaOperation { get; private set; }

        public long BetaAuditEntry { get; private set; }

        public string AdminToken { get; private set; } = "";

        public string OperatorToken { get; private set; } = "";

        private HttpClient client = null!;

        public async Task InitializeAsync()
        {
            await api.InitializeAsync();
            BetaProject = await Portal.CreateProjectAsync("beta");
            await Portal.CreateUserAsync(OperatorEmail, "Operator", "alpha", "beta");
            using var beta = await api.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, "beta");
            var betaDocument = ApiFixture.NewService();
            betaDocument["name"] = "svc-beta";
            BetaService = await ApiFixture.CreateAsync(beta, betaDocument);
            await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
            {
                var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
                BetaOperation = await db.Set<ProvisioningOperation>().Where(o => o.ServiceId == BetaService).Select(o => o.Id).FirstAsync();
                BetaAuditEntry = await db.Set<AuditEntry>().Where(e => e.EntityId == BetaService.ToString()).Select(e => e.Id).FirstAsync();
                // A failed operation, so that a retry would have something to do.
                await db.Set<ProvisioningOperation>().Where(o => o.Id == BetaOperation)
                    .ExecuteUpdateAsync(o => o.SetProperty(x => x.State, OperationState.Failed));
            }
            AdminToken = await Portal.CreateTokenAsync(PortalFactory.AdminEmail, "alpha");
            OperatorToken = await Portal.CreateTokenAsync(OperatorEmail, "alpha");
            client = Portal.TokenClient();
        }

        public async Task<HttpResponseMessage> Api(HttpMethod method, string path, string token, string? project, string? json = null)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Add("X-Auth-Token", token);
            request.Headers.Accept.ParseAdd("application/json");
            if (project is not null)
            {
                request.Headers.Add("X-Project-ID", project);
            }
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }

        public async Task<HttpResponseMessage> Page(string path, string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("X-Auth-Token", token);
            request.Headers.Accept.ParseAdd("text/html");
            return await client.SendAsync(request);
        }

        /// <summary>Beta's service keeps its name and status, its limit is the default, and no flavor was added.</summary>
        public async Task AssertBetaUnchangedAsync()
        {
            await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var service = await db.Set<CdnService>().AsNoTracking().SingleAsync(s => s.Id == BetaService);
            Assert.Equal("svc-beta", service.Name);
            Assert.Equal(ServiceStatus.CreateInProgress, service.Status);
            Assert.Null(service.ArchivedAt);
            Assert.False(await db.Set<ProjectServiceLimit>().AnyAsync(l => l.ProjectId == BetaProject));
            Assert.Equal(0, await db.Set<ServicePurge>().CountAsync(p => p.ServiceId == BetaService));
            Assert.Equal(1, await db.Set<CdnService>().CountAsync(s => s.ProjectId == BetaProject));
            Assert.Equal(OperationState.Failed, await db.Set<ProvisioningOperation>().Where(o => o.Id == BetaOperation).Select(o => o.State).SingleAsync());
            Assert.False(await db.Set<Core.Features.Flavors.Flavor>().AnyAsync(f => f.Id == "scoped-flavor"));
        }

        public async Task DisposeAsync()
        {
            client.Dispose();
            await api.DisposeAsync();
        }
    }
}
