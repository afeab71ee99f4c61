using System.Net;
using System.Net.Http.Headers;
using Poppy.Portal.Core.Drivers;

namespace Poppy.Portal.Providers.Http;

/// <summary>A vendor's answer read in full (the response itself is disposed): status, body, headers, and its Retry-After.</summary>
internal sealed record VendorReply(HttpStatusCode Status, string? ReasonPhrase, HttpResponseHeaders Headers, string Text, TimeSpan? RetryAfter)
{
    public int StatusCode => (int)Status;

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    public VendorAnswerKind Kind => VendorAnswers.Classify(Status);

    /// <summary>A response header's first value, without surrounding quotes.</summary>
    public string? Header(string name) =>
        Headers.NonValidated.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim().Trim('"') : null;
}

/// <summary>
/// How every driver talks to its vendor: one request sent on the account's client (<see cref="ProviderCall.Http"/>),
/// tagged with the service it is for; no answer and no answer in time become transient <see cref="CdnDriverException"/>s;
/// an answer is read in full with its <c>Retry-After</c>; and a failed answer becomes an exception whose transience
/// follows <see cref="VendorAnswers"/>, the same rules the account's retries and circuit apply.
/// </summary>
internal static class VendorHttp
{
    /// <summary>
    /// Sends <paramref name="request"/> and reads the answer; throws only when there is none. <paramref name="vendor"/>
    /// and <paramref name="what"/> name the vendor and the call in messages ("Fastly", "GET /service").
    /// </summary>
    public static async Task<VendorReply> SendAsync(ProviderCall call, HttpRequestMessage request, string vendor, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(request);
        if (call.ServiceId != Guid.Empty)
        {
            request.Options.Set(ProviderRequestOptions.ServiceId, call.ServiceId);
        }

        try
        {
            using var response = await call.Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return new VendorReply(response.StatusCode, response.ReasonPhrase, response.Headers, text,
                VendorAnswers.RetryAfter(response, call.Clock.GetUtcNow()));
        }
        catch (HttpRequestException e)
        {
            throw new CdnDriverException($"{vendor} could not be reached ({what}): {e.Message}", isTransient: true, inner: e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The client's own timeout, not the caller giving up.
            throw new CdnDriverException($"{vendor} timed out: no answer to {what} in time.", isTransient: true, inner: e);
        }
    }

    /// <summary>
    /// The exception for a failed answer. Transient as <see cref="VendorAnswers.IsTransient"/> says unless the driver
    /// knows better for a vendor code (<paramref name="transient"/>); a transient error keeps the vendor's Retry-After
    /// (or <paramref name="retryAfter"/>, a vendor's own header), a permanent one has none.
    /// </summary>
    public static CdnDriverException Failure(VendorReply reply, string message, bool? transient = null, TimeSpan? retryAfter = null)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var isTransient = transient ?? VendorAnswers.IsTransient(reply.Kind);
        return new CdnDriverException(message, isTransient, reply.StatusCode, isTransient ? reply.RetryAfter ?? retryAfter : null);
    }

    /// <summary>
    /// Runs a driver's connection test: <paramref name="read"/> makes the cheap authenticated read and returns what it
    /// learned ("3 services"); what the vendor answered instead is turned into an outcome with a reason.
    /// </summary>
    public static async Task<ConnectionTestResult> TestConnectionAsync(string vendor, Func<CancellationToken, Task<string>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            var found = await read(cancellationToken).ConfigureAwait(false);
            return new ConnectionTestResult(ConnectionTestOutcome.Ok, $"{vendor} accepted the credentials: {found}.");
        }
        catch (CdnDriverException e)
        {
            return new ConnectionTestResult(Outcome(e), e.StatusCode switch
            {
                401 or 403 => $"{vendor} refused the credentials: {e.Message}",
                null when e.IsTransient => $"{vendor} is unreachable: {e.Message}",
                502 or 503 or 504 => $"{vendor} is unavailable: {e.Message}",
                _ => e.Message,
            });
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or System.Xml.XmlException or FormatException or InvalidOperationException)
        {
            return new ConnectionTestResult(ConnectionTestOutcome.Unexpected, $"{vendor} gave an answer the portal cannot read: {e.Message}");
        }
    }

    private static ConnectionTestOutcome Outcome(CdnDriverException e) => e.StatusCode switch
    {
        401 or 403 => ConnectionTestOutcome.BadCredentials,
        // No status and not transient: the account lacks a credential, found before anything was sent.
        null => e.IsTransient ? ConnectionTestOutcome.Unreachable : ConnectionTestOutcome.BadCredentials,
        { } status when VendorAnswers.Classify(status) == VendorAnswerKind.Unavailable => ConnectionTestOutcome.Unreachable,
        _ => ConnectionTestOutcome.Unexpected,
    };
}
