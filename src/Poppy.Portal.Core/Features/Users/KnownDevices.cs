using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Poppy.Portal.Core.Features.Users;

/// <summary>
/// Browsers an account has signed in from before ("device cookies", as OWASP describes them). Failed sign-ins from
/// anywhere else lock the account for such unknown clients only; a browser that holds the account's device cookie
/// still signs in with the right password, so an attacker who locks an account does not lock its owner out. A known
/// device that fails too often loses that standing for the lockout period (counted in this process).
/// </summary>
public sealed class KnownDevices(IDataProtectionProvider dataProtection, TimeProvider clock, IOptions<IdentityOptions> identityOptions)
{
    public const string CookieName = "Poppy.Device";

    /// <summary>How long a browser stays known after its last successful sign-in.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(180);

    private const int MaxTrackedDevices = 10_000;
    private readonly IDataProtector protector = dataProtection.CreateProtector("Poppy.SignIn.KnownDevice.v1");
    private readonly ConcurrentDictionary<string, DeviceFailures> failures = new();

    /// <summary>The id of the request's device when it is known for <paramref name="user"/> and not locked itself; else null.</summary>
    public string? TrustedDeviceOf(HttpContext context, PortalUser user)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var cookie) || string.IsNullOrEmpty(cookie))
        {
            return null;
        }
        string payload;
        try
        {
            payload = protector.Unprotect(cookie);
        }
        catch (CryptographicException)
        {
            return null;
        }
        var parts = payload.Split('\n');
        if (parts.Length != 3 || parts[0] != user.Id || !long.TryParse(parts[2], out var issuedSeconds))
        {
            return null;
        }
        var now = clock.GetUtcNow();
        if (DateTimeOffset.FromUnixTimeSeconds(issuedSeconds) + Lifetime < now)
        {
            return null;
        }
        var deviceId = parts[1];
        return failures.TryGetValue(deviceId, out var record) && record.IsLocked(now) ? null : deviceId;
    }

    /// <summary>After a successful sign-in: the browser is (still) known for this user, with a fresh lifetime.</summary>
    public void Remember(HttpContext context, PortalUser user, string? deviceId)
    {
        if (deviceId is not null)
        {
            failures.TryRemove(deviceId, out _);
        }
        deviceId ??= Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var now = clock.GetUtcNow();
        context.Response.Cookies.Append(CookieName, protector.Protect($"{user.Id}\n{deviceId}\n{now.ToUnixTimeSeconds()}"), new CookieOptions
        {
            HttpOnly = true,
            IsEssential = true,
            // Only the sign-in form reads it, and only from this site.
            Path = "/account",
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            MaxAge = Lifetime,
        });
    }

    /// <summary>A wrong password from a known device: after as many as lock an account, that device is locked for as long.</summary>
    public void RecordFailure(string deviceId)
    {
        var lockout = identityOptions.Value.Lockout;
        var now = clock.GetUtcNow();
        if (failures.Count >= MaxTrackedDevices)
        {
            foreach (var (id, old) in failures)
            {
                if (!old.IsLocked(now))
                {
                    failures.TryRemove(id, out _);
                }
            }
        }
        var record = failures.GetOrAdd(deviceId, _ => new DeviceFailures());
        lock (record)
        {
            if (++record.Count >= lockout.MaxFailedAccessAttempts)
            {
                record.Count = 0;
                record.LockedUntil = now + lockout.DefaultLockoutTimeSpan;
            }
        }
    }

    private sealed class DeviceFailures
    {
        public int Count { get; set; }

        public DateTimeOffset LockedUntil { get; set; }

        public bool IsLocked(DateTimeOffset now) => LockedUntil > now;
    }
}
