using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>
/// What the portal remembers per user rather than per browser: the project last worked in and the colour scheme. An
/// interactive page has no request to read a cookie from, so both live with the account.
/// </summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261205090000_UserPreferences")]
public sealed class UserPreferences : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<Guid>(name: "CurrentProjectId", table: "AspNetUsers", nullable: true);
        migrationBuilder.AddColumn<string>(name: "ColorScheme", table: "AspNetUsers", maxLength: 8, nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn(name: "CurrentProjectId", table: "AspNetUsers");
        migrationBuilder.DropColumn(name: "ColorScheme", table: "AspNetUsers");
    }
}
