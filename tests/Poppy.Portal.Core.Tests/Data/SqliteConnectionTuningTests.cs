using Microsoft.Data.Sqlite;
using Poppy.Portal.Core.Data;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Core.Tests.Data;

/// <summary>Quartz's SQLite connections are tuned as EF's: waiting for a locked file inside SQLite, WAL commits.</summary>
public sealed class SqliteConnectionTuningTests
{
    [Fact]
    public async Task A_connection_from_the_quartz_factory_waits_for_a_locked_file_inside_sqlite_and_commits_as_efs_do()
    {
        using var temp = new TempDirectory("poppy-sqlite");
        await using var connection = SqliteConnectionTuning.QuartzFactory.Instance.CreateConnection();
        connection.ConnectionString = $"Data Source={temp.File("tuned.db")}";
        await connection.OpenAsync();

        Assert.Equal(30_000L, await ScalarAsync(connection, "PRAGMA busy_timeout;"));
        Assert.Equal(1L, await ScalarAsync(connection, "PRAGMA synchronous;")); // NORMAL

        // An untuned connection, for contrast: SQLite's defaults.
        await using var plain = new SqliteConnection(connection.ConnectionString);
        await plain.OpenAsync();
        Assert.Equal(0L, await ScalarAsync(plain, "PRAGMA busy_timeout;"));
    }

    private static async Task<object?> ScalarAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
