using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Core.Features.ApiTokens;

public enum ApiTokenStatus
{
    Active,
    Expired,
    Revoked,
}

public sealed record ApiTokenSummary(
    Guid Id, string Name, string Prefix, string? ProjectName, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, ApiTokenStatus Status)
{
    /// <summary><c>ppy_abcd1234…</c>: enough to recognise the token, useless to use it.</summary>
    public string DisplayPrefix => ApiTokenSecret.Display(Prefix);
}

/// <summary>A token with its owner, for administrators who look at everyone's tokens.</summary>
public sealed record OwnedApiToken(string OwnerEmail, ApiTokenSummary Token);

/// <summary>A token just created: <see cref="PlainText"/> exists only here and is never stored.</summary>
public sealed record CreatedApiToken(ApiTokenSummary Token, string PlainText);

/// <summary>Why a presented token was not accepted.</summary>
public enum ApiTokenRejection
{
    Unknown,
    Revoked,
    Expired,
    UserDisabled,
}

/// <summary>Outcome of <see cref="ApiTokenService.AuthenticateAsync"/>: the owner and the token, or why not.</summary>
public sealed record ApiTokenAuthenticationResult(PortalUser? User, ApiToken? Token, ApiTokenRejection? Rejection)
{
    public bool Succeeded => Rejection is null;

    public static ApiTokenAuthenticationResult Accepted(PortalUser user, ApiToken token) => new(user, token, null);

    public static ApiTokenAuthenticationResult Rejected(ApiTokenRejection why, ApiToken? token = null) => new(null, token, why);
}

/// <summary>Personal API tokens: created and revoked by their owners, checked on every API request.</summary>
public sealed class ApiTokenService(
    PortalDbContext db, UserManager<PortalUser> users, AccessPolicy access, AuditLog auditLog, TimeProvider clock)
{
    /// <summary>
    /// LastUsedAt is only as precise as this, so a busy token costs one database write a minute rather than one per request.
    /// </summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    private IQueryable<ApiToken> Tokens => db.Set<ApiToken>();

    public async Task<(CreatedApiToken? Created, Result Result)> CreateAsync(
        string userId, string name, string? projectName, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        // Only for oneself (or by the command line), and never by a token: a restricted or short-lived token must not be
        // able to mint itself a broader one.
        access.RequireSelf(userId);
        if (access.Actor.ViaApiToken)
        {
            throw new AccessDeniedException("An API token cannot create API tokens; sign in to the portal.");
        }
        name = name.Trim();
        if (name.Length is 0 or > ApiToken.NameMaxLength)
        {
            return (null, Result.Fail($"Name: 1–{ApiToken.NameMaxLength} characters."));
        }
        var now = clock.GetUtcNow();
        if (expiresAt <= now)
        {
            return (null, Result.Fail("Expiry: the date must be in the future."));
        }
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return (null, Result.Fail("No such user."));
        }
        if (user.IsDisabled)
        {
            return (null, Result.Fail("The account is disabled."));
        }

        Project? project = null;
        if (!string.IsNullOrWhiteSpace(projectName))
        {
            projectName = projectName.Trim();
            project = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Name == projectName, cancellationToken);
            var isAdmin = await users.IsInRoleAsync(user, PortalRoles.Admin);
            // One answer for "no such project" and "not yours", so the form does not reveal other tenants' names.
            if (project is null || !(isAdmin || await db.ProjectMemberships.AnyAsync(m => m.UserId == user.Id && m.ProjectId == project.Id, cancellationToken)))
            {
                return (null, Result.Fail($"Project: '{projectName}' is not one of your projects."));
            }
        }

        var plainText = ApiTokenSecret.NewToken();
        var token = new ApiToken
        {
            Id = Guid.NewGuid(),
            UserId = user.Id,
            Name = name,
            ProjectId = project?.Id,
            Prefix = ApiTokenSecret.PrefixOf(plainText),
            Hash = ApiTokenSecret.HashOf(plainText),
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        db.Add(token);
        auditLog.Record(project?.Id, AuditEntityTypes.ApiToken, token.Id.ToString(), "create",
            $"Created API token '{name}' ({ApiTokenSecret.Display(token.Prefix)}) for {user.Email}",
            after: Snapshot(token, user, project?.Name));
        await db.SaveChangesAsync(cancellationToken);
        return (new CreatedApiToken(Summarize(token, project?.Name, now), plainText), Result.Ok);
    }

    /// <summary>The user's own tokens, newest first, including revoked and expired ones.</summary>
    public async Task<IReadOnlyList<ApiTokenSummary>> ListForUserAsync(string userId, CancellationToken cancellationToken)
    {
        access.RequireSelfOrGlobalAdmin(userId);
        var now = clock.GetUtcNow();
        var rows = await Tokens.AsNoTracking()
            .Where(t => t.UserId == userId)
            .OrderByDescending(t => t.CreatedAt)
            .Select(t => new { Token = t, ProjectName = t.Project == null ? null : t.Project.Name })
            .ToListAsync(cancellationToken);
        return rows.Select(r => Summarize(r.Token, r.ProjectName, now)).ToList();
    }

    /// <summary>Every user's tokens, newest first, with their owners: administrators only (to find and revoke a leaked one).</summary>
    public async Task<IReadOnlyList<OwnedApiToken>> ListAllAsync(CancellationToken cancellationToken)
    {
        access.RequireGlobalAdmin();
        var now = clock.GetUtcNow();
        var rows = await Tokens.AsNoTracking()
            .OrderByDescending(t => t.CreatedAt)
            .Select(t => new { Token = t, ProjectName = t.Project == null ? null : t.Project.Name, Owner = t.User.Email })
            .ToListAsync(cancellationToken);
        return rows.Select(r => new OwnedApiToken(r.Owner ?? "", Summarize(r.Token, r.ProjectName, now))).ToList();
    }

    /// <summary>
    /// Revokes a token of the acting user's own; administrators (and the command line) may revoke anyone's. Revoking twice
    /// is harmless. Someone else's token answers as an unknown one.
    /// </summary>
    public async Task<Result> RevokeAsync(Guid tokenId, CancellationToken cancellationToken)
    {
        access.RequireSignedIn();
        var token = await Tokens.Include(t => t.User).Include(t => t.Project).SingleOrDefaultAsync(t => t.Id == tokenId, cancellationToken);
        if (token is null || !(access.Actor.IsGlobalAdmin || token.UserId == access.Actor.UserId))
        {
            return Result.Fail("No such token.");
        }
        if (token.RevokedAt is not null)
        {
            return Result.Ok;
        }

        var before = Snapshot(token, token.User, token.Project?.Name);
        token.RevokedAt = clock.GetUtcNow();
        auditLog.Record(token.ProjectId, AuditEntityTypes.ApiToken, token.Id.ToString(), "revoke",
            $"Revoked API token '{token.Name}' ({ApiTokenSecret.Display(token.Prefix)}) of {token.User.Email}",
            before, Snapshot(token, token.User, token.Project?.Name));
        await db.SaveChangesAsync(cancellationToken);
        return Result.Ok;
    }

    /// <summary>Revokes the user's token that starts with this prefix (with or without <c>ppy_</c>), for the command line.</summary>
    public async Task<Result> RevokeByPrefixAsync(string userId, string prefix, CancellationToken cancellationToken)
    {
        access.RequireSelf(userId);
        prefix = prefix.Trim().TrimEnd('…');
        if (prefix.StartsWith(ApiTokenSecret.Marker, StringComparison.Ordinal))
        {
            prefix = prefix[ApiTokenSecret.Marker.Length..];
        }
        var matches = await Tokens.Where(t => t.UserId == userId && t.Prefix == prefix).Select(t => t.Id).ToListAsync(cancellationToken);
        return matches switch
        {
            [var id] => await RevokeAsync(id, cancellationToken),
            [] => Result.Fail($"No token of this user has the prefix '{prefix}'."),
            _ => Result.Fail($"Several tokens of this user have the prefix '{prefix}'; revoke them in the portal."),
        };
    }

    /// <summary>
    /// Checks a presented token. Costs one indexed read; on success, a write only when LastUsedAt is older than
    /// <see cref="LastUsedResolution"/>. The user comes back untracked, ready for the claims factory.
    /// </summary>
    public async Task<ApiTokenAuthenticationResult> AuthenticateAsync(string presented, CancellationToken cancellationToken)
    {
        if (!ApiTokenSecret.IsWellFormed(presented))
        {
            return ApiTokenAuthenticationResult.Rejected(ApiTokenRejection.Unknown);
        }
        // Looking up by hash leaks nothing through timing: an attacker cannot steer the hash of what they send.
        var hash = ApiTokenSecret.HashOf(presented);
        var token = await Tokens.AsNoTracking().Include(t => t.User).Include(t => t.Project)
            .SingleOrDefaultAsync(t => t.Hash == hash, cancellationToken);
        var now = clock.GetUtcNow();
        var rejection = token switch
        {
            null => ApiTokenRejection.Unknown,
            { RevokedAt: not null } => ApiTokenRejection.Revoked,
            { ExpiresAt: { } expires } when expires <= now => ApiTokenRejection.Expired,
            { User.IsDisabled: true } => ApiTokenRejection.UserDisabled,
            // A lockout defends the password against guessing; it does not stop the account's tokens, or anyone could halt
            // an administrator's automation by failing sign-ins with their address.
            _ => (ApiTokenRejection?)null,
        };
        if (rejection is { } why)
        {
            return ApiTokenAuthenticationResult.Rejected(why, token);
        }

        if (token!.LastUsedAt is not { } lastUsed || now - lastUsed >= LastUsedResolution)
        {
            // Conditional, so concurrent requests (or nodes) that all saw a stale value write it once.
            var staleBefore = now - LastUsedResolution;
            await Tokens.Where(t => t.Id == token.Id && (t.LastUsedAt == null || t.LastUsedAt <= staleBefore))
                .ExecuteUpdateAsync(set => set.SetProperty(t => t.LastUsedAt, (DateTimeOffset?)now), cancellationToken);
            token.LastUsedAt = now;
        }
        return ApiTokenAuthenticationResult.Accepted(token.User, token);
    }

    private static ApiTokenSummary Summarize(ApiToken token, string? projectName, DateTimeOffset now) => new(
        token.Id, token.Name, token.Prefix, projectName, token.CreatedAt, token.ExpiresAt, token.LastUsedAt, token.RevokedAt,
        token.RevokedAt is not null ? ApiTokenStatus.Revoked
        : token.ExpiresAt <= now ? ApiTokenStatus.Expired
        : ApiTokenStatus.Active);

    // What the audit log keeps: never the token or its hash.
    private static object Snapshot(ApiToken token, PortalUser owner, string? projectName) => new
    {
        token.Name,
        Prefix = ApiTokenSecret.Display(token.Prefix),
        Owner = owner.Email,
        Project = projectName,
        token.ExpiresAt,
        token.RevokedAt,
    };
}
