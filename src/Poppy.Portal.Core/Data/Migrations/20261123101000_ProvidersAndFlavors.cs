using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>Provider accounts and the flavors that group them.</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261123101000_ProvidersAndFlavors")]
public sealed class ProvidersAndFlavors : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var timestamp = migrationBuilder.TimestampType();
        migrationBuilder.CreateTable(
            name: "ProviderAccounts",
            columns: table => new
            {
                Id = table.Column<Guid>(nullable: false),
                Name = table.Column<string>(maxLength: 64, nullable: false),
                Kind = table.Column<string>(maxLength: 32, nullable: false),
                ApiEndpoint = table.Column<string>(maxLength: 2048, nullable: false),
                ProtectedCredentials = table.Column<string>(nullable: false),
                CredentialsHint = table.Column<string>(maxLength: 200, nullable: false),
                IsEnabled = table.Column<bool>(nullable: false),
                CreatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                UpdatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_ProviderAccounts", x => x.Id));
        migrationBuilder.CreateIndex("IX_ProviderAccounts_Name", "ProviderAccounts", "Name", unique: true);

        migrationBuilder.CreateTable(
            name: "Flavors",
            columns: table => new
            {
                Id = table.Column<string>(maxLength: 64, nullable: false),
                CreatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_Flavors", x => x.Id));

        migrationBuilder.CreateTable(
            name: "FlavorProviders",
            columns: table => new
            {
                FlavorId = table.Column<string>(maxLength: 64, nullable: false),
                Position = table.Column<int>(nullable: false),
                ProviderAccountId = table.Column<Guid>(nullable: false),
                ProviderUrl = table.Column<string>(maxLength: 2048, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_FlavorProviders", x => new { x.FlavorId, x.Position });
                table.ForeignKey("FK_FlavorProviders_Flavors_FlavorId", x => x.FlavorId, "Flavors", "Id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_FlavorProviders_ProviderAccounts_ProviderAccountId", x => x.ProviderAccountId, "ProviderAccounts", "Id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_FlavorProviders_ProviderAccountId", "FlavorProviders", "ProviderAccountId");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("FlavorProviders");
        migrationBuilder.DropTable("Flavors");
        migrationBuilder.DropTable("ProviderAccounts");
    }
}
