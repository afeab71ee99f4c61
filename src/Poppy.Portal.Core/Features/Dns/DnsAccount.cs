using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Poppy.Portal.Core.Drivers;

namespace Poppy.Portal.Core.Features.Dns;

/// <summary>
/// An account at one DNS vendor and the operator's zone in it: where the steering CNAMEs of service domains live
/// (<see cref="DnsRecordNames"/>). Credentials are stored encrypted with Data Protection under their own purpose and
/// only ever shown as a masked hint, as provider accounts' are.
/// </summary>
public sealed class DnsAccount
{
    public Guid Id { get; set; }

    /// <summary>Unique lowercase name, e.g. "pdns-local" or "route53-prod".</summary>
    public string Name { get; set; } = "";

    public DnsProviderKind Kind { get; set; }

    /// <summary>Base URL of the vendor API (see each driver for what it includes).</summary>
    public string ApiEndpoint { get; set; } = "";

    /// <summary>The operator's zone at the vendor, lower case without a trailing dot, e.g. <c>cdn.operator.test</c>.</summary>
    public string Zone { get; set; } = "";

    /// <summary>TTL of the CNAMEs made in this account; short so a switch is seen soon.</summary>
    public int TtlSeconds { get; set; } = DnsRecordNames.DefaultTtlSeconds;

    /// <summary>The credential fields as JSON, protected with Data Protection (<see cref="DnsAccountDirectory.CredentialsPurpose"/>).</summary>
    public string ProtectedCredentials { get; set; } = "";

    /// <summary>A masked form safe to display, e.g. "api_key ••••3f9a".</summary>
    public string CredentialsHint { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The API endpoint as a base URI ending in '/', so drivers can add relative paths.</summary>
    public Uri ApiBaseUri() => new(ApiEndpoint.EndsWith('/') ? ApiEndpoint : ApiEndpoint + "/");
}

internal sealed class DnsAccountConfiguration : IEntityTypeConfiguration<DnsAccount>
{
    public void Configure(EntityTypeBuilder<DnsAccount> account)
    {
        account.ToTable("DnsAccounts");
        account.Property(a => a.Name).HasMaxLength(64);
        account.Property(a => a.Kind).HasConversion<string>().HasMaxLength(32);
        account.Property(a => a.ApiEndpoint).HasMaxLength(2048);
        account.Property(a => a.Zone).HasMaxLength(253);
        account.Property(a => a.CredentialsHint).HasMaxLength(200);
        account.HasIndex(a => a.Name).IsUnique();
    }
}
