using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Poppy.Portal.Core.Features.Providers;

/// <summary>The CDN vendors the portal can drive.</summary>
public enum ProviderKind
{
    Akamai,
    Fastly,
    CloudFront,
    MaxCdn,
    CacheTier,
}

/// <summary>
/// An account at one CDN vendor: where its API is and the credentials to call it. Flavors list the accounts a service is
/// provisioned to. Credentials are stored encrypted with Data Protection and only ever shown masked.
/// </summary>
public sealed class ProviderAccount
{
    public Guid Id { get; set; }

    /// <summary>Unique lowercase name; this is the "provider" of a Poppy flavor, e.g. "fastly" or "akamai-eu".</summary>
    public string Name { get; set; } = "";

    public ProviderKind Kind { get; set; }

    /// <summary>Base URL of the vendor API (the simulator's in Development and tests).</summary>
    public string ApiEndpoint { get; set; } = "";

    /// <summary>The credential fields (e.g. Fastly key, AWS access key and secret) as JSON, protected with Data Protection.</summary>
    public string ProtectedCredentials { get; set; } = "";

    /// <summary>A masked form safe to display, e.g. "key ••••3f9a".</summary>
    public string CredentialsHint { get; set; } = "";

    public bool IsEnabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class ProviderAccountConfiguration : IEntityTypeConfiguration<ProviderAccount>
{
    public void Configure(EntityTypeBuilder<ProviderAccount> account)
    {
        account.ToTable("ProviderAccounts");
        account.Property(a => a.Name).HasMaxLength(64);
        account.Property(a => a.Kind).HasConversion<string>().HasMaxLength(32);
        account.Property(a => a.ApiEndpoint).HasMaxLength(2048);
        account.Property(a => a.CredentialsHint).HasMaxLength(200);
        account.HasIndex(a => a.Name).IsUnique();
    }
}
