using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>How a probe ended.</summary>
public enum ProbeOutcome
{
    /// <summary>The edge served the probe object: a 2xx or 3xx answer.</summary>
    Ok,

    /// <summary>No answer, a timeout, or a 4xx/5xx (the edge does not serve the domain's probe object): the vendor's failure.</summary>
    Error,

    /// <summary>Not probed, and not the vendor's failure: its account's circuit was open (the portal's own view).</summary>
    Skipped,
}

/// <summary>One probe of one provider's edge for one service. Times are milliseconds from the probe's start.</summary>
public sealed class ProbeSample
{
    public long Id { get; set; }
    public Guid ServiceId { get; set; }
    public Guid ProviderAccountId { get; set; }
    public string ProviderName { get; set; } = "";

    /// <summary>When the probe started.</summary>
    public DateTimeOffset At { get; set; }

    public ProbeOutcome Outcome { get; set; }

    /// <summary>Name resolution; null when the edge was an address or a connect-to rule named one.</summary>
    public double? DnsMs { get; set; }
    public double? ConnectMs { get; set; }

    /// <summary>The TLS handshake; null over plain HTTP.</summary>
    public double? TlsMs { get; set; }

    /// <summary>Until the response headers arrived.</summary>
    public double? FirstByteMs { get; set; }

    /// <summary>Until the last byte of the body; for an error, until it was given up.</summary>
    public double? TotalMs { get; set; }

    public int? Status { get; set; }
    public long? Bytes { get; set; }

    /// <summary>"hit", "miss" or null when the edge said neither (from <c>X-Cache</c>, else a positive <c>Age</c>).</summary>
    public string? CacheStatus { get; set; }

    public string? Error { get; set; }
}

/// <summary>A service's own probe settings; a service without a row uses <see cref="BenchmarkOptions"/>' defaults.</summary>
public sealed class BenchmarkSettings
{
    public Guid ServiceId { get; set; }
    public int IntervalSeconds { get; set; }
    public string ProbePath { get; set; } = "/";
    public bool Enabled { get; set; } = true;
    public DateTimeOffset UpdatedAt { get; set; }
}

public enum RollupResolution { Minute, Hour }

/// <summary>
/// One provider's samples in one minute or hour: counts, percentiles, and the HdrHistogram of the successful probes'
/// total times (microseconds), so any window's percentiles are computed by adding histograms. A service's
/// (<see cref="BenchmarkRollup"/>) and a project's (<see cref="BenchmarkProjectRollup"/>) have these in common.
/// </summary>
public abstract class RollupBucket
{
    public long Id { get; set; }
    public Guid ProviderAccountId { get; set; }
    public string ProviderName { get; set; } = "";
    public RollupResolution Resolution { get; set; }
    public DateTimeOffset BucketStart { get; set; }

    /// <summary>Probes that reached a verdict (skipped ones are not counted).</summary>
    public int Count { get; set; }
    public int Errors { get; set; }
    public int Skipped { get; set; }
    public int CacheHits { get; set; }
    public double? P50Ms { get; set; }
    public double? P95Ms { get; set; }
    public double? P99Ms { get; set; }
    public double? MeanMs { get; set; }
    public byte[] Histogram { get; set; } = [];
}

/// <summary>The samples of one service and provider in one minute or hour.</summary>
public sealed class BenchmarkRollup : RollupBucket
{
    public Guid ServiceId { get; set; }
}

/// <summary>
/// The samples of one project's services for one provider account in one minute or hour: the sum of that bucket's
/// <see cref="BenchmarkRollup"/>s (its histogram is their histograms added), written with them in one transaction and
/// removed by the same retention, so the project board reads one row per provider and bucket instead of one per service.
/// Services archived later stay in the buckets they were probed in.
/// </summary>
public sealed class BenchmarkProjectRollup : RollupBucket
{
    public Guid ProjectId { get; set; }

    /// <summary>Services with a rollup in this bucket.</summary>
    public int Services { get; set; }
}

/// <summary>Up to where (exclusive) rollups of a resolution are complete; the rollup job continues from here.</summary>
public sealed class BenchmarkRollupWatermark
{
    public RollupResolution Resolution { get; set; }
    public DateTimeOffset RolledUntil { get; set; }
}

internal sealed class ProbeSampleConfiguration : IEntityTypeConfiguration<ProbeSample>
{
    public void Configure(EntityTypeBuilder<ProbeSample> sample)
    {
        sample.ToTable("ProbeSamples");
        sample.Property(s => s.ProviderName).HasMaxLength(64);
        sample.Property(s => s.Outcome).HasConversion<string>().HasMaxLength(16);
        sample.Property(s => s.CacheStatus).HasMaxLength(8);
        sample.Property(s => s.Error).HasMaxLength(1000);
        sample.HasOne<CdnService>().WithMany().HasForeignKey(s => s.ServiceId).HasPrincipalKey(s => s.Id).OnDelete(DeleteBehavior.Cascade);
        sample.HasIndex(s => new { s.ServiceId, s.ProviderAccountId, s.At });
        // Rollups and retention read by time alone.
        sample.HasIndex(s => s.At);
    }
}

internal sealed class BenchmarkSettingsConfiguration : IEntityTypeConfiguration<BenchmarkSettings>
{
    public void Configure(EntityTypeBuilder<BenchmarkSettings> settings)
    {
        settings.ToTable("BenchmarkSettings");
        settings.HasKey(s => s.ServiceId);
        settings.Property(s => s.ProbePath).HasMaxLength(1024);
        settings.HasOne<CdnService>().WithOne().HasForeignKey<BenchmarkSettings>(s => s.ServiceId).HasPrincipalKey<CdnService>(s => s.Id)
            .OnDelete(DeleteBehavior.Cascade);
    }
}

internal static class RollupBuckets
{
    public static void Configure<TBucket>(EntityTypeBuilder<TBucket> bucket) where TBucket : RollupBucket
    {
        bucket.Property(r => r.ProviderName).HasMaxLength(64);
        bucket.Property(r => r.Resolution).HasConversion<string>().HasMaxLength(8);
    }
}

internal sealed class BenchmarkRollupConfiguration : IEntityTypeConfiguration<BenchmarkRollup>
{
    public void Configure(EntityTypeBuilder<BenchmarkRollup> rollup)
    {
        rollup.ToTable("BenchmarkRollups");
        RollupBuckets.Configure(rollup);
        rollup.HasOne<CdnService>().WithMany().HasForeignKey(r => r.ServiceId).HasPrincipalKey(s => s.Id).OnDelete(DeleteBehavior.Cascade);
        rollup.HasIndex(r => new { r.ServiceId, r.Resolution, r.BucketStart, r.ProviderAccountId }, "IX_BenchmarkRollups_Service_Bucket").IsUnique();
        rollup.HasIndex(r => new { r.Resolution, r.BucketStart });
    }
}

internal sealed class BenchmarkProjectRollupConfiguration : IEntityTypeConfiguration<BenchmarkProjectRollup>
{
    public void Configure(EntityTypeBuilder<BenchmarkProjectRollup> rollup)
    {
        rollup.ToTable("BenchmarkProjectRollups");
        RollupBuckets.Configure(rollup);
        rollup.HasOne<Project>().WithMany().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.Cascade);
        rollup.HasIndex(r => new { r.ProjectId, r.Resolution, r.BucketStart, r.ProviderAccountId }, "IX_BenchmarkProjectRollups_Project_Bucket").IsUnique();
        rollup.HasIndex(r => new { r.Resolution, r.BucketStart });
    }
}

internal sealed class BenchmarkRollupWatermarkConfiguration : IEntityTypeConfiguration<BenchmarkRollupWatermark>
{
    public void Configure(EntityTypeBuilder<BenchmarkRollupWatermark> watermark)
    {
        watermark.ToTable("BenchmarkRollupWatermarks");
        watermark.HasKey(w => w.Resolution);
        watermark.Property(w => w.Resolution).HasConversion<string>().HasMaxLength(8);
    }
}
