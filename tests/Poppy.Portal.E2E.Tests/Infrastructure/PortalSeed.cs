using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Users;
using Microsoft.AspNetCore.Identity;

namespace Poppy.Portal.E2E.Tests.Infrastructure;

/// <summary>
/// What the browser tests need in the database before the host starts. The host runs in Production with an empty
/// database, and this branch has no admin pages for provider accounts and flavors yet, so a service could not be created
/// through the UI. Keep it simple: migrate the host's SQLite file with the portal's own migrations (the host then finds
/// it up to date and only adds roles and the first admin) and write one provider account and one flavor through
/// <see cref="PortalDbContext"/>. Replace this with the admin pages once they exist.
/// </summary>
public static class PortalSeed
{
    public const string Flavor = "e2e-cdn";
    public const string ProviderAccount = "e2e-fastly";

    /// <summary>A second project the administrator (who sees every project) can switch to.</summary>
    public const string SecondProject = "beta";

    /// <summary>A Viewer in the first project: sees everything there, may change nothing.</summary>
    public const string ViewerEmail = "viewer@e2e.test";
    public const string ViewerPassword = "E2e-Viewer-Password-1!";

    public static async Task SeedAsync(string databasePath, CancellationToken cancellationToken)
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        var connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString();
        DataServiceCollectionExtensions.ConfigureProvider(options, DatabaseProvider.Sqlite, connectionString);
        await using var db = new PortalDbContext(options.Options);
        await db.Database.MigrateAsync(cancellationToken);

        var now = TimeProvider.System.GetUtcNow();
        var account = new ProviderAccount
        {
            Id = Guid.NewGuid(),
            Name = ProviderAccount,
            Kind = ProviderKind.Fastly,
            // Nothing calls it yet: provisioning arrives with a later issue.
            ApiEndpoint = "http://127.0.0.1:9/",
            CredentialsHint = "none",
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Add(account);
        db.Add(new Flavor
        {
            Id = Flavor,
            CreatedAt = now,
            Providers = [new FlavorProvider { Position = 0, ProviderAccountId = account.Id, ProviderUrl = "www.fastly.com" }],
        });
        await db.SaveChangesAsync(cancellationToken);
        await SeedViewerAndSecondProjectAsync(db, now, cancellationToken);
    }

    /// <summary>
    /// The roles, the first project (the host finds it by name and makes its first administrator a member), a second
    /// project and a Viewer in the first one, written as ASP.NET Core Identity stores them (the host's initializer only
    /// adds what is missing). The user pages are not part of these tests' subject, so they are not used to set this up.
    /// </summary>
    private static async Task SeedViewerAndSecondProjectAsync(PortalDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var roles = PortalRoles.All.ToDictionary(r => r, r => new IdentityRole(r) { NormalizedName = r.ToUpperInvariant(), ConcurrencyStamp = Guid.NewGuid().ToString() });
        db.AddRange(roles.Values);
        var first = new Project { Id = Guid.NewGuid(), Name = PortalProcess.FirstProject, Description = "Created with the first administrator.", CreatedAt = now };
        db.Add(first);
        db.Add(new Project { Id = Guid.NewGuid(), Name = SecondProject, Description = "The browser tests' second project.", CreatedAt = now });

        var viewer = new PortalUser
        {
            UserName = ViewerEmail,
            NormalizedUserName = ViewerEmail.ToUpperInvariant(),
            Email = ViewerEmail,
            NormalizedEmail = ViewerEmail.ToUpperInvariant(),
            EmailConfirmed = true,
            DisplayName = "Vera Viewer",
            CreatedAt = now,
            LockoutEnabled = true,
            SecurityStamp = Guid.NewGuid().ToString("N"),
            ConcurrencyStamp = Guid.NewGuid().ToString(),
        };
        viewer.PasswordHash = new PasswordHasher<PortalUser>().HashPassword(viewer, ViewerPassword);
        db.Add(viewer);
        db.Add(new IdentityUserRole<string> { UserId = viewer.Id, RoleId = roles[PortalRoles.Viewer].Id });
        db.Add(new ProjectMembership { ProjectId = first.Id, UserId = viewer.Id, AddedAt = now });
        await db.SaveChangesAsync(cancellationToken);
    }
}
