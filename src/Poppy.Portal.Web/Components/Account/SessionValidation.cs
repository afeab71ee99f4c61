using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;

namespace Poppy.Portal.Web.Components.Account;

/// <summary>
/// Checks the sign-in cookie's security stamp against the account on every request (one small indexed query), so
/// signing out (which rotates the stamp), disabling an account or changing its role ends every copy of the cookie at
/// once instead of at the next periodic validation. Identity's own validator still runs after it to refresh the
/// cookie's claims once a minute.
/// </summary>
public static class SessionValidation
{
    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var claimTypes = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity;
        var userId = context.Principal?.FindFirstValue(claimTypes.UserIdClaimType);
        var stamp = context.Principal?.FindFirstValue(claimTypes.SecurityStampClaimType);
        var account = userId is null
            ? null
            : await services.GetRequiredService<PortalDbContext>().Users.AsNoTracking()
                .Where(u => u.Id == userId)
                .Select(u => new { u.SecurityStamp, u.IsDisabled })
                .SingleOrDefaultAsync(context.HttpContext.RequestAborted);
        if (account is null || account.IsDisabled || stamp is null || account.SecurityStamp != stamp)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
            return;
        }
        await SecurityStampValidator.ValidatePrincipalAsync(context);
    }
}
