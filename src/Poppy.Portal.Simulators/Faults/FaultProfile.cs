namespace Poppy.Portal.Simulators.Faults;

/// <summary>
/// What goes wrong at one vendor. Also the JSON body of <c>POST {base}/_faults/{vendor}</c>:
/// <c>{latencyMs, jitterMs, errorRate, throttleBurst:{count, retryAfterSeconds}, timeoutRate, outage, failMatching:{text, status}}</c>.
/// </summary>
public sealed record FaultProfile
{
    public static FaultProfile None { get; } = new();

    /// <summary>Added to every API and edge request (real time).</summary>
    public int LatencyMs { get; init; }

    /// <summary>Uniform extra latency in [0, JitterMs].</summary>
    public int JitterMs { get; init; }

    /// <summary>Share of API requests answered with the vendor's 503.</summary>
    public double ErrorRate { get; init; }

    /// <summary>The next <c>Count</c> API requests are throttled with the vendor's 429 and <c>Retry-After</c>.</summary>
    public ThrottleBurst? ThrottleBurst { get; init; }

    /// <summary>Share of API requests that hang until the client gives up (then the connection is dropped).</summary>
    public double TimeoutRate { get; init; }

    /// <summary>Every API and edge request gets the vendor's 503.</summary>
    public bool Outage { get; init; }

    /// <summary>
    /// Authenticated API requests whose path, query or body contain a text are answered with the vendor's error of a
    /// given status: a vendor that chokes on one service's configuration (a 500) or refuses it (a 4xx) while it serves
    /// every other request.
    /// </summary>
    public FailingRequests? FailMatching { get; init; }

    internal string? Validate()
    {
        if (LatencyMs < 0 || JitterMs < 0)
        {
            return "latencyMs and jitterMs must not be negative";
        }

        if (ErrorRate is < 0 or > 1 || TimeoutRate is < 0 or > 1)
        {
            return "errorRate and timeoutRate must be between 0 and 1";
        }

        if (ThrottleBurst is { } burst && (burst.Count < 0 || burst.RetryAfterSeconds < 0))
        {
            return "throttleBurst.count and throttleBurst.retryAfterSeconds must not be negative";
        }

        if (FailMatching is { } failing && (string.IsNullOrEmpty(failing.Text) || failing.Status is < 400 or > 599))
        {
            return "failMatching.text must not be empty and failMatching.status must be a 4xx or 5xx";
        }

        return null;
    }
}

public sealed record ThrottleBurst(int Count, int RetryAfterSeconds);

/// <param name="Text">Matched as is (ordinal) against the path and query as received and the body's text: use letters,
/// digits and '-', which no encoding changes.</param>
/// <param name="Status">The status of the vendor's error answer.</param>
public sealed record FailingRequests(string Text, int Status = 500);
