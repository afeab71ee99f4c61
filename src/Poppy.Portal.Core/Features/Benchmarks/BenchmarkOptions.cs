using Poppy.Portal.Core.Configuration;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>How the portal measures providers' edges (section <c>Portal:Benchmarks</c>).</summary>
public sealed class BenchmarkOptions
{
    public const string Section = "Portal:Benchmarks";

    /// <summary>The shortest probe interval a service may have: below it probes would measure the probes.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(2);

    /// <summary>Whether probe rounds are scheduled at all (they run where jobs run).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A service without its own setting is probed this often.</summary>
    public TimeSpan DefaultInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The object requested from each edge when a service names none.</summary>
    public string DefaultProbePath { get; set; } = "/";

    /// <summary>
    /// How often the probe round job fires; each firing probes the services whose slot falls in the time since the last
    /// one, so this is the granularity with which probes are spread over an interval.
    /// </summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>One probe (name resolution to the last byte) gives up after this long and is recorded as an error.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Probes in flight at once in this process.</summary>
    public int MaxConcurrentProbes { get; set; } = 64;

    /// <summary>Raw samples are deleted after this long (rollups keep the figures).</summary>
    public TimeSpan RawRetention { get; set; } = TimeSpan.FromHours(48);

    /// <summary>Per-minute rollups are deleted after this long; they serve the 1 h and 24 h windows.</summary>
    public TimeSpan MinuteRetention { get; set; } = TimeSpan.FromHours(48);

    /// <summary>Per-hour rollups are deleted after this long; they serve the 7 d and 30 d windows.</summary>
    public TimeSpan HourlyRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often rollups are brought up to date and retention applied.</summary>
    public TimeSpan RollupInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// DNS servers (<c>host:port</c> or an address) to resolve edge host names with; empty means the machine's resolvers.
    /// </summary>
    public List<string> NameServers { get; set; } = [];

    /// <summary>
    /// Where to connect instead of resolving, like curl's <c>--connect-to</c>: for edges that do not resolve here
    /// (the simulators in Development and tests, a staging edge). The first matching entry wins.
    /// </summary>
    public List<EdgeConnectTo> ConnectTo { get; set; } = [];

    public static void Check(BenchmarkOptions o, SettingChecks check)
    {
        var day = TimeSpan.FromDays(1);
        check.Between(nameof(DefaultInterval), o.DefaultInterval, MinimumInterval, day)
            .Require(nameof(DefaultProbePath), o.DefaultProbePath.StartsWith('/'), o.DefaultProbePath, "a path starting with '/'")
            .Between(nameof(Tick), o.Tick, TimeSpan.FromMilliseconds(100), MinimumInterval)
            .Between(nameof(ProbeTimeout), o.ProbeTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1))
            .Between(nameof(MaxConcurrentProbes), o.MaxConcurrentProbes, 1, 10_000)
            .Between(nameof(RawRetention), o.RawRetention, TimeSpan.FromHours(2), TimeSpan.FromDays(365))
            .Between(nameof(MinuteRetention), o.MinuteRetention, TimeSpan.FromHours(2), TimeSpan.FromDays(365))
            .Between(nameof(HourlyRetention), o.HourlyRetention, TimeSpan.FromDays(1), TimeSpan.FromDays(3650))
            .Between(nameof(RollupInterval), o.RollupInterval, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(30));
        for (var i = 0; i < o.ConnectTo.Count; i++)
        {
            var entry = o.ConnectTo[i];
            check.Require($"ConnectTo:{i}:Address", entry.AddressUri is not null, entry.Address, "an absolute http(s) URL such as http://127.0.0.1:5090")
                .Require($"ConnectTo:{i}", entry.Provider is not null || entry.HostSuffix is not null, null, "a Provider or a HostSuffix to match");
        }
    }
}

/// <summary>
/// One connect-to rule: probes of an edge whose provider account is <see cref="Provider"/> (or whose host name ends
/// with <see cref="HostSuffix"/>) go to <see cref="Address"/> (scheme, address and port), with <see cref="Headers"/> added.
/// </summary>
public sealed class EdgeConnectTo
{
    public string? Provider { get; set; }

    public string? HostSuffix { get; set; }

    public string Address { get; set; } = "";

    public Dictionary<string, string> Headers { get; set; } = [];

    public Uri? AddressUri => Uri.TryCreate(Address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;

    public bool Matches(string provider, string host) =>
        (Provider is null || string.Equals(Provider, provider, StringComparison.OrdinalIgnoreCase))
        && (HostSuffix is null || host.EndsWith(HostSuffix, StringComparison.OrdinalIgnoreCase));
}
