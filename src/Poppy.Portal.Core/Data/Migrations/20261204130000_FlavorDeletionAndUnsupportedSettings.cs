using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>
/// Flavors are deleted by marking them (archived services still name them), and each says whether it accepts a service
/// with settings one of its vendors cannot express ("warn", the behaviour so far) or refuses it.
/// </summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261204130000_FlavorDeletionAndUnsupportedSettings")]
public sealed class FlavorDeletionAndUnsupportedSettings : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<DateTimeOffset>("DeletedAt", "Flavors", type: migrationBuilder.TimestampType(), nullable: true);
        migrationBuilder.AddColumn<string>("UnsupportedSettings", "Flavors", maxLength: 16, nullable: false, defaultValue: "warn");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("UnsupportedSettings", "Flavors");
        migrationBuilder.DropColumn("DeletedAt", "Flavors");
    }
}
