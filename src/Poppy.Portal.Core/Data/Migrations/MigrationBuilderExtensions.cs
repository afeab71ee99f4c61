using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.EntityFrameworkCore.Migrations.Operations.Builders;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>
/// Helpers that let one hand-written migration serve SQLite and PostgreSQL. Column types are left for the
/// provider to infer from the CLR type and facets, except where the model maps a type differently per provider.
/// </summary>
internal static class MigrationBuilderExtensions
{
    /// <summary>Column type of a DateTimeOffset: SQLite stores UTC ticks (see PortalDbContext), PostgreSQL a timestamptz.</summary>
    public static string? TimestampType(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.IsSqlite() ? "INTEGER" : null;

    /// <summary>Marks an integer key as database-generated on either provider.</summary>
    public static OperationBuilder<AddColumnOperation> Identity(this OperationBuilder<AddColumnOperation> column) =>
        column
            .Annotation("Sqlite:Autoincrement", true)
            .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn);
}
