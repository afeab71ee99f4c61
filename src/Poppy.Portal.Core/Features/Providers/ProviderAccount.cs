using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Poppy.Portal.Core.Drivers;

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

    /// <summary>When an administrator (or a save) last tested the connection; null when never, or since the account changed.</summary>
    public DateTimeOffset? LastConnectionTestAt { get; set; }

    public ConnectionTestOutcome? LastConnectionTestOutcome { get; set; }

    /// <summary>What the last test found, in the vendor's words where it gave any (never a credential).</summary>
    public string? LastConnectionTestMessage { get; set; }

    /// <summary>The API endpoint as a base URI ending in '/', so drivers can add relative paths.</summary>
    public Uri ApiBaseUri() => new(ApiEndpoint.EndsWith('/') ? ApiEndpoint : ApiEndpoint + "/");

    /// <summary>Records a test's outcome.</summary>
    public void RecordConnectionTest(DateTimeOffset at, ConnectionTestResult result)
    {
        LastConnectionTestAt = at;
        LastConnectionTestOutcome = result.Outcome;
        LastConnectionTestMessage = result.Message.Length <= MaxConnectionTestMessage ? result.Message : result.Message[..(MaxConnectionTestMessage - 3)] + "...";
    }

    /// <summary>Forgets the last test: it was about an endpoint or credentials that changed.</summary>
    public void ForgetConnectionTest()
    {
        LastConnectionTestAt = null;
        LastConnectionTestOutcome = null;
        LastConnectionTestMessage = null;
    }

    public const int MaxConnectionTestMessage = 1000;
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
        account.Property(a => a.LastConnectionTestOutcome).HasConversion<string>().HasMaxLength(32);
        account.Property(a => a.LastConnectionTestMessage).HasMaxLength(ProviderAccount.MaxConnectionTestMessage);
        account.HasIndex(a => a.Name).IsUnique();
    }
}
