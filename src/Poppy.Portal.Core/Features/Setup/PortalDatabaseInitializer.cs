using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Core.Features.Setup;

/// <summary>Brings a database to the current schema and makes sure roles and a first administrator exist.</summary>
public sealed class PortalDatabaseInitializer(
    PortalDbContext db,
    RoleManager<IdentityRole> roles,
    UserAdministration userAdministration,
    ProjectDirectory projects,
    IOptions<FirstAdminOptions> firstAdmin,
    ILogger<PortalDatabaseInitializer> logger)
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // Write-ahead logging lets readers go on while a change commits, and commits cost one sync instead of
            // several; the setting is stored in the database file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        foreach (var role in PortalRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }

        await EnsureFirstAdminAsync(cancellationToken);
    }

    private async Task EnsureFirstAdminAsync(CancellationToken cancellationToken)
    {
        var adminRoleId = await db.Roles.Where(r => r.Name == PortalRoles.Admin).Select(r => r.Id).SingleAsync(cancellationToken);
        if (await db.UserRoles.AnyAsync(ur => ur.RoleId == adminRoleId, cancellationToken))
        {
            return;
        }

        var options = firstAdmin.Value;
        if (string.IsNullOrWhiteSpace(options.Email) || string.IsNullOrWhiteSpace(options.Password))
        {
            logger.LogWarning(
                "No administrator exists and none is configured. Set Portal:FirstAdmin:Email and Portal:FirstAdmin:Password " +
                "(environment: Portal__FirstAdmin__Email, Portal__FirstAdmin__Password) and restart.");
            return;
        }

        var project = await db.Projects.FirstOrDefaultAsync(p => p.Name == options.Project, cancellationToken);
        if (project is null)
        {
            var (created, createResult) = await projects.CreateAsync(options.Project, "Created with the first administrator.", cancellationToken);
            project = created ?? throw new InvalidOperationException($"Portal:FirstAdmin:Project: {string.Join(" ", createResult.Errors)}");
        }

        var result = await userAdministration.CreateAsync(
            new NewUser(options.Email, options.DisplayName, PortalRoles.Admin, options.Password, [project.Id]), cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not create the first administrator: {string.Join(" ", result.Errors)}");
        }
        // The address identifies the account; the password is never logged.
        logger.LogInformation("Created the first administrator {Email} in project {Project}.", options.Email, options.Project);
    }
}
