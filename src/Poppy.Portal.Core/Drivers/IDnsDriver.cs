namespace Poppy.Portal.Core.Drivers;

/// <summary>The DNS services the portal can steer through.</summary>
public enum DnsProviderKind
{
    /// <summary>PowerDNS authoritative HTTP API (<c>X-API-Key</c>).</summary>
    PowerDns,

    /// <summary>OpenStack Designate v2, authenticated through Keystone v3.</summary>
    Designate,

    /// <summary>Rackspace Cloud DNS v1.0, authenticated through Rackspace Identity v2.0.</summary>
    RackspaceDns,

    /// <summary>Amazon Route 53 (REST-XML 2013-04-01, SigV4).</summary>
    Route53,
}

/// <summary>
/// One DNS vendor's API, as steering uses it: one CNAME per service domain in the operator's zone. Every call is
/// idempotent: setting a record that already has the target and TTL changes nothing, deleting one that is gone succeeds.
/// Calls return once the vendor says the change is live (Rackspace's job completed, Route 53's change INSYNC).
/// Vendor failures are <see cref="CdnDriverException"/>s (the one vendor-call exception), transient or not as
/// <see cref="VendorAnswers"/> reads the answer.
/// </summary>
public interface IDnsDriver
{
    DnsProviderKind Kind { get; }

    /// <summary>Creates the CNAME <paramref name="name"/> → <paramref name="target"/>, or replaces the one there.</summary>
    /// <param name="name">The record's full name without a trailing dot, inside <see cref="DnsCall.Zone"/>.</param>
    /// <param name="target">The host name it points at, without a trailing dot.</param>
    /// <param name="ttlSeconds">The record's TTL (a vendor's minimum may raise it: Rackspace takes no less than 300).</param>
    Task SetCnameAsync(DnsCall call, string name, string target, int ttlSeconds, CancellationToken cancellationToken);

    /// <summary>Removes the CNAME <paramref name="name"/>; a record already gone counts as removed.</summary>
    Task DeleteCnameAsync(DnsCall call, string name, CancellationToken cancellationToken);

    /// <summary>The CNAME <paramref name="name"/> as the vendor holds it now; null when there is none.</summary>
    Task<DnsCname?> GetCnameAsync(DnsCall call, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Makes one cheap authenticated read (finding the account's zone) to tell whether the endpoint, the credentials and
    /// the zone work. Never throws for what the vendor answers: the outcome says what went wrong (a missing zone is
    /// <see cref="ConnectionTestOutcome.Unexpected"/> with the vendor's words).
    /// </summary>
    Task<ConnectionTestResult> TestConnectionAsync(DnsCall call, CancellationToken cancellationToken);
}

/// <summary>A CNAME as a DNS vendor holds it: names without trailing dots, lower case.</summary>
public sealed record DnsCname(string Name, string Target, int TtlSeconds);

/// <summary>What a DNS driver needs for one call.</summary>
/// <param name="ApiEndpoint">The account's API base URL, ending in '/' (see each driver for what it includes).</param>
/// <param name="Zone">The operator's zone the records live in, e.g. <c>cdn.operator.test</c> (no trailing dot).</param>
/// <param name="Credentials">The account's credential fields by key (see <c>DnsCredentialFields</c>).</param>
public sealed record DnsCall(
    Uri ApiEndpoint,
    string Zone,
    IReadOnlyDictionary<string, string> Credentials,
    HttpClient Http,
    TimeProvider Clock)
{
    /// <summary>How long a driver waits for a vendor's asynchronous change (a job, a change batch) to finish.</summary>
    public TimeSpan ChangeTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The pause between two polls of such a change (on <see cref="Clock"/>).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Names the endpoint and zone only: records print every property, and the credentials are secrets.</summary>
    public override string ToString() => $"DnsCall {{ ApiEndpoint = {ApiEndpoint}, Zone = {Zone} }}";
}
