using System.Globalization;
using System.Net;

namespace Poppy.Portal.Core.Drivers;

/// <summary>What a vendor's answer (or its absence) says, for retrying the request and for the account's circuit.</summary>
public enum VendorAnswerKind
{
    /// <summary>2xx (or anything below 400): the vendor did what was asked.</summary>
    Success,

    /// <summary>429 or 408: the vendor is up and asks us to slow down. Retried after its Retry-After; never an outage.</summary>
    Throttled,

    /// <summary>
    /// Any other 4xx (bad credentials, a configuration the vendor rejects, a conflict): the vendor is up and refuses
    /// this request. Permanent unless a driver knows the code clears on its own (a version race, CloudFront's throttling).
    /// </summary>
    Refused,

    /// <summary>
    /// 500 and the other 5xx that are not about availability: the vendor failed while handling this request. Retried, and
    /// a sign of an outage only when it is not confined to one service (one service's configuration can provoke it).
    /// </summary>
    ServerError,

    /// <summary>502, 503, 504, no answer at all, or no answer in time: the vendor is down or unreachable.</summary>
    Unavailable,
}

/// <summary>
/// The portal's one reading of vendor answers, shared by the drivers' HTTP helper (what a driver throws) and the provider
/// account's HTTP pipeline (what is retried, and what counts against the account's circuit), so both agree.
/// </summary>
public static class VendorAnswers
{
    public static VendorAnswerKind Classify(HttpStatusCode status) => Classify((int)status);

    public static VendorAnswerKind Classify(int status) => status switch
    {
        < 400 => VendorAnswerKind.Success,
        408 or 429 => VendorAnswerKind.Throttled,
        < 500 => VendorAnswerKind.Refused,
        502 or 503 or 504 => VendorAnswerKind.Unavailable,
        _ => VendorAnswerKind.ServerError,
    };

    /// <summary>Whether repeating the request can help: throttling, a vendor failure or outage; never a refusal.</summary>
    public static bool IsTransient(VendorAnswerKind kind) =>
        kind is VendorAnswerKind.Throttled or VendorAnswerKind.ServerError or VendorAnswerKind.Unavailable;

    /// <summary>
    /// How long the vendor asked us to wait: <c>Retry-After</c> as seconds or as an HTTP-date (measured from
    /// <paramref name="now"/>, never negative); null when the header is absent or unreadable.
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        switch (response.Headers.RetryAfter)
        {
            case { Delta: { } delta }:
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            case { Date: { } date }:
                return Until(date, now);
        }

        // A value the typed header refused (quoted, padded): read the raw text.
        return response.Headers.NonValidated.TryGetValues("Retry-After", out var values)
            ? ParseRetryAfter(values.ToString(), now)
            : null;
    }

    /// <summary>A raw <c>Retry-After</c> value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); null when neither.</summary>
    public static TimeSpan? ParseRetryAfter(string? value, DateTimeOffset now)
    {
        var text = value?.Trim().Trim('"').Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            // Bounded so a vendor's absurd value cannot overflow a TimeSpan; the caller caps what it waits anyway.
            return TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(365).TotalSeconds));
        }

        return DateTimeOffset.TryParseExact(text, HttpDateFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal, out var date)
            ? Until(date, now)
            : null;
    }

    /// <summary>IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must still accept.</summary>
    private static readonly string[] HttpDateFormats =
    [
        "r",
        "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
        "dddd, dd'-'MMM'-'yy HH':'mm':'ss 'GMT'",
        "ddd MMM d HH':'mm':'ss yyyy",
        "ddd MMM  d HH':'mm':'ss yyyy",
    ];

    private static TimeSpan Until(DateTimeOffset date, DateTimeOffset now) => date > now ? date - now : TimeSpan.Zero;
}
