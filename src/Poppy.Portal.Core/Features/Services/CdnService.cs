using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Projects;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// A CDN service of one project: its desired configuration (<see cref="Document"/>, a <see cref="ServiceSpec"/> as JSON),
/// its domains (indexed, so a domain belongs to one service in the whole portal) and one state per provider of its
/// flavor, from which <see cref="Status"/> is derived.
/// </summary>
public sealed class CdnService
{
    /// <summary>Insertion order, the stable order of listings and paging markers (Poppy paged in random UUID order).</summary>
    public long Sequence { get; set; }

    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }
    public Project Project { get; set; } = null!;

    public string Name { get; set; } = "";

    public string FlavorId { get; set; } = "";

    public ServiceStatus Status { get; set; }

    /// <summary>The desired configuration as <see cref="ServiceSpec"/> JSON.</summary>
    public string Document { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Set when the service was deleted from every provider; archived rows keep history but free their domains.</summary>
    public DateTimeOffset? ArchivedAt { get; set; }

    /// <summary>Optimistic concurrency: two changes of one service cannot both win (Poppy lost updates this way).</summary>
    public int Version { get; set; }

    public List<ServiceDomain> Domains { get; set; } = [];

    public List<ServiceProviderState> Providers { get; set; } = [];

    public ServiceSpec ReadSpec() => ServiceSpec.FromJson(Document);
}

/// <summary>A domain in use; its primary key makes a domain unique across all projects even under concurrent creates.</summary>
public sealed class ServiceDomain
{
    public string Domain { get; set; } = "";
    public Guid ServiceId { get; set; }
    public DomainProtocol Protocol { get; set; }
    public CertificateType? Certificate { get; set; }
}

/// <summary>Where one provider of the flavor stands with this service (Poppy's provider_details).</summary>
public sealed class ServiceProviderState
{
    public Guid ServiceId { get; set; }

    public Guid ProviderAccountId { get; set; }

    /// <summary>The account name when the state was created, for display after an account is renamed or removed.</summary>
    public string ProviderName { get; set; } = "";

    public ProviderStatus Status { get; set; }

    /// <summary>The vendor's id for the service (Fastly service id, CloudFront distribution id, ...).</summary>
    public string? ProviderServiceId { get; set; }

    /// <summary>JSON list of <see cref="AccessUrl"/>.</summary>
    public string? AccessUrls { get; set; }

    public string? ErrorMessage { get; set; }

    /// <summary>JSON list of settings this provider cannot express, from its last deployment.</summary>
    public string? Warnings { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>The CNAME target a provider gave a domain, and the name the portal's DNS points at it.</summary>
public sealed record AccessUrl(string Domain, string ProviderUrl, string? OperatorUrl);

/// <summary>A project's maximum number of services (Poppy's admin limits); projects without a row get the default.</summary>
public sealed class ProjectServiceLimit
{
    public Guid ProjectId { get; set; }
    public int MaxServices { get; set; }
}

/// <summary>A purge asked for by a user, kept until every provider has carried it out.</summary>
public sealed class ServicePurge
{
    public long Id { get; set; }
    public Guid ServiceId { get; set; }

    /// <summary>The path to purge, or null for everything.</summary>
    public string? Url { get; set; }

    /// <summary>Hard removes the objects; soft marks them stale so the edge revalidates.</summary>
    public bool Hard { get; set; }

    public DateTimeOffset RequestedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

internal sealed class CdnServiceConfiguration : IEntityTypeConfiguration<CdnService>
{
    public void Configure(EntityTypeBuilder<CdnService> service)
    {
        service.ToTable("Services");
        service.HasKey(s => s.Sequence);
        service.HasAlternateKey(s => s.Id);
        service.Property(s => s.Name).HasMaxLength(256);
        service.Property(s => s.FlavorId).HasMaxLength(64);
        service.Property(s => s.Status).HasConversion(ServiceStatuses.Converter).HasMaxLength(32);
        service.Property(s => s.Version).IsConcurrencyToken();
        service.HasOne(s => s.Project).WithMany().HasForeignKey(s => s.ProjectId).OnDelete(DeleteBehavior.Restrict);
        // Every service names a flavor row: deleting a flavor only marks it deleted (archived services keep naming it),
        // and FlavorCatalog refuses while live services use it.
        service.HasOne<Flavor>().WithMany().HasForeignKey(s => s.FlavorId).OnDelete(DeleteBehavior.Restrict);
        service.HasMany(s => s.Domains).WithOne().HasForeignKey(d => d.ServiceId).HasPrincipalKey(s => s.Id).OnDelete(DeleteBehavior.Cascade);
        service.HasMany(s => s.Providers).WithOne().HasForeignKey(p => p.ServiceId).HasPrincipalKey(s => s.Id).OnDelete(DeleteBehavior.Cascade);
        service.HasIndex(s => new { s.ProjectId, s.ArchivedAt, s.Sequence });
        service.HasIndex(s => s.FlavorId);
    }
}

internal sealed class ServiceDomainConfiguration : IEntityTypeConfiguration<ServiceDomain>
{
    public void Configure(EntityTypeBuilder<ServiceDomain> domain)
    {
        domain.ToTable("ServiceDomains");
        domain.HasKey(d => d.Domain);
        domain.Property(d => d.Domain).HasMaxLength(253);
        domain.Property(d => d.Protocol).HasConversion<string>().HasMaxLength(8);
        domain.Property(d => d.Certificate).HasConversion<string>().HasMaxLength(8);
        domain.HasIndex(d => d.ServiceId);
    }
}

internal sealed class ServiceProviderStateConfiguration : IEntityTypeConfiguration<ServiceProviderState>
{
    public void Configure(EntityTypeBuilder<ServiceProviderState> state)
    {
        state.ToTable("ServiceProviderStates");
        state.HasKey(p => new { p.ServiceId, p.ProviderAccountId });
        state.Property(p => p.ProviderName).HasMaxLength(64);
        state.Property(p => p.Status).HasConversion(ProviderStatuses.Converter).HasMaxLength(32);
        state.Property(p => p.ProviderServiceId).HasMaxLength(256);
        state.Property(p => p.ErrorMessage).HasMaxLength(4000);
    }
}

internal sealed class ProjectServiceLimitConfiguration : IEntityTypeConfiguration<ProjectServiceLimit>
{
    public void Configure(EntityTypeBuilder<ProjectServiceLimit> limit)
    {
        limit.ToTable("ProjectServiceLimits");
        limit.HasKey(l => l.ProjectId);
        limit.HasOne<Project>().WithOne().HasForeignKey<ProjectServiceLimit>(l => l.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ServicePurgeConfiguration : IEntityTypeConfiguration<ServicePurge>
{
    public void Configure(EntityTypeBuilder<ServicePurge> purge)
    {
        purge.ToTable("ServicePurges");
        purge.Property(p => p.Url).HasMaxLength(1024);
        purge.HasOne<CdnService>().WithMany().HasForeignKey(p => p.ServiceId).HasPrincipalKey(s => s.Id).OnDelete(DeleteBehavior.Cascade);
        purge.HasIndex(p => new { p.ServiceId, p.CompletedAt });
    }
}
