using System.Collections.Concurrent;
using Poppy.Portal.Core.Drivers;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>
/// Which vendor answers count as failures against a provider account's circuit, which every tenant on the account
/// shares. Only signs that the vendor itself is failing count:
/// <list type="bullet">
/// <item>no answer, no answer in time, 502/503/504 (<see cref="VendorAnswerKind.Unavailable"/>): always;</item>
/// <item>500 and the like (<see cref="VendorAnswerKind.ServerError"/>): only when they are not confined to one service,
/// i.e. another service (or an account-level request) also met one within the sampling window. One service's
/// configuration can make a vendor answer 500 to every request about it while the vendor serves everyone else; that
/// service's own retries and backoff handle it, and it must not stop the other tenants' work;</item>
/// <item>throttling (429, 408) and refusals (other 4xx: bad credentials, a configuration the vendor rejects): never.</item>
/// </list>
/// </summary>
internal sealed class CircuitFailureRule(TimeSpan window, TimeProvider clock)
{
    /// <summary>Key of requests that are about the account, not one service.</summary>
    private static readonly Guid AccountLevel = Guid.Empty;

    /// <summary>When each service (or the account) last met a server error; entries older than the window are dropped.</summary>
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> lastServerError = new();

    /// <param name="kind">The answer, classified by <see cref="VendorAnswers"/>.</param>
    /// <param name="serviceId">The service the request was for; null (or empty) for an account-level request.</param>
    public bool Counts(VendorAnswerKind kind, Guid? serviceId) => kind switch
    {
        VendorAnswerKind.Unavailable => true,
        VendorAnswerKind.ServerError => ServerErrorCounts(serviceId ?? AccountLevel),
        _ => false,
    };

    private bool ServerErrorCounts(Guid service)
    {
        var now = clock.GetUtcNow();
        lastServerError[service] = now;
        var others = false;
        foreach (var (other, at) in lastServerError)
        {
            if (at <= now - window)
            {
                // Only if it was not renewed meanwhile.
                lastServerError.TryRemove(KeyValuePair.Create(other, at));
            }
            else if (other != service)
            {
                others = true;
            }
        }

        return service == AccountLevel || others;
    }
}
