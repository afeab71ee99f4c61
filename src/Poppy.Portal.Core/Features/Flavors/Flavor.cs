using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Poppy.Portal.Core.Features.Providers;

namespace Poppy.Portal.Core.Features.Flavors;

/// <summary>
/// A named set of provider accounts (Poppy's flavor): a service of this flavor is provisioned to every one of them.
/// Global, managed by admins; the id is what services name as <c>flavor_id</c>.
/// A deleted flavor is kept (<see cref="DeletedAt"/>, hidden from every query by a filter) because archived services
/// still name it; its providers are removed with it, so their accounts can be deleted. A new flavor of the same id
/// takes the row over.
/// </summary>
public sealed class Flavor
{
    /// <summary>Poppy's flavor id, 3–64 characters, e.g. "cdn" or "premium".</summary>
    public string Id { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When an administrator deleted the flavor; null while it can be used.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>What happens to a service with settings one of the flavor's vendors cannot express.</summary>
    public UnsupportedSettingsPolicy UnsupportedSettings { get; set; }

    /// <summary>In the order given at creation.</summary>
    public List<FlavorProvider> Providers { get; set; } = [];
}

/// <summary>One provider of a flavor: the account plus Poppy's informational <c>provider_url</c> link.</summary>
public sealed class FlavorProvider
{
    public string FlavorId { get; set; } = "";

    public int Position { get; set; }

    public Guid ProviderAccountId { get; set; }
    public ProviderAccount ProviderAccount { get; set; } = null!;

    /// <summary>The <c>href</c> of Poppy's <c>rel: provider_url</c> link, e.g. "www.fastly.com".</summary>
    public string ProviderUrl { get; set; } = "";
}

/// <summary>
/// What a flavor does with a service whose settings one of its vendors cannot express (CloudFront without a certificate
/// for the domains, MaxCDN with a second origin): accept it and report the warnings (the default), or refuse it.
/// </summary>
public enum UnsupportedSettingsPolicy { Warn, Refuse }

public static class UnsupportedSettingsPolicies
{
    public static string WireName(this UnsupportedSettingsPolicy policy) => policy == UnsupportedSettingsPolicy.Refuse ? "refuse" : "warn";

    public static UnsupportedSettingsPolicy? Parse(string? name) => name switch
    {
        "warn" => UnsupportedSettingsPolicy.Warn,
        "refuse" => UnsupportedSettingsPolicy.Refuse,
        _ => null,
    };
}

internal sealed class FlavorConfiguration : IEntityTypeConfiguration<Flavor>
{
    public void Configure(EntityTypeBuilder<Flavor> flavor)
    {
        flavor.ToTable("Flavors");
        flavor.Property(f => f.Id).HasMaxLength(64);
        flavor.Property(f => f.UnsupportedSettings).HasMaxLength(16)
            .HasConversion(p => p.WireName(), name => UnsupportedSettingsPolicies.Parse(name) ?? UnsupportedSettingsPolicy.Warn)
            .HasDefaultValue(UnsupportedSettingsPolicy.Warn);
        // Deleted flavors stay for the archived services that name them, out of sight of everything else.
        flavor.HasQueryFilter(f => f.DeletedAt == null);
        flavor.HasMany(f => f.Providers).WithOne().HasForeignKey(p => p.FlavorId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class FlavorProviderConfiguration : IEntityTypeConfiguration<FlavorProvider>
{
    public void Configure(EntityTypeBuilder<FlavorProvider> provider)
    {
        provider.ToTable("FlavorProviders");
        provider.HasKey(p => new { p.FlavorId, p.Position });
        provider.Property(p => p.FlavorId).HasMaxLength(64);
        provider.Property(p => p.ProviderUrl).HasMaxLength(2048);
        // An account still used by a flavor cannot be deleted.
        provider.HasOne(p => p.ProviderAccount).WithMany().HasForeignKey(p => p.ProviderAccountId).OnDelete(DeleteBehavior.Restrict);
        provider.HasIndex(p => p.ProviderAccountId);
    }
}
