using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.ApiTokens;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.Core.Features.Dashboard;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Tests.ApiTokens;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Authorization;

/// <summary>
/// Every application operation × role × own / foreign project, called directly on the services in a scope that has an
/// actor and no HttpContext (as a click in a circuit would). "Foreign" is a project the user is not a member of; for an
/// admin, who sees every project, it is another project than the one their API token is restricted to. Each row's
/// expectation is refused by exactly one check in Core, so removing any check fails a row.
/// </summary>
public sealed class ApplicationAuthorizationMatrixTests(ApplicationAuthorizationMatrixTests.World world)
    : IClassFixture<ApplicationAuthorizationMatrixTests.World>
{
    public enum Right { Read, Change, Administer, GlobalAdmin, SignedIn, OwnAccount, NotViaToken, Nobody, GlobalAdminOrSelf }

    /// <summary>One operation: true when it went through, false when it answered as if the thing did not exist.</summary>
    public sealed record Operation(string Name, Right Right, Func<Context, Task<bool>> Run);

    /// <summary>What an operation runs against: the target project and its objects, and another user's id.</summary>
    public sealed record Context(IServiceProvider Services, Guid ProjectId, string ProjectName, Guid ServiceId, long OperationId, long AuditEntryId,
        string SelfId, string OtherUserId)
    {
        public T Get<T>() where T : notnull => Services.GetRequiredService<T>();
    }

    private static readonly ServiceSpec InvalidSpec = new() { Name = "", FlavorId = ServiceTestData.Flavor };

    public static IReadOnlyList<Operation> Operations { get; } =
    [
        // Services (ServiceCatalog)
        new("catalog.find", Right.Read, async c => await c.Get<ServiceCatalog>().FindAsync(c.ProjectId, c.ServiceId, default) is not null),
        new("catalog.list-page", Right.Read, async c => (await c.Get<ServiceCatalog>().ListPageAsync(c.ProjectId, null, 10, default)).Count > 0),
        new("catalog.search", Right.Read, async c => (await c.Get<ServiceCatalog>().SearchAsync(c.ProjectId, new ServiceQuery(), default)).Total > 0),
        new("catalog.get-limit", Right.Read, async c => await c.Get<ServiceCatalog>().GetLimitAsync(c.ProjectId, default) > 0),
        new("catalog.create", Right.Change, async c => (await c.Get<ServiceCatalog>().CreateAsync(c.ProjectId, InvalidSpec, default)).Outcome == CatalogOutcome.Invalid),
        new("catalog.update", Right.Change, async c => (await c.Get<ServiceCatalog>().UpdateAsync(c.ProjectId, Guid.NewGuid(), InvalidSpec, default)).Outcome == CatalogOutcome.NotFound),
        new("catalog.patch", Right.Change, async c =>
        {
            using var patch = JsonDocument.Parse("[]");
            return (await c.Get<ServiceCatalog>().PatchAsync(c.ProjectId, Guid.NewGuid(), patch.RootElement, default)).Outcome == CatalogOutcome.NotFound;
        }),
        new("catalog.delete", Right.Change, async c => (await c.Get<ServiceCatalog>().DeleteAsync(c.ProjectId, Guid.NewGuid(), default)).Outcome == CatalogOutcome.NotFound),
        new("catalog.purge", Right.Change, async c => (await c.Get<ServiceCatalog>().PurgeAsync(c.ProjectId, Guid.NewGuid(), null, false, default)).Outcome == CatalogOutcome.NotFound),
        new("catalog.set-status", Right.Administer, async c =>
            (await c.Get<ServiceCatalog>().SetStatusAsync(c.ProjectId, Guid.NewGuid(), ProviderStatus.Deployed, default)).Outcome == CatalogOutcome.NotFound),
        new("catalog.set-limit", Right.Administer, async c =>
        {
            await c.Get<ServiceCatalog>().SetLimitAsync(c.ProjectId, 25, default);
            return true;
        }),

        // Provisioning (ProvisioningOperations)
        new("provisioning.progress", Right.Read, async c => (await c.Get<ProvisioningOperations>().ForServiceAsync(c.ServiceId, default)).Changes.Count > 0),
        new("provisioning.find-service", Right.Read, async c => await c.Get<ProvisioningOperations>().FindServiceAsync(c.ServiceId, default) is not null),
        new("provisioning.find-operation", Right.Read, async c => await c.Get<ProvisioningOperations>().FindAsync(c.OperationId, default) is not null),
        new("provisioning.list", Right.Read, async c =>
            (await c.Get<ProvisioningOperations>().ListAsync(JobListFilter.All, 500, default)).Any(o => o.ProjectId == c.ProjectId)),
        new("provisioning.jobs", Right.Read, async c =>
            (await c.Get<ProvisioningOperations>().JobsAsync(new JobQuery(JobListFilter.All, Limit: 500), default)).Groups.Any(g => g.First.ProjectId == c.ProjectId)),
        new("provisioning.retry", Right.Change, async c => (await c.Get<ProvisioningOperations>().RetryAsync(c.ProjectId, long.MaxValue, default)).IsNotFound),
        new("provisioning.abandon", Right.Administer, async c =>
            (await c.Get<ProvisioningOperations>().AbandonAsync(c.ProjectId, long.MaxValue, "matrix", default)).Result.IsNotFound),
        new("provisioning.abandon-removal", Right.Administer, async c =>
            (await c.Get<ProvisioningOperations>().AbandonRemovalAsync(c.ProjectId, Guid.NewGuid(), "fastly", "matrix", default)).Result.IsNotFound),

        // Benchmarks (BenchmarkQuery, ProbeSettingsService)
        new("benchmarks.get", Right.Read, async c => await c.Get<BenchmarkQuery>().GetAsync(c.ProjectId, c.ServiceId, BenchmarkWindow.OneDay, default) is not null),
        new("benchmarks.get-project", Right.Read, async c => (await c.Get<BenchmarkQuery>().GetProjectAsync(c.ProjectId, BenchmarkWindow.OneDay, default)).Services.Count > 0),
        // Dashboard (DashboardQuery)
        new("dashboard.get", Right.Read, async c => (await c.Get<DashboardQuery>().GetAsync(c.ProjectId, default)).Services > 0),
        new("probe-settings.get", Right.Read, async c => await c.Get<ProbeSettingsService>().GetAsync(c.ProjectId, c.ServiceId, default) is not null),
        new("probe-settings.set", Right.Change, async c =>
            (await c.Get<ProbeSettingsService>().SetAsync(c.ProjectId, Guid.NewGuid(), new ProbeSettings(TimeSpan.FromSeconds(10), "/", true), default)).IsNotFound),

        // Steering (SteeringService)
        new("steering.get", Right.Read, async c => await c.Get<SteeringService>().GetAsync(c.ProjectId, c.ServiceId, default) is not null),
        new("steering.update", Right.Change, async c =>
            (await c.Get<SteeringService>().UpdateAsync(c.ProjectId, Guid.NewGuid(), new SteeringChange(null, "dry_run", null, null, null), default)).IsNotFound),
        new("steering.events", Right.Read, async c => (await c.Get<SteeringService>().EventsAsync(c.ProjectId, c.ServiceId, 10, default)) is not null),
        new("steering.failovers", Right.Read, async c => (await c.Get<SteeringService>().FailoversInEffectAsync(c.ProjectId, default)) is not null),
        new("steering.names", Right.Read, async c => (await c.Get<SteeringService>().NamesAsync(c.ProjectId, [c.ServiceId], default)) is not null),

        // Audit (AuditQuery)
        new("audit.list", Right.Read, async c => (await c.Get<AuditQuery>().ListAsync(new AuditFilter { ProjectId = c.ProjectId }, default)).Entries.Count > 0),
        new("audit.get", Right.Read, async c => await c.Get<AuditQuery>().GetAsync(c.AuditEntryId, default) is not null),

        // Projects (ProjectDirectory)
        new("projects.list-visible", Right.Read, async c => (await c.Get<ProjectDirectory>().ListVisibleAsync(default)).Any(p => p.Id == c.ProjectId)),
        new("projects.find-by-name", Right.Read, async c => await c.Get<ProjectDirectory>().FindByNameAsync(c.ProjectName, default) is not null),
        new("projects.list-all", Right.GlobalAdmin, async c => (await c.Get<ProjectDirectory>().ListAllAsync(default)).Count > 0),
        new("projects.create", Right.GlobalAdmin, async c => !(await c.Get<ProjectDirectory>().CreateAsync("not a name!", "", default)).Result.Succeeded),

        // Flavors (FlavorCatalog)
        new("flavors.list", Right.SignedIn, async c => (await c.Get<FlavorCatalog>().ListAsync(default)).Count > 0),
        new("flavors.find", Right.SignedIn, async c => await c.Get<FlavorCatalog>().FindAsync(ServiceTestData.Flavor, default) is not null),
        new("flavors.create", Right.GlobalAdmin, async c => !(await c.Get<FlavorCatalog>().CreateAsync(new FlavorSpec("x", []), default)).Succeeded),
        new("flavors.update", Right.GlobalAdmin, async c => (await c.Get<FlavorCatalog>().UpdateAsync("no-such-flavor", new FlavorSpec("x", []), default)).IsNotFound),
        new("flavors.delete", Right.GlobalAdmin, async c => (await c.Get<FlavorCatalog>().DeleteAsync("no-such-flavor", default)).IsNotFound),

        // Provider accounts (ProviderAccountDirectory)
        new("providers.list", Right.SignedIn, async c => (await c.Get<ProviderAccountDirectory>().ListAsync(default)).Count > 0),
        new("providers.find-by-name", Right.SignedIn, async c => await c.Get<ProviderAccountDirectory>().FindByNameAsync("fastly", default) is not null),
        new("providers.credentials", Right.GlobalAdmin, async c => await c.Get<ProviderAccountDirectory>().GetCredentialsAsync(Guid.NewGuid(), default) is null),
        new("providers.visible-credentials", Right.GlobalAdmin, async c =>
            (await c.Get<ProviderAccountDirectory>().GetVisibleCredentialsAsync(Guid.NewGuid(), default)).Count == 0),
        new("providers.create", Right.GlobalAdmin, async c =>
            !(await c.Get<ProviderAccountDirectory>().CreateAsync(new ProviderAccountSpec(null, ProviderKind.Fastly, null, null), default)).Succeeded),
        new("providers.update", Right.GlobalAdmin, async c =>
            !(await c.Get<ProviderAccountDirectory>().UpdateAsync(Guid.NewGuid(), new ProviderAccountSpec(null, ProviderKind.Fastly, null, null), default)).Succeeded),
        new("providers.set-enabled", Right.GlobalAdmin, async c => (await c.Get<ProviderAccountDirectory>().SetEnabledAsync(Guid.NewGuid(), true, default)).IsNotFound),
        new("providers.delete", Right.GlobalAdmin, async c => (await c.Get<ProviderAccountDirectory>().DeleteAsync(Guid.NewGuid(), default)).IsNotFound),
        new("providers.test-connection", Right.GlobalAdmin, async c => (await c.Get<ProviderConnectionTester>().TestAsync(Guid.NewGuid(), default)).IsNotFound),

        // DNS accounts (DnsAccountDirectory): global administration, listed (masked) to everyone signed in
        new("dns-accounts.list", Right.SignedIn, async c =>
        {
            await c.Get<DnsAccountDirectory>().ListAsync(default);
            return true;
        }),
        new("dns-accounts.find", Right.SignedIn, async c => await c.Get<DnsAccountDirectory>().FindAsync(Guid.NewGuid(), default) is null),
        new("dns-accounts.call-for", Right.GlobalAdmin, async c =>
        {
            using var http = new HttpClient();
            return await c.Get<DnsAccountDirectory>().CallForAsync(Guid.NewGuid(), http, default) is null;
        }),
        new("dns-accounts.visible-credentials", Right.GlobalAdmin, async c =>
            (await c.Get<DnsAccountDirectory>().GetVisibleCredentialsAsync(Guid.NewGuid(), default)).Count == 0),
        new("dns-accounts.create", Right.GlobalAdmin, async c =>
            !(await c.Get<DnsAccountDirectory>().CreateAsync(new DnsAccountSpec(null, DnsProviderKind.PowerDns, null, null, null, null), default)).Succeeded),
        new("dns-accounts.update", Right.GlobalAdmin, async c =>
            (await c.Get<DnsAccountDirectory>().UpdateAsync(Guid.NewGuid(), new DnsAccountSpec(null, DnsProviderKind.PowerDns, null, null, null, null), default)).IsNotFound),
        new("dns-accounts.delete", Right.GlobalAdmin, async c => (await c.Get<DnsAccountDirectory>().DeleteAsync(Guid.NewGuid(), default)).IsNotFound),
        new("dns-accounts.test-connection", Right.GlobalAdmin, async c => (await c.Get<DnsConnectionTester>().TestAsync(Guid.NewGuid(), default)).IsNotFound),

        // Users (UserAdministration)
        new("users.list", Right.GlobalAdmin, async c => (await c.Get<UserAdministration>().ListAsync(default)).Count > 0),
        new("users.find", Right.GlobalAdmin, async c => await c.Get<UserAdministration>().FindAsync(c.OtherUserId, default) is not null),
        new("users.create", Right.GlobalAdmin, async c =>
            !(await c.Get<UserAdministration>().CreateAsync(new NewUser("x@test.local", "x", "NoSuchRole", "Password-1!", []), default)).Succeeded),
        new("users.set-role", Right.GlobalAdmin, async c => !(await c.Get<UserAdministration>().SetRoleAsync("no-such-user", PortalRoles.Viewer, default)).Succeeded),
        new("users.set-disabled", Right.GlobalAdmin, async c => !(await c.Get<UserAdministration>().SetDisabledAsync("no-such-user", true, default)).Succeeded),
        new("users.unlock", Right.GlobalAdmin, async c => !(await c.Get<UserAdministration>().UnlockAsync("no-such-user", default)).Succeeded),
        new("users.set-projects", Right.GlobalAdmin, async c => !(await c.Get<UserAdministration>().SetProjectsAsync("no-such-user", [], default)).Succeeded),

        // API tokens and passwords: one's own account
        new("tokens.create-own", Right.NotViaToken, async c =>
            (await c.Get<ApiTokenService>().CreateAsync(c.SelfId, "matrix", null, null, default)).Result.Succeeded),
        new("tokens.create-for-another", Right.Nobody, async c =>
            (await c.Get<ApiTokenService>().CreateAsync(c.OtherUserId, "matrix", null, null, default)).Result.Succeeded),
        new("tokens.list-own", Right.OwnAccount, async c =>
        {
            await c.Get<ApiTokenService>().ListForUserAsync(c.SelfId, default);
            return true;
        }),
        new("tokens.list-another", Right.GlobalAdminOrSelf, async c =>
        {
            await c.Get<ApiTokenService>().ListForUserAsync(c.OtherUserId, default);
            return true;
        }),
        new("tokens.list-all", Right.GlobalAdmin, async c => (await c.Get<ApiTokenService>().ListAllAsync(default)).Count > 0),
        new("tokens.revoke-another", Right.GlobalAdminOrSelf, async c =>
        {
            var tokenId = await c.Get<PortalDbContext>().Set<ApiToken>().Where(t => t.UserId == c.OtherUserId).Select(t => t.Id).FirstAsync();
            return (await c.Get<ApiTokenService>().RevokeAsync(tokenId, default)).Succeeded;
        }),
        new("passwords.change-another", Right.Nobody, async c =>
        {
            var other = await c.Get<UserManager<PortalUser>>().FindByIdAsync(c.OtherUserId);
            await c.Get<AccountPasswords>().ChangeAsync(other!, "wrong", "New-Password-1!", default);
            return true;
        }),
    ];

    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var operation in Operations)
        {
            foreach (var role in PortalRoles.All)
            {
                data.Add(operation.Name, role, true);
                data.Add(operation.Name, role, false);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_operation_allows_exactly_whom_it_should(string operationName, string role, bool ownProject)
    {
        var operation = Operations.Single(o => o.Name == operationName);
        var actor = world.Actor(role, ownProject);
        var expected = Expected(operation.Right, role, ownProject);

        await using var scope = world.Portal.Services.CreateAsyncScope(actor);
        var context = world.ContextFor(scope.ServiceProvider, ownProject);
        var outcome = await OutcomeAsync(operation, context);

        Assert.True(expected == outcome, $"{operationName} as {role} ({(ownProject ? "own" : "foreign")} project): expected " +
            $"{(expected ? "allowed" : "refused")}, was {(outcome ? "allowed" : "refused")}");
    }

    [Theory]
    [MemberData(nameof(OperationNames))]
    public async Task Nobody_signed_in_may_do_anything(string operationName)
    {
        var operation = Operations.Single(o => o.Name == operationName);
        await using var scope = world.Portal.Services.CreateAsyncScope(Actor.Anonymous);

        Assert.False(await OutcomeAsync(operation, world.ContextFor(scope.ServiceProvider, ownProject: true)), $"{operationName} was allowed anonymously");
    }

    public static TheoryData<string> OperationNames() => new(Operations.Select(o => o.Name));

    [Fact]
    public async Task A_change_made_without_an_http_request_is_audited_under_its_actor()
    {
        var actor = world.Actor(PortalRoles.Operator, ownProject: true);
        Guid created;
        await using (var scope = world.Portal.Services.CreateAsyncScope(actor))
        {
            var result = await scope.ServiceProvider.GetRequiredService<ServiceCatalog>()
                .CreateAsync(world.Alpha, ServiceTestData.Spec("by-circuit", "circuit.matrix.test"), default);
            Assert.True(result.Succeeded);
            created = result.ServiceId;
        }

        await using var check = world.Portal.Services.CreateAsyncScope(Actor.System());
        var entry = await check.ServiceProvider.GetRequiredService<PortalDbContext>().Set<AuditEntry>()
            .SingleAsync(e => e.EntityId == created.ToString() && e.Action == "create");
        Assert.Equal(world.OperatorId, entry.ActorId);
        Assert.Equal("operator@matrix.test", entry.ActorName);
    }

    private static bool Expected(Right right, string role, bool own) => right switch
    {
        Right.Read => own,
        Right.Change => own && role is PortalRoles.Admin or PortalRoles.Operator,
        Right.Administer => own && role == PortalRoles.Admin,
        // The "foreign" admin is the one whose token is restricted to a project.
        Right.GlobalAdmin => own && role == PortalRoles.Admin,
        Right.GlobalAdminOrSelf => own && role == PortalRoles.Admin,
        Right.SignedIn => true,
        Right.OwnAccount => true,
        Right.NotViaToken => !(role == PortalRoles.Admin && !own),
        Right.Nobody => false,
        _ => throw new ArgumentOutOfRangeException(nameof(right)),
    };

    private static async Task<bool> OutcomeAsync(Operation operation, Context context)
    {
        try
        {
            return await operation.Run(context);
        }
        catch (AccessDeniedException)
        {
            return false;
        }
    }

    /// <summary>
    /// One portal for the whole matrix: projects alpha and beta with a service each (with its provisioning operation and
    /// audit entry), an operator and a viewer in alpha, the admin, and a token of another user to revoke.
    /// </summary>
    public sealed class World : IAsyncLifetime
    {
        public PortalFactory Portal { get; } = new();

        public Guid Alpha { get; private set; }

        public Guid Beta { get; private set; }

        public string AdminId { get; private set; } = "";

        public string OperatorId { get; private set; } = "";

        private string viewerId = "";
        private string otherId = "";
        private readonly Dictionary<Guid, (Guid Service, long Operation, long Audit)> objects = [];

        public async Task InitializeAsync()
        {
            await Portal.SeedFlavorAsync();
            Alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
            Beta = await Portal.CreateProjectAsync("beta");
            await Portal.CreateUserAsync("operator@matrix.test", PortalRoles.Operator, PortalFactory.FirstProject);
            await Portal.CreateUserAsync("viewer@matrix.test", PortalRoles.Viewer, PortalFactory.FirstProject);
            await Portal.CreateUserAsync("other@matrix.test", PortalRoles.Operator, "beta");
            AdminId = await Portal.UserIdAsync(PortalFactory.AdminEmail);
            OperatorId = await Portal.UserIdAsync("operator@matrix.test");
            viewerId = await Portal.UserIdAsync("viewer@matrix.test");
            otherId = await Portal.UserIdAsync("other@matrix.test");
            await Portal.CreateTokenAsync("other@matrix.test");

            foreach (var (project, name) in new[] { (Alpha, PortalFactory.FirstProject), (Beta, "beta") })
            {
                var service = await Portal.CreateServiceAsync(ServiceTestData.Spec("svc-" + name, $"www.{name}.matrix.test"), name);
                await using var scope = Portal.Services.CreateAsyncScope(Core.Features.Access.Actor.System());
                var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
                var operation = await db.Set<ProvisioningOperation>().Where(o => o.ServiceId == service).Select(o => o.Id).FirstAsync();
                var audit = await db.Set<AuditEntry>().Where(e => e.ProjectId == project).Select(e => e.Id).FirstAsync();
                objects[project] = (service, operation, audit);
            }
        }

        /// <summary>Admin "foreign": an admin token restricted to alpha, acting on beta. Others: members of alpha.</summary>
        public Actor Actor(string role, bool ownProject) => role switch
        {
            PortalRoles.Admin when ownProject => Core.Features.Access.Actor.User(AdminId, PortalFactory.AdminEmail, role),
            PortalRoles.Admin => Core.Features.Access.Actor.ApiToken(AdminId, PortalFactory.AdminEmail, role, restrictedToProject: Alpha),
            PortalRoles.Operator => Core.Features.Access.Actor.User(OperatorId, "operator@matrix.test", role),
            _ => Core.Features.Access.Actor.User(viewerId, "viewer@matrix.test", role),
        };

        public Context ContextFor(IServiceProvider services, bool ownProject)
        {
            var project = ownProject ? Alpha : Beta;
            var (service, operation, audit) = objects[project];
            var self = services.GetRequiredService<ICurrentActor>().Actor.UserId ?? "";
            return new Context(services, project, ownProject ? PortalFactory.FirstProject : "beta", service, operation, audit, self, otherId);
        }

        public Task DisposeAsync() => Portal.DisposeAsync().AsTask();
    }
}
