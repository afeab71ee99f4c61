using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Features.ApiTokens;

/// <summary>
/// <c>Portal:RateLimits:ApiTokens</c> for the interactive tokens page. Its creates and revokes travel over the circuit's
/// one SignalR connection, not as HTTP posts, so the HTTP rate limiter never sees them; this limits them per user
/// (the same fixed window, counted per account instead of per address), checked before each create or revoke.
/// </summary>
public sealed class ApiTokenChangeLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter;

    public ApiTokenChangeLimiter(IOptions<AccountRateLimitSettings> settings)
    {
        var limit = settings.Value.ApiTokens;
        limiter = PartitionedRateLimiter.Create<string, string>(userId => RateLimitPartition.GetFixedWindowLimiter(userId, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit.PermitLimit,
            Window = limit.Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Whether <paramref name="userId"/> may change a token now; false once the window's permits are used up.</summary>
    public bool TryAcquire(string userId)
    {
        using var lease = limiter.AttemptAcquire(userId);
        return lease.IsAcquired;
    }

    public void Dispose() => limiter.Dispose();
}
