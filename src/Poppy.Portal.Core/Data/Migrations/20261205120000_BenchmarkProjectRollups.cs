using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>
/// Per-project rollups for the benchmarks board: one row per project, provider, resolution and bucket. The table starts
/// empty: histograms cannot be added up in SQL, so <c>RollupBuilder</c> folds the existing per-service rollups into it
/// on its first runs after the upgrade (newest buckets first, one chunk a transaction).
/// </summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261205120000_BenchmarkProjectRollups")]
public sealed class BenchmarkProjectRollups : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var timestamp = migrationBuilder.TimestampType();
        migrationBuilder.CreateTable(
            name: "BenchmarkProjectRollups",
            columns: table => new
            {
                Id = table.Column<long>(nullable: false).Identity(),
                ProjectId = table.Column<Guid>(nullable: false),
                ProviderAccountId = table.Column<Guid>(nullable: false),
                ProviderName = table.Column<string>(maxLength: 64, nullable: false),
                Resolution = table.Column<string>(maxLength: 8, nullable: false),
                BucketStart = table.Column<DateTimeOffset>(type: timestamp, nullable: false),
                Services = table.Column<int>(nullable: false),
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
                table.PrimaryKey("PK_BenchmarkProjectRollups", x => x.Id);
                table.ForeignKey("FK_BenchmarkProjectRollups_Projects_ProjectId", x => x.ProjectId, "Projects", "Id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_BenchmarkProjectRollups_Project_Bucket", "BenchmarkProjectRollups",
            ["ProjectId", "Resolution", "BucketStart", "ProviderAccountId"], unique: true);
        migrationBuilder.CreateIndex("IX_BenchmarkProjectRollups_Resolution_BucketStart", "BenchmarkProjectRollups", ["Resolution", "BucketStart"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable("BenchmarkProjectRollups");
}
