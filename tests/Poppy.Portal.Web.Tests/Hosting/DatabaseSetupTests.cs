using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Web.Tests.Hosting;

/// <summary>How the host creates its database and first administrator, on SQLite and on PostgreSQL.</summary>
public sealed class DatabaseSetupTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task The_portal_runs_on_postgresql_when_configured()
    {
        await using var portal = new PortalFactory(null, await postgres.CreateDatabaseAsync("portal"));
        using var admin = await portal.CreateAdminClientAsync();

        using var health = await admin.Http.GetAsync("/healthz");
        var users = await admin.GetPageAsync("/admin/users");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var table = users.QuerySelector("[data-testid=users-table]");
        Assert.True(table is not null, "No users table; the page said: " + string.Join(" | ",
            users.QuerySelectorAll("h1, [data-testid=access-denied], [data-testid=error-panel], [data-testid=not-found]").Select(e => e.TextContent.Trim())));
        Assert.Contains(PortalFactory.AdminEmail, table.TextContent);
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        Assert.True(scope.ServiceProvider.GetRequiredService<PortalDbContext>().Database.IsNpgsql());
    }

    [Fact]
    public async Task Without_configured_credentials_no_administrator_is_created()
    {
        await using var portal = new PortalFactory(null, withFirstAdmin: false);
        using var client = portal.CreatePortalClient();

        using var health = await client.Http.GetAsync("/healthz");
        using var signIn = await client.SignInAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode); // the form again, with an error: nobody to sign in as
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        Assert.Empty(await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Users.ToListAsync());
        Assert.True(await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Roles.AnyAsync(r => r.Name == PortalRoles.Admin));
    }

    [Fact]
    public async Task A_restart_keeps_the_data_and_does_not_create_a_second_administrator()
    {
        using var folder = new TempDirectory("poppy-restart");
        await using (var first = new PortalFactory(folder.Path))
        {
            using var admin = await first.CreateAdminClientAsync();
        }

        await using var second = new PortalFactory(folder.Path);
        using var again = await second.CreateAdminClientAsync();

        await using var scope = second.Services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        Assert.Equal(1, await db.Users.CountAsync());
        Assert.Equal(1, await db.Projects.CountAsync());
    }
}
