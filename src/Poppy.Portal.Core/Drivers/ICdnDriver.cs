using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Drivers;

/// <summary>
/// One CDN vendor's wire API, as provisioning uses it. Every call is idempotent and resumable: a driver finds the vendor
/// resource it made for a service by the portal's own ids (the service id in a name, a CallerReference, ...) before it
/// creates anything, so a call repeated after a crash never makes a second resource.
/// </summary>
public interface ICdnDriver
{
    ProviderKind Kind { get; }

    /// <summary>
    /// Makes the vendor serve <paramref name="spec"/>: creates the vendor resource when there is none for this service,
    /// otherwise updates it. Returns as soon as the vendor accepted the change; vendors that deploy slowly report
    /// <see cref="DeploymentState.InProgress"/>, and provisioning polls <see cref="GetStateAsync"/> until deployed.
    /// </summary>
    Task<ProvisionResult> ApplyAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken);

    /// <summary>Where the vendor stands with the service's resource; null when it has none.</summary>
    Task<ProvisionResult?> GetStateAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the service from the vendor (disabling first where the vendor requires it). Returns
    /// <see cref="DeploymentState.InProgress"/> while the vendor still has to finish (call again later) and
    /// <see cref="DeploymentState.Deployed"/> once nothing is left; a resource already gone counts as removed.
    /// </summary>
    Task<DeploymentState> DeleteAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken);

    /// <summary>Purges <paramref name="url"/> (a path such as "/images/logo.png") or, when null, everything.</summary>
    Task PurgeAsync(ProviderCall call, ServiceSpec spec, string? url, bool hard, CancellationToken cancellationToken);

    /// <summary>
    /// What this vendor cannot express of <paramref name="spec"/>, said before anything is sent: the warnings
    /// <see cref="ApplyAsync"/> reports for the configuration it builds, from the same mapping, without calling the
    /// vendor. <paramref name="credentials"/> are the account's (see <see cref="ProviderCall.Credentials"/>); some decide
    /// what can be expressed (CloudFront takes the domains as aliases only with an ACM certificate). Warnings only the
    /// vendor's answer can give (Akamai's validation of a rule tree) are reported at deploy time only.
    /// </summary>
    IReadOnlyList<string> Limitations(ServiceSpec spec, IReadOnlyDictionary<string, string> credentials);

    /// <summary>
    /// Makes one cheap authenticated read at the vendor (a list of one, the account itself) to tell whether the account's
    /// endpoint and credentials work. Never throws for what the vendor answers: the outcome says what went wrong.
    /// <paramref name="call"/> names no service (<see cref="Guid.Empty"/>). A driver that has no such read says so.
    /// </summary>
    Task<ConnectionTestResult> TestConnectionAsync(ProviderCall call, CancellationToken cancellationToken) =>
        Task.FromResult(new ConnectionTestResult(ConnectionTestOutcome.Unexpected, $"The {Kind} driver cannot test a connection."));
}

/// <summary>How a connection test ended.</summary>
public enum ConnectionTestOutcome
{
    /// <summary>The vendor accepted the credentials and answered the read.</summary>
    Ok,

    /// <summary>The vendor refused the credentials (401/403), or a credential is missing.</summary>
    BadCredentials,

    /// <summary>No answer, no answer in time, or the vendor said it is unavailable (502/503/504).</summary>
    Unreachable,

    /// <summary>Anything else: a 404 for a wrong endpoint, a vendor error, an answer the driver cannot read.</summary>
    Unexpected,
}

/// <summary>The outcome of <see cref="ICdnDriver.TestConnectionAsync"/> and what to tell the administrator.</summary>
public sealed record ConnectionTestResult(ConnectionTestOutcome Outcome, string Message)
{
    public bool Ok => Outcome == ConnectionTestOutcome.Ok;
}

/// <summary>What a driver needs for one call: which service, which account, and the HTTP client to reach the vendor.</summary>
/// <param name="ServiceId">The portal's id; drivers put it in the vendor resource so they can find it again. <see cref="Guid.Empty"/>
/// for a call about the account itself (Test connection).</param>
/// <param name="ProviderServiceId">The vendor's id from an earlier call, when known (a hint: drivers still verify it).</param>
/// <param name="ApiEndpoint">The account's API base URL, ending in '/'.</param>
/// <param name="Credentials">The account's credential fields by key (see <c>ProviderCredentialFields</c>).</param>
public sealed record ProviderCall(
    Guid ServiceId,
    string? ProviderServiceId,
    Uri ApiEndpoint,
    IReadOnlyDictionary<string, string> Credentials,
    HttpClient Http,
    TimeProvider Clock);

public enum DeploymentState { InProgress, Deployed }

/// <summary>What a driver can put on its requests for the HTTP pipeline provisioning gives it.</summary>
public static class ProviderRequestOptions
{
    /// <summary>
    /// Signs the request again with a fresh timestamp and nonce. Drivers whose signatures must not be replayed
    /// (EdgeGrid, OAuth 1.0a) set it, so that a single idempotent request that met a transient error can be sent again.
    /// </summary>
    public static readonly HttpRequestOptionsKey<Func<HttpRequestMessage, CancellationToken, Task>> Resign = new("Poppy.Resign");

    /// <summary>
    /// Set on a request whose method is not idempotent but which can still be sent twice without harm: a search, or a
    /// create the vendor refuses to repeat (a CallerReference, a unique name) where the driver handles that refusal.
    /// Such a request is retried on its own after a transient answer, like a GET.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> SafeToRepeat = new("Poppy.SafeToRepeat");

    /// <summary>
    /// The portal service a request is for (<see cref="ProviderCall.ServiceId"/>); absent on account-level requests. The
    /// account's circuit uses it to tell a failure confined to one service from one that every service meets.
    /// </summary>
    public static readonly HttpRequestOptionsKey<Guid> ServiceId = new("Poppy.ServiceId");
}

/// <param name="ProviderServiceId">The vendor's id for the service (Fastly service id, CloudFront distribution id, ...).</param>
/// <param name="AccessUrls">The host name each domain must CNAME to at this vendor.</param>
/// <param name="Warnings">Settings this vendor cannot express, said plainly (never dropped silently).</param>
public sealed record ProvisionResult(
    string ProviderServiceId,
    DeploymentState State,
    IReadOnlyList<AccessUrl> AccessUrls,
    IReadOnlyList<string> Warnings);

/// <summary>
/// A vendor call that failed. <see cref="IsTransient"/> says whether repeating it can help (timeouts, 5xx, throttling);
/// a non-transient error (bad credentials, a rejected configuration) is shown to the user with the vendor's message.
/// </summary>
public sealed class CdnDriverException(string message, bool isTransient, int? statusCode = null, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    public bool IsTransient { get; } = isTransient;

    public int? StatusCode { get; } = statusCode;

    /// <summary>The vendor's Retry-After, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
