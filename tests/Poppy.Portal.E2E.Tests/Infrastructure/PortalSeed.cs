using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;

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
    }
}
