using System.Net;
using Poppy.Portal.Core.Drivers;

namespace Poppy.Portal.Core.Tests.Features;

/// <summary>The one reading of vendor answers that drivers, request retries and the account circuit share.</summary>
public sealed class VendorAnswersTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(200, VendorAnswerKind.Success)]
    [InlineData(204, VendorAnswerKind.Success)]
    [InlineData(304, VendorAnswerKind.Success)]
    [InlineData(400, VendorAnswerKind.Refused)]
    [InlineData(401, VendorAnswerKind.Refused)]
    [InlineData(403, VendorAnswerKind.Refused)]
    [InlineData(404, VendorAnswerKind.Refused)]
    [InlineData(409, VendorAnswerKind.Refused)]
    [InlineData(412, VendorAnswerKind.Refused)]
    [InlineData(422, VendorAnswerKind.Refused)]
    [InlineData(408, VendorAnswerKind.Throttled)]
    [InlineData(429, VendorAnswerKind.Throttled)]
    [InlineData(500, VendorAnswerKind.ServerError)]
    [InlineData(501, VendorAnswerKind.ServerError)]
    [InlineData(507, VendorAnswerKind.ServerError)]
    [InlineData(502, VendorAnswerKind.Unavailable)]
    [InlineData(503, VendorAnswerKind.Unavailable)]
    [InlineData(504, VendorAnswerKind.Unavailable)]
    public void Each_status_is_classified(int status, VendorAnswerKind expected) =>
        Assert.Equal(expected, VendorAnswers.Classify(status));

    [Fact]
    public void Only_throttling_and_vendor_failures_are_worth_repeating()
    {
        Assert.True(VendorAnswers.IsTransient(VendorAnswerKind.Throttled));
        Assert.True(VendorAnswers.IsTransient(VendorAnswerKind.ServerError));
        Assert.True(VendorAnswers.IsTransient(VendorAnswerKind.Unavailable));
        Assert.False(VendorAnswers.IsTransient(VendorAnswerKind.Refused));
        Assert.False(VendorAnswers.IsTransient(VendorAnswerKind.Success));
    }

    [Theory]
    [InlineData("120", 120)]
    [InlineData("0", 0)]
    [InlineData(" 7 ", 7)]
    [InlineData("\"7\"", 7)]
    [InlineData("Fri, 04 Dec 2026 12:00:30 GMT", 30)]
    [InlineData("Friday, 04-Dec-26 12:01:00 GMT", 60)]
    [InlineData("Fri Dec  4 12:00:05 2026", 5)]
    [InlineData("Fri, 04 Dec 2026 11:59:00 GMT", 0)]
    public void Retry_after_is_read_as_seconds_or_as_an_http_date_from_the_given_clock(string value, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), VendorAnswers.ParseRetryAfter(value, Now));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("2026-12-04T12:00:30Z")]
    public void A_retry_after_that_is_neither_is_ignored(string? value) => Assert.Null(VendorAnswers.ParseRetryAfter(value, Now));

    [Fact]
    public void An_absurd_number_of_seconds_is_capped_instead_of_overflowing() =>
        Assert.Equal(TimeSpan.FromDays(365), VendorAnswers.ParseRetryAfter("99999999999999999", Now));

    [Fact]
    public void The_header_of_a_response_is_read_typed_or_raw()
    {
        using var seconds = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        seconds.Headers.TryAddWithoutValidation("Retry-After", "42");
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.TryAddWithoutValidation("Retry-After", "Fri, 04 Dec 2026 12:02:00 GMT");
        using var quoted = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        quoted.Headers.TryAddWithoutValidation("Retry-After", "\"9\"");
        using var none = new HttpResponseMessage(HttpStatusCode.TooManyRequests);

        Assert.Equal(TimeSpan.FromSeconds(42), VendorAnswers.RetryAfter(seconds, Now));
        Assert.Equal(TimeSpan.FromMinutes(2), VendorAnswers.RetryAfter(date, Now));
        Assert.Equal(TimeSpan.FromSeconds(9), VendorAnswers.RetryAfter(quoted, Now));
        Assert.Null(VendorAnswers.RetryAfter(none, Now));
    }
}
