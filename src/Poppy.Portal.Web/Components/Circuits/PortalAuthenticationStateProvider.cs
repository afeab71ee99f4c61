using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;

namespace Poppy.Portal.Web.Components.Circuits;

/// <summary>
/// The authentication state of a circuit, checked again every minute against the account: a disabled user, a changed
/// role or a sign-out elsewhere (each rotates the security stamp) ends an open page's access within a minute, as the
/// per-request check (SessionValidation) does for requests. A circuit's clicks pass through no HTTP middleware.
/// </summary>
public sealed class PortalAuthenticationStateProvider(ILoggerFactory loggerFactory, IServiceScopeFactory scopes, IOptions<IdentityOptions> identity)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancellationToken)
    {
        var claims = identity.Value.ClaimsIdentity;
        var userId = state.User.FindFirstValue(claims.UserIdClaimType);
        var stamp = state.User.FindFirstValue(claims.SecurityStampClaimType);
        if (userId is null || stamp is null)
        {
            return false;
        }
        await using var scope = scopes.CreateAsyncScope();
        var account = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new { u.SecurityStamp, u.IsDisabled })
            .SingleOrDefaultAsync(cancellationToken);
        return account is { IsDisabled: false } && account.SecurityStamp == stamp;
    }
}
