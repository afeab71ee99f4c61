using Poppy.Portal.Core.Configuration;

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

    /// <summary>How long a provider account's Test connection waits for the vendor before it reports it unreachable.</summary>
    public TimeSpan ConnectionTestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public ProviderLimits Limits { get; set; } = new();

    public CircuitBreakerSettings CircuitBreaker { get; set; } = new();

    /// <summary>
    /// What the settings must be, checked at start. The bounds are those of the Polly strategies and rate limiters
    /// built from them (a circuit needs at least 2 requests and half a second, a timeout at least 10 ms), so that a bad
    /// value stops the host instead of the first vendor call.
    /// </summary>
    public static void Check(ProvisioningOptions o, SettingChecks check)
    {
        var day = TimeSpan.FromDays(1);
        check.Between(nameof(AttemptTimeout), o.AttemptTimeout, TimeSpan.FromMilliseconds(10), day)
            .Between(nameof(RetriesPerRun), o.RetriesPerRun, 0, 100)
            .Between(nameof(RetryBaseDelay), o.RetryBaseDelay, TimeSpan.Zero, day)
            .Between(nameof(RetryMaxDelay), o.RetryMaxDelay, TimeSpan.Zero, day)
            // Compared only when RetryMaxDelay is itself valid, so one bad value gives one message.
            .Require(nameof(RetryBaseDelay), o.RetryMaxDelay < TimeSpan.Zero || o.RetryBaseDelay <= o.RetryMaxDelay, o.RetryBaseDelay,
                $"at most {nameof(RetryMaxDelay)} ({o.RetryMaxDelay:c})")
            .Positive(nameof(RescheduleDelay), o.RescheduleDelay, day)
            .AtLeast(nameof(MaxAttempts), o.MaxAttempts, 1)
            .Positive(nameof(DeploymentPollInterval), o.DeploymentPollInterval, day)
            .Positive(nameof(RecoverySweepInterval), o.RecoverySweepInterval, day)
            .Between(nameof(ConnectionTestTimeout), o.ConnectionTestTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10))
            .AtLeast("Limits:MaxConcurrentRequests", o.Limits.MaxConcurrentRequests, 1)
            .AtLeast("Limits:RequestsPerSecond", o.Limits.RequestsPerSecond, 1);
        var circuit = o.CircuitBreaker;
        var minimumWindow = TimeSpan.FromMilliseconds(500);
        check.Require("CircuitBreaker:FailureRatio", circuit.FailureRatio is > 0 and <= 1, circuit.FailureRatio,
                "more than 0 and at most 1 (the share of failed requests that opens the circuit)")
            .AtLeast("CircuitBreaker:MinimumThroughput", circuit.MinimumThroughput, 2)
            .Between("CircuitBreaker:SamplingDuration", circuit.SamplingDuration, minimumWindow, day)
            .Between("CircuitBreaker:BreakDuration", circuit.BreakDuration, minimumWindow, day);
    }
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
/// Per provider account: when that share of vendor requests fails (the vendor down or failing; see
/// <see cref="CircuitFailureRule"/> for what counts), requests stop for <see cref="BreakDuration"/>.
/// </summary>
public sealed class CircuitBreakerSettings
{
    public double FailureRatio { get; set; } = 0.5;

    public int MinimumThroughput { get; set; } = 10;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
