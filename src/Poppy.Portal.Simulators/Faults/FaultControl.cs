namespace Poppy.Portal.Simulators.Faults;

/// <summary>The fault switchboard of one vendor: set a profile, the API and edge pipelines roll against it.</summary>
public sealed class FaultControl
{
    private readonly Lock gate = new();
    private readonly Random random;
    private FaultProfile profile = FaultProfile.None;
    private int throttleRemaining;

    internal FaultControl(CdnVendor vendor, int seed)
        : this(vendor.PathSegment(), seed)
    {
        Vendor = vendor;
    }

    /// <summary>A DNS vendor's switchboard (<paramref name="name"/> is its path segment, e.g. <c>route53</c>).</summary>
    internal FaultControl(string name, int seed)
    {
        Name = name;
        random = new Random(seed);
    }

    /// <summary>The CDN vendor; <see cref="CdnVendor.Fastly"/> (the default) on a DNS vendor's switchboard: read <see cref="Name"/>.</summary>
    public CdnVendor Vendor { get; }

    /// <summary>The vendor's path segment: <c>fastly</c>, …, or a DNS vendor's <c>designate</c>, <c>rackspace-dns</c>, <c>route53</c>.</summary>
    public string Name { get; }

    public FaultProfile Profile
    {
        get
        {
            lock (gate)
            {
                return profile;
            }
        }
    }

    private long lastEdgeDelayTicks;

    /// <summary>The delay the last delayed edge answer really waited (at least the profile's; more when a timer woke late).</summary>
    public TimeSpan LastEdgeDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref lastEdgeDelayTicks));
        internal set => Interlocked.Exchange(ref lastEdgeDelayTicks, value.Ticks);
    }

    /// <summary>Throttled answers still to come from the current burst.</summary>
    public int ThrottleRemaining
    {
        get
        {
            lock (gate)
            {
                return throttleRemaining;
            }
        }
    }

    /// <summary>Replaces the profile; a burst starts counting again.</summary>
    public void Set(FaultProfile value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(value));
        }

        lock (gate)
        {
            profile = value;
            throttleRemaining = value.ThrottleBurst?.Count ?? 0;
        }
    }

    public void Reset() => Set(FaultProfile.None);

    internal FaultDecision NextApiRequest()
    {
        lock (gate)
        {
            var delay = AddedLatency(profile.LatencyMs, profile.JitterMs);
            if (profile.Outage)
            {
                return new(delay, FaultAction.Outage, 0);
            }

            if (throttleRemaining > 0)
            {
                throttleRemaining--;
                return new(delay, FaultAction.Throttle, profile.ThrottleBurst?.RetryAfterSeconds ?? 1);
            }

            // Always roll both, so one rate does not shift the other's sequence.
            var timeoutRoll = random.NextDouble();
            var errorRoll = random.NextDouble();
            if (timeoutRoll < profile.TimeoutRate)
            {
                return new(delay, FaultAction.Timeout, 0);
            }

            return errorRoll < profile.ErrorRate
                ? new(delay, FaultAction.Error, 0)
                : new(delay, FaultAction.None, 0);
        }
    }

    /// <summary>Edges get the vendor's own latency profile plus the fault latency, and the outage.</summary>
    internal FaultDecision NextEdgeRequest(EdgeLatencyProfile? baseline)
    {
        lock (gate)
        {
            var delay = AddedLatency(profile.LatencyMs, profile.JitterMs);
            if (baseline is not null)
            {
                delay += AddedLatency(baseline.BaseMs, baseline.JitterMs);
            }

            return new(delay, profile.Outage ? FaultAction.Outage : FaultAction.None, 0);
        }
    }

    private TimeSpan AddedLatency(int baseMs, int jitterMs) =>
        TimeSpan.FromMilliseconds(baseMs + (jitterMs > 0 ? random.Next(jitterMs + 1) : 0));
}

internal enum FaultAction
{
    None,
    Outage,
    Throttle,
    Timeout,
    Error,
}

internal readonly record struct FaultDecision(TimeSpan Delay, FaultAction Action, int RetryAfterSeconds);
