using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Poppy.Portal.Core.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PortalDbContext"/> on the configured provider and keeps Data Protection keys in it,
    /// so restarts (and several nodes) keep cookies and encrypted secrets readable.
    /// </summary>
    public static IServiceCollection AddPortalData(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        var database = ResolveDatabase(configuration, contentRoot);

        // The factory also registers the context as scoped (a request's, a job's). An interactive page takes a fresh
        // scope, and so a fresh context, per operation (ServiceCalls in the web host): never one that lives as long as
        // its circuit.
        services.AddDbContextFactory<PortalDbContext>(db => ConfigureProvider(db, database.Provider, database.ConnectionString));
        services.AddDataProtection()
            .SetApplicationName("Poppy.Portal")
            .PersistKeysToDbContext<PortalDbContext>();
        return services;
    }

    public static void ConfigureProvider(DbContextOptionsBuilder db, DatabaseProvider provider, string connectionString)
    {
        _ = provider switch
        {
            DatabaseProvider.Sqlite => db.UseSqlite(connectionString).AddInterceptors(SqliteConnectionTuning.Instance),
            DatabaseProvider.PostgreSQL => db.UseNpgsql(connectionString),
            _ => throw new InvalidOperationException($"Unknown Database:Provider '{provider}'. Use Sqlite or PostgreSQL."),
        };
        // The migrations are written by hand (EF's design-time package is not available here), so there is no
        // model snapshot for EF to compare against; MigrationSchemaTests proves the migrated schema equals the model.
        db.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }

    /// <summary>
    /// Which database the portal uses and how to reach it, from <c>Database:Provider</c> and <c>Database:ConnectionString</c>
    /// (or <c>ConnectionStrings:Portal</c>). One place, so that EF and the job scheduler always share one database.
    /// </summary>
    public static PortalDatabase ResolveDatabase(IConfiguration configuration, string contentRoot)
    {
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        options.ConnectionString ??= configuration.GetConnectionString("Portal");
        return new PortalDatabase(options.Provider, ResolveConnectionString(options, contentRoot));
    }

    private static string ResolveConnectionString(DatabaseOptions options, string contentRoot)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return options.Provider == DatabaseProvider.Sqlite
                ? AnchorSqliteFile(options.ConnectionString, contentRoot)
                : options.ConnectionString;
        }

        if (options.Provider == DatabaseProvider.PostgreSQL)
        {
            throw new InvalidOperationException(
                "Database:Provider is PostgreSQL but no connection string is set. Set Database:ConnectionString or ConnectionStrings:Portal.");
        }

        return AnchorSqliteFile("Data Source=App_Data/portal.db", contentRoot);
    }

    /// <summary>Makes a relative SQLite file path relative to the content root and creates its folder.</summary>
    private static string AnchorSqliteFile(string connectionString, string contentRoot)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.DataSource is not (":memory:" or "") && builder.Mode != SqliteOpenMode.Memory)
        {
            builder.DataSource = Path.GetFullPath(builder.DataSource, contentRoot);
            Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
        }
        return builder.ToString();
    }
}
