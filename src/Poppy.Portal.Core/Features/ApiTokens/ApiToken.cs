using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Core.Features.ApiTokens;

/// <summary>
/// A personal API token: it acts as its owner, with the owner's role, optionally in one project only.
/// The token itself is shown once when created; only its hash and a short prefix (to recognise it) are stored.
/// </summary>
public sealed class ApiToken
{
    public const int NameMaxLength = 100;

    public Guid Id { get; set; }

    public string UserId { get; set; } = "";
    public PortalUser User { get; set; } = null!;

    /// <summary>What the owner calls it, e.g. "ci deploy".</summary>
    public string Name { get; set; } = "";

    /// <summary>When set, the token acts only in this project (its owner must still be a member).</summary>
    public Guid? ProjectId { get; set; }
    public Project? Project { get; set; }

    /// <summary>The first characters after <c>ppy_</c>, shown in lists so the owner can tell tokens apart.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>SHA-256 of the whole token, lower-case hex (see <see cref="ApiTokenSecret"/>).</summary>
    public string Hash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Null: never expires.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Updated at most once a minute (<see cref="ApiTokenService.LastUsedResolution"/>).</summary>
    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> token)
    {
        token.ToTable("ApiTokens");
        token.Property(t => t.Name).HasMaxLength(ApiToken.NameMaxLength);
        token.Property(t => t.Prefix).HasMaxLength(16);
        token.Property(t => t.Hash).HasMaxLength(64);
        // Every API request looks its token up by hash.
        token.HasIndex(t => t.Hash).IsUnique();
        token.HasOne(t => t.User).WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        token.HasOne(t => t.Project).WithMany().HasForeignKey(t => t.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}
