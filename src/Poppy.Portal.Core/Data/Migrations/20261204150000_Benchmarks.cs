using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>Edge probes: raw samples, per-minute and per-hour rollups with their watermarks, and per-service probe settings.</summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261204150000_Benchmarks")]
public sealed class Benchmarks : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var timestamp = migrationBuilder.TimestampType();
        migrationBuilder.CreateTable(
            name: "ProbeSamples",
            columns: table => new
            {
                Id = table.Column<long>(nullable: false).Identity(),
                ServiceId = table.Column<Guid>(nullable: false),
                ProviderAccountId = table.Column<Guid>(nullable: false),
                ProviderName = table.Column<string>(maxLength: 64, nullable: false),
                At = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                Outcome = table.Column<string>(maxLength: 16, nullable: false),
                DnsMs = table.Column<double>(nullable: true),
                ConnectMs = table.Column<double>(nullable: true),
                TlsMs = table.Column<double>(nullable: true),
                FirstByteMs = table.Column<double>(nullable: true),
                TotalMs = table.Column<double>(nullable: true),
                Status = table.Column<int>(nullable: true),
                Bytes = table.Column<long>(nullable: true),
                CacheStatus = table.Column<string>(maxLength: 8, nullable: true),
                Error = table.Column<string>(maxLength: 1000, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_ProbeSamples", x => x.Id);
                table.ForeignKey("FK_ProbeSamples_Services_ServiceId", x => x.ServiceId, "Services", "Id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_ProbeSamples_ServiceId_ProviderAccountId_At", "ProbeSamples", ["ServiceId", "ProviderAccountId", "At"]);
        migrationBuilder.CreateIndex("IX_ProbeSamples_At", "ProbeSamples", "At");

        migrationBuilder.CreateTable(
            name: "BenchmarkSettings",
            columns: table => new
            {
                ServiceId = table.Column<Guid>(nullable: false),
                IntervalSeconds = table.Column<int>(nullable: false),
                ProbePath = table.Column<string>(maxLength: 1024, nullable: false),
                Enabled = table.Column<bool>(nullable: false),
                UpdatedAt = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_BenchmarkSettings", x => x.ServiceId);
                table.ForeignKey("FK_BenchmarkSettings_Services_ServiceId", x => x.ServiceId, "Services", "Id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "BenchmarkRollups",
            columns: table => new
            {
                Id = table.Column<long>(nullable: false).Identity(),
                ServiceId = table.Column<Guid>(nullable: false),
                ProviderAccountId = table.Column<Guid>(nullable: false),
                ProviderName = table.Column<string>(maxLength: 64, nullable: false),
                Resolution = table.Column<string>(maxLength: 8, nullable: false),
                BucketStart = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                Count = table.Column<int>(nullable: false),
                Errors = table.Column<int>(nullable: false),
                Skipped = table.Column<int>(nullable: false),
                CacheHits = table.Column<int>(nullable: false),
                P50Ms = table.Column<double>(nullable: true),
                P95Ms = table.Column<double>(nullable: true),
                P99Ms = table.Column<double>(nullable: true),
                MeanMs = table.Column<double>(nullable: true),
                Histogram = table.Column<byte[]>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_BenchmarkRollups", x => x.Id);
                table.ForeignKey("FK_BenchmarkRollups_Services_ServiceId", x => x.ServiceId, "Services", "Id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_BenchmarkRollups_Service_Bucket", "BenchmarkRollups",
            ["ServiceId", "Resolution", "BucketStart", "ProviderAccountId"], unique: true);
        migrationBuilder.CreateIndex("IX_BenchmarkRollups_Resolution_BucketStart", "BenchmarkRollups", ["Resolution", "BucketStart"]);

        migrationBuilder.CreateTable(
            name: "BenchmarkRollupWatermarks",
            columns: table => new
            {
                Resolution = table.Column<string>(maxLength: 8, nullable: false),
                RolledUntil = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_BenchmarkRollupWatermarks", x => x.Resolution));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("BenchmarkRollupWatermarks");
        migrationBuilder.DropTable("BenchmarkRollups");
        migrationBuilder.DropTable("BenchmarkSettings");
        migrationBuilder.DropTable("ProbeSamples");
    }
}
