using Microsoft.Extensions.Logging;

namespace Poppy.Portal.Simulators;

/// <summary>How <see cref="SimulatorHost"/> starts. The defaults suit tests: no edge latency, fixed seed, loopback only.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Clock for every "eventually" (deployments, activations, invalidations), cache TTLs and signature time checks.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Seeds generated ids and fault rolls, so a run can be reproduced.</summary>
    public int RandomSeed { get; set; } = 20170401;

    /// <summary>CloudFront InProgress → Deployed, Akamai activation PENDING → ACTIVE.</summary>
    public TimeSpan DeployDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>CloudFront invalidation InProgress → Completed, Akamai CCU estimatedSeconds.</summary>
    public TimeSpan PurgeDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a request picked by the timeout fault hangs (real time) before the connection is dropped.</summary>
    public TimeSpan TimeoutHang { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Origins the edges may reach besides loopback addresses: origin host name → base URL (e.g.
    /// <c>origin.example.com</c> → <c>http://127.0.0.1:5099</c>). Any other origin answers as unreachable:
    /// the simulator never leaves the machine.
    /// </summary>
    public IDictionary<string, Uri> OriginOverrides { get; } = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Latency every edge adds before answering (real time), per vendor; none by default.</summary>
    public IDictionary<CdnVendor, EdgeLatencyProfile> EdgeLatency { get; } = new Dictionary<CdnVendor, EdgeLatencyProfile>();

    public FastlyCredentials Fastly { get; set; } = new();
    public CloudFrontCredentials CloudFront { get; set; } = new();
    public AkamaiCredentials Akamai { get; set; } = new();
    public MaxCdnCredentials MaxCdn { get; set; } = new();

    /// <summary>Logging of the simulator's own host; nothing is logged unless set.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}

/// <summary>Base latency plus a uniform jitter in [0, JitterMs].</summary>
public sealed record EdgeLatencyProfile(int BaseMs, int JitterMs)
{
    /// <summary>Distinct, plausible figures per vendor for demos, so benchmarks have something to compare.</summary>
    public static EdgeLatencyProfile DemoFor(CdnVendor vendor) => vendor switch
    {
        CdnVendor.Fastly => new(12, 6),
        CdnVendor.CloudFront => new(18, 10),
        CdnVendor.Akamai => new(15, 8),
        _ => new(35, 25),
    };
}

// Development/test credentials the simulated vendors accept; they are not secrets of any real account.
public sealed class FastlyCredentials
{
    public IList<string> ApiKeys { get; set; } = ["sim-fastly-api-key"];

    /// <summary>Non-read requests per token per hour (Fastly's documented default is 1,000).</summary>
    public int HourlyRateLimit { get; set; } = 1000;
}

public sealed class CloudFrontCredentials
{
    public string AccessKeyId { get; set; } = "AKIASIMULATOREXAMPLE";
    public string SecretAccessKey { get; set; } = "simulatorSecretKey/ForCloudFront0000000000";
    public string AccountId { get; set; } = "123456789012";
}

public sealed class AkamaiCredentials
{
    public string ClientToken { get; set; } = "akab-sim-client-token-0000-000000000000";
    public string ClientSecret { get; set; } = "c2ltdWxhdG9yLWNsaWVudC1zZWNyZXQtMDAwMDAwMDA=";
    public string AccessToken { get; set; } = "akab-sim-access-token-0000-000000000000";

    /// <summary>Bytes of a POST body covered by the EdgeGrid content hash (current Akamai libraries).</summary>
    public int MaxBody { get; set; } = 131072;

    public string ContractId { get; set; } = "ctr_SIM-1";
    public string GroupId { get; set; } = "grp_1";
}

public sealed class MaxCdnCredentials
{
    public string CompanyAlias { get; set; } = "poppysim";
    public string ConsumerKey { get; set; } = "sim-maxcdn-consumer-key";
    public string ConsumerSecret { get; set; } = "sim-maxcdn-consumer-secret";
}
