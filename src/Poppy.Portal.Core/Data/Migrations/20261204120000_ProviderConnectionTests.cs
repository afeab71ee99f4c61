using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>The last Test connection of each provider account: when, how it ended, and what was found.</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261204120000_ProviderConnectionTests")]
public sealed class ProviderConnectionTests : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<DateTimeOffset>("LastConnectionTestAt", "ProviderAccounts", type: migrationBuilder.TimestampType(), nullable: true);
        migrationBuilder.AddColumn<string>("LastConnectionTestOutcome", "ProviderAccounts", maxLength: 32, nullable: true);
        migrationBuilder.AddColumn<string>("LastConnectionTestMessage", "ProviderAccounts", maxLength: 1000, nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("LastConnectionTestMessage", "ProviderAccounts");
        migrationBuilder.DropColumn("LastConnectionTestOutcome", "ProviderAccounts");
        migrationBuilder.DropColumn("LastConnectionTestAt", "ProviderAccounts");
    }
}
