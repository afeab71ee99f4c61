using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SQLitePCL;

namespace Poppy.Portal.Core.Data;

/// <summary>
/// Per-connection SQLite settings for a file that web requests, provisioning jobs and Quartz write at once: EF's
/// connections get them through this interceptor, Quartz's through <see cref="QuartzFactory"/>.
/// <list type="bullet">
/// <item>A connection that finds the file locked by another writer waits inside SQLite (busy_timeout, short sleeps
/// growing from 1 ms to 100 ms) rather than by Microsoft.Data.Sqlite's own retry, which sleeps 150 ms each time.
/// Writers hold the lock for a millisecond or two, so most of such a sleep is the file standing idle.</item>
/// <item>In WAL mode, commits need not wait for the disk twice (synchronous=NORMAL cannot corrupt the database, only
/// lose the last commits on a power cut, not on a crash).</item>
/// </list>
/// </summary>
internal sealed class SqliteConnectionTuning : DbConnectionInterceptor
{
    public static SqliteConnectionTuning Instance { get; } = new();

    /// <summary>How long a connection waits for a locked file before it reports it busy.</summary>
    private const int BusyTimeoutMilliseconds = 30_000;

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    public static void Apply(DbConnection connection)
    {
        if (connection is not SqliteConnection { Handle: { } handle } sqlite)
        {
            return;
        }

        raw.sqlite3_busy_timeout(handle, BusyTimeoutMilliseconds);
        using var command = sqlite.CreateCommand();
        command.CommandText = "PRAGMA synchronous = NORMAL;";
        command.ExecuteNonQuery();
    }

    /// <summary>Microsoft.Data.Sqlite for Quartz's job store, each connection tuned as it opens.</summary>
    public sealed class QuartzFactory : DbProviderFactory
    {
        public static QuartzFactory Instance { get; } = new();

        public override DbConnection CreateConnection()
        {
            var connection = new SqliteConnection();
            connection.StateChange += (sender, e) =>
            {
                if (e.CurrentState == ConnectionState.Open)
                {
                    Apply((DbConnection)sender);
                }
            };
            return connection;
        }

        public override DbCommand CreateCommand() => SqliteFactory.Instance.CreateCommand();

        public override DbParameter CreateParameter() => SqliteFactory.Instance.CreateParameter();

        public override DbConnectionStringBuilder CreateConnectionStringBuilder() => SqliteFactory.Instance.CreateConnectionStringBuilder();
    }
}
