using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Poppy.Portal.Core.Data;

/// <summary>
/// Per-connection SQLite settings for a file that the web requests and the provisioning jobs write at once.
/// A busy file is waited for inside SQLite (short, growing sleeps) rather than by Microsoft.Data.Sqlite's own retry,
/// which sleeps 150 ms on a thread-pool thread each time; and in WAL mode, commits need not wait for the disk twice
/// (synchronous=NORMAL cannot corrupt the database, only lose the last commits on a power cut, not on a crash).
/// </summary>
internal sealed class SqliteConnectionTuning : DbConnectionInterceptor
{
    public static SqliteConnectionTuning Instance { get; } = new();

    private const string Pragmas = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
