using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>Personal API tokens (hashed), optionally restricted to one project.</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261123110000_ApiTokens")]
public sealed class ApiTokensMigration : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var timestamp = migrationBuilder.TimestampType();
        migrationBuilder.CreateTable(
            name: "ApiTokens",
            columns: table => new
            {
                Id = table.Column<Guid>(nullable: false),
                UserId = table.Column<string>(nullable: false),
                Name = table.Column<string>(maxLength: 100, nullable: false),
                ProjectId = table.Column<Guid>(nullable: true),
                Prefix = table.Column<string>(maxLength: 16, nullable: false),
                Hash = table.Column<string>(maxLength: 64, nullable: false),
                CreatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                ExpiresAt = table.Column<DateTimeOffset>(type: timestamp, nullable: true),
                LastUsedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: true),
                RevokedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ApiTokens", x => x.Id);
                table.ForeignKey("FK_ApiTokens_AspNetUsers_UserId", x => x.UserId, "AspNetUsers", "Id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_ApiTokens_Projects_ProjectId", x => x.ProjectId, "Projects", "Id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_ApiTokens_Hash", "ApiTokens", "Hash", unique: true);
        migrationBuilder.CreateIndex("IX_ApiTokens_UserId", "ApiTokens", "UserId");
        migrationBuilder.CreateIndex("IX_ApiTokens_ProjectId", "ApiTokens", "ProjectId");
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("ApiTokens");
}
