namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>How provisioning talks to vendors (section <c>Portal:Provisioning</c>). The defaults suit real vendors.</summary>
public sealed class ProvisioningOptions
{
    public const string Section = "Portal:Provisioning";

    /// <summary>One vendor call (a whole driver step, all its requests) may take this long before it counts as a timeout.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries within one job run, with jittered exponential backoff from <see cref="RetryBaseDelay"/>.</summary>
    public int RetriesPerRun { get; set; } = 4;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two retries in one run; a longer Retry-After ends the run and the job comes back later.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After a run ends on a transient error, the next run of the operation starts this much later (doubling each time).</summary>
    public TimeSpan RescheduleDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Vendor calls an operation may make in all before it fails with the last error.</summary>
    public int MaxAttempts { get; set; } = 30;

    /// <summary>How often a vendor that is still rolling a change out (CloudFront, Akamai) is asked again.</summary>
    public TimeSpan DeploymentPollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often pending operations without a scheduled job are looked for (after a crash between save and schedule).</summary>
    public TimeSpan RecoverySweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    public ProviderLimits Limits { get; set; } = new();

    public CircuitBreakerSettings CircuitBreaker { get; set; } = new();
}

/// <summary>Limits per provider account, so one busy account cannot exceed the vendor's quotas or starve the others.</summary>
public sealed class ProviderLimits
{
    /// <summary>Vendor requests in flight at once per account.</summary>
    public int MaxConcurrentRequests { get; set; } = 32;

    /// <summary>Vendor requests started per second per account (token bucket; short bursts up to this many).</summary>
    public int RequestsPerSecond { get; set; } = 200;
}

/// <summary>
/// Per provider account: when that share of vendor requests fails (5xx, no answer), requests stop for
/// <see cref="BreakDuration"/>.
/// </summary>
public sealed class CircuitBreakerSettings
{
    public double FailureRatio { get; set; } = 0.5;

    public int MinimumThroughput { get; set; } = 10;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
