using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;

namespace Poppy.Portal.Providers.Cdn.MaxCdn;

/// <summary>
/// One account's RWS API (<c>{endpoint}{company_alias}/…</c>): every request is signed afresh with the call's clock and a
/// new nonce, answers are read from RWS's envelope, and failures become <see cref="CdnDriverException"/>s.
/// </summary>
internal sealed class MaxCdnApi
{
    private readonly ProviderCall call;
    private readonly Uri accountBase;
    private readonly MaxCdnOAuthSigner signer;

    public MaxCdnApi(ProviderCall call)
    {
        this.call = call;
        var alias = Credential(call, "company_alias");
        accountBase = new Uri(call.ApiEndpoint, Uri.EscapeDataString(alias) + "/");
        signer = new MaxCdnOAuthSigner(Credential(call, "consumer_key"), Credential(call, "consumer_secret"));
    }

    private Task SignAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        signer.SignAsync(request, call.Clock.GetUtcNow(), Guid.NewGuid().ToString("N"), cancellationToken);

    /// <summary>Sends a signed request; returns the parsed body, or null for a 404 when <paramref name="notFoundIsNull"/>.</summary>
    public async Task<JsonNode?> SendAsync(
        HttpMethod method, string path, IEnumerable<KeyValuePair<string, string>>? form, CancellationToken cancellationToken, bool notFoundIsNull = false,
        bool safeToRepeat = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(accountBase, path));
        request.Options.Set(ProviderRequestOptions.SafeToRepeat, safeToRepeat);
        if (form is not null)
        {
            request.Content = new FormUrlEncodedContent(form);
        }

        request.Options.Set(ProviderRequestOptions.Resign, SignAsync);
        await SignAsync(request, cancellationToken).ConfigureAwait(false);
        HttpResponseMessage response;
        try
        {
            response = await call.Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CdnDriverException($"MaxCDN could not be reached: {ex.Message}", isTransient: true, inner: ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's own timeout, not our caller giving up.
            throw new CdnDriverException("MaxCDN did not answer in time.", isTransient: true, inner: ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var body = TryParse(text);
            if (response.IsSuccessStatusCode)
            {
                return body ?? new JsonObject();
            }

            var status = (int)response.StatusCode;
            if (status == StatusCodes404 && notFoundIsNull)
            {
                return null;
            }

            var message = body?["error"]?["message"]?.GetValue<string>() ?? (string.IsNullOrWhiteSpace(text) ? response.ReasonPhrase : text.Trim());
            var type = body?["error"]?["type"]?.GetValue<string>();
            var transient = status is 408 or 429 || status >= 500;
            throw new CdnDriverException(
                $"MaxCDN refused {method.Method} {path}: {status} {message}{(type is null ? "" : $" ({type})")}",
                transient, status, RetryAfter(response));
        }
    }

    private const int StatusCodes404 = (int)HttpStatusCode.NotFound;

    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - call.Clock.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Credential(ProviderCall call, string key) =>
        call.Credentials.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new CdnDriverException($"The MaxCDN account has no {key}.", isTransient: false);

    /// <summary>A field of an RWS object as text (RWS prints numbers as strings, but not always).</summary>
    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        JsonValue value when value.TryGetValue<long>(out var n) => n.ToString(CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };
}
