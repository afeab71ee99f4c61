using Poppy.Portal.Core.Configuration;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>Which DNS account serves a service's steering records (section <c>Portal:Dns</c>).</summary>
public sealed class ServiceDnsOptions
{
    public const string Section = "Portal:Dns";

    /// <summary>The DNS account (by name) of services whose flavor names none; none means services get no DNS records.</summary>
    public string? DefaultAccount { get; set; }

    /// <summary>A flavor's own DNS account: flavor id → account name.</summary>
    public Dictionary<string, string> FlavorAccounts { get; set; } = [];

    /// <summary>
    /// The authoritative server to ask after a switch, per DNS account name (<c>host:port</c>, e.g. a local PowerDNS at
    /// <c>127.0.0.1:5353</c>). Accounts without one record their switches as "not checked".
    /// </summary>
    public Dictionary<string, string> Nameservers { get; set; } = [];

    /// <summary>The first wait after a DNS call failed transiently; doubled per failure up to five minutes.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait after a call the vendor refused (credentials, a missing zone), until someone fixes the account.</summary>
    public TimeSpan RefusedRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    public string? AccountFor(string flavorId) =>
        FlavorAccounts.TryGetValue(flavorId, out var name) && !string.IsNullOrWhiteSpace(name) ? name
        : string.IsNullOrWhiteSpace(DefaultAccount) ? null : DefaultAccount;

    public static void Check(ServiceDnsOptions o, SettingChecks check)
    {
        check.Between(nameof(RetryDelay), o.RetryDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1))
            .Between(nameof(RefusedRetryDelay), o.RefusedRetryDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromDays(1));
        foreach (var (account, server) in o.Nameservers)
        {
            check.Require($"Nameservers:{account}", DnsConfirmation.ParseEndpoint(server) is not null, server, "host:port");
        }
    }
}

/// <summary>How steering runs (section <c>Portal:Steering</c>).</summary>
public sealed class SteeringOptions
{
    public const string Section = "Portal:Steering";

    /// <summary>Whether steering rounds are scheduled (they run where jobs run).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How often a round decides for every steered service. Short next to the probe interval, so an outage is acted on
    /// within two probe intervals.
    /// </summary>
    public TimeSpan RoundInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many events a service's steering view lists.</summary>
    public int EventsShown { get; set; } = 20;

    public static void Check(SteeringOptions o, SettingChecks check) =>
        check.Between(nameof(RoundInterval), o.RoundInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10))
            .Between(nameof(EventsShown), o.EventsShown, 1, 1000);
}
