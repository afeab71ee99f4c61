using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>
/// Weighted steering: the operator's weights per provider, the weighted set each steering record holds at its DNS vendor,
/// the set a dry run last recorded, and the weights before and after each event.
/// </summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261205130000_WeightedSteering")]
public sealed class WeightedSteering : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<string>(name: "Weights", table: "ServiceSteering", nullable: true);
        migrationBuilder.AddColumn<string>(name: "DryRunWeights", table: "ServiceSteering", nullable: true);
        migrationBuilder.AddColumn<string>(name: "Weights", table: "ServiceDnsRecords", nullable: true);
        migrationBuilder.AddColumn<string>(name: "FromWeights", table: "SteeringEvents", maxLength: 1000, nullable: true);
        migrationBuilder.AddColumn<string>(name: "ToWeights", table: "SteeringEvents", maxLength: 1000, nullable: true);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn(name: "Weights", table: "ServiceSteering");
        migrationBuilder.DropColumn(name: "DryRunWeights", table: "ServiceSteering");
        migrationBuilder.DropColumn(name: "Weights", table: "ServiceDnsRecords");
        migrationBuilder.DropColumn(name: "FromWeights", table: "SteeringEvents");
        migrationBuilder.DropColumn(name: "ToWeights", table: "SteeringEvents");
    }
}
