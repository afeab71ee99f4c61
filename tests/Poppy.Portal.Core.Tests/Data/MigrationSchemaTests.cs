using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Core.Tests.Data;

/// <summary>
/// The migrations are written by hand (EF's design-time tooling is not available here). These tests build one database
/// with the migrations and one straight from the model, on SQLite and on a real PostgreSQL server, and demand that the
/// two catalogs agree line for line.
/// </summary>
public sealed class MigrationSchemaTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Sqlite_migrated_schema_equals_the_model()
    {
        using var temp = new TempDirectory("poppy-schema");
        await using var migrated = Open(DatabaseProvider.Sqlite, $"Data Source={temp.File("migrated.db")}");
        await using var fromModel = Open(DatabaseProvider.Sqlite, $"Data Source={temp.File("model.db")}");

        await AssertSameSchemaAsync(migrated, fromModel);
    }

    [Fact]
    public async Task Postgres_migrated_schema_equals_the_model()
    {
        await using var migrated = Open(DatabaseProvider.PostgreSQL, await postgres.CreateDatabaseAsync("migrated"));
        await using var fromModel = Open(DatabaseProvider.PostgreSQL, await postgres.CreateDatabaseAsync("model"));

        await AssertSameSchemaAsync(migrated, fromModel);
    }

    [Fact]
    public async Task The_comparison_notices_a_column_the_migrations_lack()
    {
        using var temp = new TempDirectory("poppy-schema");
        await using var migrated = Open(DatabaseProvider.Sqlite, $"Data Source={temp.File("migrated.db")}");
        await using var fromModel = Open(DatabaseProvider.Sqlite, $"Data Source={temp.File("model.db")}");
        await migrated.Database.MigrateAsync();
        await fromModel.Database.EnsureCreatedAsync();
        await fromModel.Database.ExecuteSqlRawAsync("ALTER TABLE \"Projects\" ADD COLUMN \"Extra\" TEXT NULL");

        var differences = Difference(await SchemaReader.ReadAsync(migrated), await SchemaReader.ReadAsync(fromModel));

        Assert.Contains(differences, line => line.Contains("Projects.Extra", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Migrating_twice_is_harmless_and_records_every_migration()
    {
        using var temp = new TempDirectory("poppy-schema");
        await using var db = Open(DatabaseProvider.Sqlite, $"Data Source={temp.File("twice.db")}");

        await db.Database.MigrateAsync();
        await db.Database.MigrateAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
    }

    private static async Task AssertSameSchemaAsync(PortalDbContext migrated, PortalDbContext fromModel)
    {
        await migrated.Database.MigrateAsync();
        await fromModel.Database.EnsureCreatedAsync();

        var migratedSchema = await SchemaReader.ReadAsync(migrated);
        var modelSchema = await SchemaReader.ReadAsync(fromModel);

        Assert.NotEmpty(modelSchema);
        var differences = Difference(migratedSchema, modelSchema);
        Assert.True(differences.Count == 0, "Schema differs from the model:\n" + string.Join("\n", differences));
    }

    private static List<string> Difference(SortedSet<string> migrated, SortedSet<string> model) =>
        migrated.Except(model).Select(line => "only in migrated: " + line)
            .Concat(model.Except(migrated).Select(line => "only in model:    " + line))
            .ToList();

    private static PortalDbContext Open(DatabaseProvider provider, string connectionString)
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        DataServiceCollectionExtensions.ConfigureProvider(options, provider, connectionString);
        return new PortalDbContext(options.Options);
    }
}
