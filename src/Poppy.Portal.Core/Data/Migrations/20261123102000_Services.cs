using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>CDN services, their domains and provider states, purge requests and per-project service limits.</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261123102000_Services")]
public sealed class Services : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var timestamp = migrationBuilder.TimestampType();
        migrationBuilder.CreateTable(
            name: "Services",
            columns: table => new
            {
                Sequence = table.Column<long>(nullable: false).Identity(),
                Id = table.Column<Guid>(nullable: false),
                ProjectId = table.Column<Guid>(nullable: false),
                Name = table.Column<string>(maxLength: 256, nullable: false),
                FlavorId = table.Column<string>(maxLength: 64, nullable: false),
                Status = table.Column<string>(maxLength: 32, nullable: false),
                Document = table.Column<string>(nullable: false),
                CreatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                UpdatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                ArchivedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: true),
                Version = table.Column<int>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_Services", x => x.Sequence);
                table.UniqueConstraint("AK_Services_Id", x => x.Id);
                table.ForeignKey("FK_Services_Projects_ProjectId", x => x.ProjectId, "Projects", "Id", onDelete: ReferentialAction.Restrict);
                table.ForeignKey("FK_Services_Flavors_FlavorId", x => x.FlavorId, "Flavors", "Id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("IX_Services_ProjectId_ArchivedAt_Sequence", "Services", ["ProjectId", "ArchivedAt", "Sequence"]);
        migrationBuilder.CreateIndex("IX_Services_FlavorId", "Services", "FlavorId");

        migrationBuilder.CreateTable(
            name: "ServiceDomains",
            columns: table => new
            {
                Domain = table.Column<string>(maxLength: 253, nullable: false),
                ServiceId = table.Column<Guid>(nullable: false),
                Protocol = table.Column<string>(maxLength: 8, nullable: false),
                Certificate = table.Column<string>(maxLength: 8, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ServiceDomains", x => x.Domain);
                table.ForeignKey("FK_ServiceDomains_Services_ServiceId", x => x.ServiceId, "Services", "Id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_ServiceDomains_ServiceId", "ServiceDomains", "ServiceId");

        migrationBuilder.CreateTable(
            name: "ServiceProviderStates",
            columns: table => new
            {
                ServiceId = table.Column<Guid>(nullable: false),
                ProviderAccountId = table.Column<Guid>(nullable: false),
                ProviderName = table.Column<string>(maxLength: 64, nullable: false),
                Status = table.Column<string>(maxLength: 32, nullable: false),
                ProviderServiceId = table.Column<string>(maxLength: 256, nullable: true),
                AccessUrls = table.Column<string>(nullable: true),
                ErrorMessage = table.Column<string>(maxLength: 4000, nullable: true),
                UpdatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ServiceProviderStates", x => new { x.ServiceId, x.ProviderAccountId });
                table.ForeignKey("FK_ServiceProviderStates_Services_ServiceId", x => x.ServiceId, "Services", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "ServicePurges",
            columns: table => new
            {
                Id = table.Column<long>(nullable: false).Identity(),
                ServiceId = table.Column<Guid>(nullable: false),
                Url = table.Column<string>(maxLength: 1024, nullable: true),
                Hard = table.Column<bool>(nullable: false),
                RequestedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                CompletedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ServicePurges", x => x.Id);
                table.ForeignKey("FK_ServicePurges_Services_ServiceId", x => x.ServiceId, "Services", "Id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_ServicePurges_ServiceId_CompletedAt", "ServicePurges", ["ServiceId", "CompletedAt"]);

        migrationBuilder.CreateTable(
            name: "ProjectServiceLimits",
            columns: table => new
            {
                ProjectId = table.Column<Guid>(nullable: false),
                MaxServices = table.Column<int>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ProjectServiceLimits", x => x.ProjectId);
                table.ForeignKey("FK_ProjectServiceLimits_Projects_ProjectId", x => x.ProjectId, "Projects", "Id", onDelete: ReferentialAction.Cascade);
            });
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("ProjectServiceLimits");
        migrationBuilder.DropTable("ServicePurges");
        migrationBuilder.DropTable("ServiceProviderStates");
        migrationBuilder.DropTable("ServiceDomains");
        migrationBuilder.DropTable("Services");
    }
}
