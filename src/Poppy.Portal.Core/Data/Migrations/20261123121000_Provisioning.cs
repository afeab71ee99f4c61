using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>One provisioning operation per provider per change, and the warnings each provider gave a service.</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261123121000_Provisioning")]
public sealed class Provisioning : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var timestamp = migrationBuilder.TimestampType();
        migrationBuilder.CreateTable(
            name: "ProvisioningOperations",
            columns: table => new
            {
                Id = table.Column<long>(nullable: false).Identity(),
                ServiceId = table.Column<Guid>(nullable: false),
                ProjectId = table.Column<Guid>(nullable: false),
                ServiceName = table.Column<string>(maxLength: 256, nullable: false),
                ProviderAccountId = table.Column<Guid>(nullable: false),
                ProviderName = table.Column<string>(maxLength: 64, nullable: false),
                Kind = table.Column<string>(maxLength: 16, nullable: false),
                PurgeId = table.Column<long>(nullable: true),
                State = table.Column<string>(maxLength: 16, nullable: false),
                Step = table.Column<string>(maxLength: 16, nullable: false),
                Attempts = table.Column<int>(nullable: false),
                CreatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                StartedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: true),
                UpdatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                FinishedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: true),
                NextAttemptAt = table.Column<DateTimeOffset>(type: timestamp, nullable: true),
                LastError = table.Column<string>(maxLength: 4000, nullable: true),
                ProviderServiceId = table.Column<string>(maxLength: 256, nullable: true),
                Warnings = table.Column<string>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ProvisioningOperations", x => x.Id);
                table.ForeignKey("FK_ProvisioningOperations_Services_ServiceId", x => x.ServiceId, "Services", "Id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_ProvisioningOperations_ServicePurges_PurgeId", x => x.PurgeId, "ServicePurges", "Id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_ProvisioningOperations_PurgeId", "ProvisioningOperations", "PurgeId");
        migrationBuilder.CreateIndex("IX_ProvisioningOperations_ServiceId_Id", "ProvisioningOperations", ["ServiceId", "Id"]);
        migrationBuilder.CreateIndex("IX_ProvisioningOperations_State_Id", "ProvisioningOperations", ["State", "Id"]);

        migrationBuilder.AddColumn<string>("Warnings", "ServiceProviderStates", nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("Warnings", "ServiceProviderStates");
        migrationBuilder.DropTable("ProvisioningOperations");
    }
}
