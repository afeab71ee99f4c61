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
    /// Null when this driver writes weighted sets (<see cref="SetWeightedAsync"/>); else why the vendor cannot, in words
    /// for operators (steering refuses the <c>weighted</c> policy on such an account with them).
    /// </summary>
    string? WeightedUnsupportedReason => $"{Kind} has no weighted records the portal can write";

    /// <summary>
    /// Makes <paramref name="name"/> a weighted set: each target answered in proportion to its weight (0..255, at least
    /// one positive). Replaces whatever the name held, a plain CNAME or an earlier weighted set, in one vendor change, so
    /// the name never holds both kinds; <see cref="SetCnameAsync"/> likewise removes a weighted set, and
    /// <see cref="DeleteCnameAsync"/> removes either kind.
    /// </summary>
    Task SetWeightedAsync(DnsCall call, string name, IReadOnlyList<DnsWeightedTarget> targets, int ttlSeconds, CancellationToken cancellationToken) =>
        throw new CdnDriverException($"{WeightedUnsupportedReason}.", isTransient: false);

    /// <summary>The weighted set <paramref name="name"/> as the vendor holds it now (targets in id order); null when there is none.</summary>
    Task<DnsWeightedSet?> GetWeightedAsync(DnsCall call, string name, CancellationToken cancellationToken) =>
        Task.FromResult<DnsWeightedSet?>(null);

    /// <summary>
    /// Makes one cheap authenticated read (finding the account's zone) to tell whether the endpoint, the credentials and
    /// the zone work. Never throws for what the vendor answers: the outcome says what went wrong (a missing zone is
    /// <see cref="ConnectionTestOutcome.Unexpected"/> with the vendor's words).
    /// </summary>
    Task<ConnectionTestResult> TestConnectionAsync(DnsCall call, CancellationToken cancellationToken);
}

/// <summary>A CNAME as a DNS vendor holds it: names without trailing dots, lower case.</summary>
public sealed record DnsCname(string Name, string Target, int TtlSeconds);

/// <summary>One target of a weighted set.</summary>
/// <param name="Id">Names the target within the set (Route 53's SetIdentifier): the portal uses the provider's name.</param>
/// <param name="Target">The host name answered, without a trailing dot.</param>
/// <param name="Weight">0..255 (Route 53's range, taken for every driver); 0 is never answered while another is positive.</param>
public sealed record DnsWeightedTarget(string Id, string Target, int Weight)
{
    public const int MaxWeight = 255;
}

/// <summary>A weighted set as a DNS vendor holds it: targets in <see cref="DnsWeightedTarget.Id"/> order, names lower case without trailing dots.</summary>
public sealed record DnsWeightedSet(string Name, IReadOnlyList<DnsWeightedTarget> Targets, int TtlSeconds)
{
    /// <summary>Structural equality over the targets (records compare lists by reference).</summary>
    public bool SameAs(DnsWeightedSet? other) =>
        other is not null && Name == other.Name && TtlSeconds == other.TtlSeconds && Targets.SequenceEqual(other.Targets);
}

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

/// <summary>Checks and words for weighted sets, shared by the drivers and steering.</summary>
public static class DnsWeights
{
    /// <summary>Throws a permanent <see cref="CdnDriverException"/> for a set no driver may write.</summary>
    public static void Validate(IReadOnlyList<DnsWeightedTarget> targets)
    {
        if (targets.Count == 0 || targets.All(t => t.Weight == 0))
        {
            throw new CdnDriverException("A weighted set needs at least one target with a positive weight.", isTransient: false);
        }

        if (targets.FirstOrDefault(t => t.Weight is < 0 or > DnsWeightedTarget.MaxWeight) is { } wrong)
        {
            throw new CdnDriverException($"Weight {wrong.Weight} of {wrong.Id} is outside 0..{DnsWeightedTarget.MaxWeight}.", isTransient: false);
        }

        if (targets.GroupBy(t => t.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new CdnDriverException($"'{twice.Key}' is in the weighted set twice.", isTransient: false);
        }
    }

    /// <summary>"fastly 3, akamai 1": for events, audit entries and pages.</summary>
    public static string Describe(IEnumerable<(string Name, int Weight)> weights) =>
        string.Join(", ", weights.Select(w => $"{w.Name} {w.Weight}"));
}
