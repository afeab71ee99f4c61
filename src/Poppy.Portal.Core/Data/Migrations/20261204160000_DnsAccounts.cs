using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>DNS accounts: the vendor account and operator zone that hold the steering CNAMEs of service domains.</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261204160000_DnsAccounts")]
public sealed class DnsAccounts : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var timestamp = migrationBuilder.TimestampType();
        migrationBuilder.CreateTable(
            name: "DnsAccounts",
            columns: table => new
            {
                Id = table.Column<Guid>(nullable: false),
                Name = table.Column<string>(maxLength: 64, nullable: false),
                Kind = table.Column<string>(maxLength: 32, nullable: false),
                ApiEndpoint = table.Column<string>(maxLength: 2048, nullable: false),
                Zone = table.Column<string>(maxLength: 253, nullable: false),
                TtlSeconds = table.Column<int>(nullable: false),
                ProtectedCredentials = table.Column<string>(nullable: false),
                CredentialsHint = table.Column<string>(maxLength: 200, nullable: false),
                CreatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                UpdatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_DnsAccounts", x => x.Id));
        migrationBuilder.CreateIndex("IX_DnsAccounts_Name", "DnsAccounts", "Name", unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("DnsAccounts");
}
