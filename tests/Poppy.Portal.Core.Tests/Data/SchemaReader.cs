using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;

namespace Poppy.Portal.Core.Tests.Data;

/// <summary>
/// Reads a live database's schema (tables, columns, keys, indexes, foreign keys) as sorted, comparable lines,
/// from the database's own catalog rather than from EF's model.
/// </summary>
internal static class SchemaReader
{
    private const string MigrationsHistory = "__EFMigrationsHistory";

    // EF's own bookkeeping (history, and SQLite's migration lock table); not part of the model.
    private const string EfInfrastructurePrefix = "__EFMigrations";

    // Quartz's job-store tables: created by the QuartzTables migration in the shape Quartz validates, not mapped in
    // the EF model, so a database built from the model has none. Quartz's own startup check covers them instead.
    private const string QuartzPrefix = "qrtz\\_";

    public static async Task<SortedSet<string>> ReadAsync(PortalDbContext db)
    {
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        try
        {
            return db.Database.IsSqlite() ? await ReadSqliteAsync(connection) : await ReadPostgresAsync(connection);
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    private static async Task<SortedSet<string>> ReadSqliteAsync(DbConnection connection)
    {
        var schema = new SortedSet<string>(StringComparer.Ordinal);
        var tables = await QueryAsync(connection,
            $"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '{EfInfrastructurePrefix}%' AND name NOT LIKE '{QuartzPrefix}%' ESCAPE '\\'");
        foreach (var table in tables)
        {
            var name = table[0];
            // AUTOINCREMENT only shows in the CREATE statement.
            schema.Add($"table {name} autoincrement={table[1].Contains("AUTOINCREMENT", StringComparison.OrdinalIgnoreCase)}");
            foreach (var column in await QueryAsync(connection, $"SELECT name, type, \"notnull\", pk, dflt_value FROM pragma_table_info('{name}')"))
            {
                schema.Add($"column {name}.{column[0]} type={column[1]} notnull={column[2]} pk={column[3]} default={column[4]}");
            }
            foreach (var index in await QueryAsync(connection, $"SELECT name, \"unique\", origin FROM pragma_index_list('{name}')"))
            {
                var columns = await QueryAsync(connection, $"SELECT name FROM pragma_index_info('{index[0]}') ORDER BY seqno");
                // Auto-created key indexes are named by SQLite itself; compare them by what they cover.
                var indexName = index[2] == "c" ? index[0] : $"({index[2]})";
                schema.Add($"index {name}.{indexName} unique={index[1]} columns={string.Join(",", columns.Select(c => c[0]))}");
            }
            foreach (var foreignKey in await QueryAsync(connection,
                         $"SELECT \"table\", \"from\", \"to\", on_delete, on_update FROM pragma_foreign_key_list('{name}')"))
            {
                schema.Add($"fk {name}.{foreignKey[1]} -> {foreignKey[0]}.{foreignKey[2]} delete={foreignKey[3]} update={foreignKey[4]}");
            }
        }
        return schema;
    }

    private static async Task<SortedSet<string>> ReadPostgresAsync(DbConnection connection)
    {
        var schema = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var column in await QueryAsync(connection, $"""
            SELECT table_name, column_name, data_type, COALESCE(character_maximum_length::text, ''), is_nullable,
                   is_identity, COALESCE(identity_generation, ''), COALESCE(column_default, '')
            FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name <> '{MigrationsHistory}' AND table_name NOT LIKE '{QuartzPrefix}%'
            """))
        {
            schema.Add($"column {column[0]}.{column[1]} type={column[2]}({column[3]}) nullable={column[4]} identity={column[5]}/{column[6]} default={column[7]}");
        }
        foreach (var index in await QueryAsync(connection,
                     $"SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '{MigrationsHistory}' AND tablename NOT LIKE '{QuartzPrefix}%'"))
        {
            schema.Add($"index {index[0]}.{index[1]} {index[2]}");
        }
        foreach (var constraint in await QueryAsync(connection, $"""
            SELECT c.conrelid::regclass::text, c.conname, c.contype::text, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = 'public' AND c.conrelid::regclass::text <> '"{MigrationsHistory}"' AND c.conrelid::regclass::text NOT LIKE '{QuartzPrefix}%'
            """))
        {
            schema.Add($"constraint {constraint[0]}.{constraint[1]} {constraint[2]} {constraint[3]}");
        }
        return schema;
    }

    private static async Task<List<string[]>> QueryAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i))!).ToArray());
        }
        return rows;
    }
}
