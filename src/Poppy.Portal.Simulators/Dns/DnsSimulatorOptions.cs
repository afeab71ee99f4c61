using Microsoft.Extensions.Logging;

namespace Poppy.Portal.Simulators.Dns;

/// <summary>How <see cref="DnsSimulatorHost"/> starts. Development/test credentials: not secrets of any real account.</summary>
public sealed class DnsSimulatorOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Clock for changes settling (Designate PENDING → ACTIVE, Rackspace jobs, Route 53 INSYNC) and SigV4 time checks.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>How long a change takes to settle at every vendor, on <see cref="TimeProvider"/>.</summary>
    public TimeSpan ChangeDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Seeds generated ids and fault rolls.</summary>
    public int RandomSeed { get; set; } = 20170402;

    /// <summary>How long a request picked by the timeout fault hangs (real time) before the connection is dropped.</summary>
    public TimeSpan TimeoutHang { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>The zones every simulated vendor holds from the start (no trailing dot).</summary>
    public IList<string> Zones { get; } = ["cdn.operator.test"];

    public DesignateCredentials Designate { get; set; } = new();
    public RackspaceDnsCredentials Rackspace { get; set; } = new();
    public Route53Credentials Route53 { get; set; } = new();

    /// <summary>Logging of the simulator's own host; nothing is logged unless set.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}

/// <summary>The Keystone v3 user Designate's simulated identity accepts (password method, project scope).</summary>
public sealed class DesignateCredentials
{
    public string Username { get; set; } = "poppy";
    public string Password { get; set; } = "sim-designate-password";
    public string Project { get; set; } = "poppy-dns";
}

/// <summary>The Rackspace Identity v2.0 user (RAX-KSKEY apiKeyCredentials) and the tenant its token is for.</summary>
public sealed class RackspaceDnsCredentials
{
    public string Username { get; set; } = "poppy";
    public string ApiKey { get; set; } = "sim-rackspace-api-key";
    public string TenantId { get; set; } = "123456";
}

public sealed class Route53Credentials
{
    public string AccessKeyId { get; set; } = "AKIASIMROUTE53EXAMPLE";
    public string SecretAccessKey { get; set; } = "simulatorSecretKey/ForRoute53000000000000";
}
