using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>DNS steering: each service domain's CNAME, each service's steering policy and state, and the switch events.</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261205100000_Steering")]
public sealed class Steering : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var timestamp = migrationBuilder.TimestampType();
        migrationBuilder.CreateTable(
            name: "ServiceDnsRecords",
            columns: table => new
            {
                Id = table.Column<long>(nullable: false).Identity(),
                ServiceId = table.Column<Guid>(nullable: false),
                ProjectId = table.Column<Guid>(nullable: false),
                Domain = table.Column<string>(maxLength: 253, nullable: false),
                Name = table.Column<string>(maxLength: 253, nullable: false),
                DnsAccountId = table.Column<Guid>(nullable: false),
                DnsAccountName = table.Column<string>(maxLength: 64, nullable: false),
                Target = table.Column<string>(maxLength: 253, nullable: false),
                ProviderAccountId = table.Column<Guid>(nullable: false),
                ProviderName = table.Column<string>(maxLength: 64, nullable: false),
                TtlSeconds = table.Column<int>(nullable: false),
                State = table.Column<string>(maxLength: 16, nullable: false),
                Attempts = table.Column<int>(nullable: false),
                NextAttemptAt = table.Column<DateTimeOffset>(type: timestamp, nullable: true),
                LastError = table.Column<string>(maxLength: 4000, nullable: true),
                CreatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                UpdatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ServiceDnsRecords", x => x.Id);
                table.ForeignKey("FK_ServiceDnsRecords_Services_ServiceId", x => x.ServiceId, "Services", "Id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_ServiceDnsRecords_ServiceId_Domain", "ServiceDnsRecords", ["ServiceId", "Domain"], unique: true);
        migrationBuilder.CreateIndex("IX_ServiceDnsRecords_State_NextAttemptAt", "ServiceDnsRecords", ["State", "NextAttemptAt"]);

        migrationBuilder.CreateTable(
            name: "ServiceSteering",
            columns: table => new
            {
                ServiceId = table.Column<Guid>(nullable: false),
                ProjectId = table.Column<Guid>(nullable: false),
                Policy = table.Column<string>(maxLength: 16, nullable: false),
                Mode = table.Column<string>(maxLength: 16, nullable: false),
                ProviderOrder = table.Column<string>(nullable: true),
                PinnedProviderAccountId = table.Column<Guid>(nullable: true),
                Thresholds = table.Column<string>(nullable: true),
                ActiveProviderAccountId = table.Column<Guid>(nullable: true),
                LastRound = table.Column<long>(nullable: false),
                ChallengerAccountId = table.Column<Guid>(nullable: true),
                ChallengerRounds = table.Column<int>(nullable: false),
                DryRunTarget = table.Column<Guid>(nullable: true),
                AlertOpen = table.Column<bool>(nullable: false),
                Health = table.Column<string>(nullable: true),
                DecidedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: true),
                UpdatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ServiceSteering", x => x.ServiceId);
                table.ForeignKey("FK_ServiceSteering_Services_ServiceId", x => x.ServiceId, "Services", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "SteeringEvents",
            columns: table => new
            {
                Id = table.Column<long>(nullable: false).Identity(),
                ServiceId = table.Column<Guid>(nullable: false),
                ProjectId = table.Column<Guid>(nullable: false),
                At = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                Kind = table.Column<string>(maxLength: 16, nullable: false),
                Domains = table.Column<string>(maxLength: 4000, nullable: false),
                FromProviderAccountId = table.Column<Guid>(nullable: true),
                FromProvider = table.Column<string>(maxLength: 64, nullable: true),
                ToProviderAccountId = table.Column<Guid>(nullable: true),
                ToProvider = table.Column<string>(maxLength: 64, nullable: true),
                Policy = table.Column<string>(maxLength: 16, nullable: false),
                Reason = table.Column<string>(maxLength: 1000, nullable: false),
                Figures = table.Column<string>(nullable: false),
                Actor = table.Column<string>(maxLength: 256, nullable: false),
                Confirmation = table.Column<string>(maxLength: 600, nullable: false),
                Round = table.Column<long>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_SteeringEvents", x => x.Id);
                table.ForeignKey("FK_SteeringEvents_Services_ServiceId", x => x.ServiceId, "Services", "Id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_SteeringEvents_ServiceId_Id", "SteeringEvents", ["ServiceId", "Id"]);
        migrationBuilder.CreateIndex("IX_SteeringEvents_ServiceId_Round_Kind", "SteeringEvents", ["ServiceId", "Round", "Kind"], unique: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("SteeringEvents");
        migrationBuilder.DropTable("ServiceSteering");
        migrationBuilder.DropTable("ServiceDnsRecords");
    }
}
