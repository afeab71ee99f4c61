using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Poppy.Portal.Core.Features.Users;

/// <summary>
/// Identity's sign-in with the portal's rules: disabled accounts cannot sign in (nor keep a session); every refusal
/// costs one password-hash check, whether the address is unknown, disabled, locked or just wrong, so neither the answer
/// nor its timing tells them apart; lockout after repeated failures applies to clients the account has not signed in
/// from (<see cref="KnownDevices"/>); and signing out ends every copy of the session cookie.
/// </summary>
public sealed class PortalSignInManager(
    UserManager<PortalUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<PortalUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<PortalUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<PortalUser> confirmation,
    KnownDevices knownDevices,
    TimeProvider clock)
    : SignInManager<PortalUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    private static string? decoyHash;

    public override async Task<bool> CanSignInAsync(PortalUser user) =>
        !user.IsDisabled && await base.CanSignInAsync(user);

    public override async Task<PortalUser?> ValidateSecurityStampAsync(System.Security.Claims.ClaimsPrincipal? principal)
    {
        var user = await base.ValidateSecurityStampAsync(principal);
        return user is { IsDisabled: false } ? user : null;
    }

    public override async Task<SignInResult> PasswordSignInAsync(string userName, string password, bool isPersistent, bool lockoutOnFailure)
    {
        var user = await UserManager.FindByNameAsync(userName);
        if (user is null)
        {
            SpendPasswordCheck(null, password);
            return SignInResult.Failed;
        }
        return await PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure);
    }

    public override async Task<SignInResult> CheckPasswordSignInAsync(PortalUser user, string password, bool lockoutOnFailure)
    {
        ArgumentNullException.ThrowIfNull(user);
        // Signing in with a password happens in a request (Context throws otherwise).
        var context = Context;
        var device = knownDevices.TrustedDeviceOf(context, user);
        if (!await CanSignInAsync(user))
        {
            SpendPasswordCheck(user, password);
            return SignInResult.NotAllowed;
        }
        // Locked: for clients this account has not signed in from; a known device still gets its password checked.
        if (device is null && IsLockedOutNow(user))
        {
            SpendPasswordCheck(user, password);
            Logger.LogInformation("Sign-in refused: user {UserId} is locked out for unknown clients.", user.Id);
            return SignInResult.LockedOut;
        }

        if (await UserManager.CheckPasswordAsync(user, password))
        {
            if (device is null)
            {
                await UserManager.ResetAccessFailedCountAsync(user);
            }
            knownDevices.Remember(context, user, device);
            return SignInResult.Success;
        }

        if (device is not null)
        {
            // Counted against that device, not the account: its owner's typos never lock anyone else out.
            knownDevices.RecordFailure(device);
            return SignInResult.Failed;
        }
        if (lockoutOnFailure && UserManager.SupportsUserLockout && user.LockoutEnabled)
        {
            await RecordAccountFailureAsync(user);
            if (IsLockedOutNow(user))
            {
                Logger.LogWarning("User {UserId} is locked out for unknown clients after repeated failed sign-ins.", user.Id);
                return SignInResult.LockedOut;
            }
        }
        return SignInResult.Failed;
    }

    // Identity's own lockout methods read the system clock; these do what they do on the portal's TimeProvider.
    protected override Task<bool> IsLockedOut(PortalUser user) => Task.FromResult(IsLockedOutNow(user));

    private bool IsLockedOutNow(PortalUser user) =>
        UserManager.SupportsUserLockout && user.LockoutEnabled && user.LockoutEnd is { } end && end > clock.GetUtcNow();

    private async Task RecordAccountFailureAsync(PortalUser user)
    {
        var lockout = Options.Lockout;
        user.AccessFailedCount++;
        if (user.AccessFailedCount >= lockout.MaxFailedAccessAttempts)
        {
            user.LockoutEnd = clock.GetUtcNow() + lockout.DefaultLockoutTimeSpan;
            user.AccessFailedCount = 0;
        }
        await UserManager.UpdateAsync(user);
    }

    /// <summary>Rotates the security stamp, so a copy of the cookie taken before signing out is refused afterwards.</summary>
    public override async Task SignOutAsync()
    {
        if (await UserManager.GetUserAsync(Context.User) is { } user)
        {
            await UserManager.UpdateSecurityStampAsync(user);
        }
        await base.SignOutAsync();
    }

    /// <summary>One password-hash verification with no effect: what a refusal would otherwise save in time.</summary>
    private void SpendPasswordCheck(PortalUser? user, string password)
    {
        var hasher = UserManager.PasswordHasher;
        var hash = user?.PasswordHash ?? (decoyHash ??= hasher.HashPassword(new PortalUser(), Convert.ToHexString(RandomNumberGenerator.GetBytes(16))));
        hasher.VerifyHashedPassword(user ?? new PortalUser(), hash, password);
    }
}
