namespace Poppy.Portal.Core.Data;

/// <summary>Which database the portal runs on. Bound from the <c>Database</c> configuration section.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary><c>Sqlite</c> (default, embedded) or <c>PostgreSQL</c> (several portal nodes sharing one database).</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// The connection string. When empty, SQLite uses <c>App_Data/portal.db</c> under the content root;
    /// PostgreSQL has no default and must be configured (<c>ConnectionStrings:Portal</c> works too).
    /// </summary>
    public string? ConnectionString { get; set; }
}

public enum DatabaseProvider
{
    Sqlite,
    PostgreSQL,
}

/// <summary>The database the portal runs on, resolved from configuration: a provider and a ready-to-use connection string.</summary>
public sealed record PortalDatabase(DatabaseProvider Provider, string ConnectionString);
