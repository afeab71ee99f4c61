using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Cdn.MaxCdn;

/// <summary>
/// One account's RWS API (<c>{endpoint}{company_alias}/…</c>): every request is signed afresh with the call's clock and a
/// new nonce, answers are read from RWS's envelope, and failures become <see cref="CdnDriverException"/>s through
/// <see cref="VendorHttp"/>.
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
        var reply = await VendorHttp.SendAsync(call, request, "MaxCDN", $"{method.Method} {path}", cancellationToken).ConfigureAwait(false);
        var body = TryParse(reply.Text);
        if (reply.IsSuccess)
        {
            return body ?? new JsonObject();
        }

        if (reply.Status == HttpStatusCode.NotFound && notFoundIsNull)
        {
            return null;
        }

        var message = ErrorField(body, "message") ?? (string.IsNullOrWhiteSpace(reply.Text) ? reply.ReasonPhrase : reply.Text.Trim());
        var type = ErrorField(body, "type");
        throw VendorHttp.Failure(reply, $"MaxCDN refused {method.Method} {path}: {reply.StatusCode} {message}{(type is null ? "" : $" ({type})")}");
    }

    /// <summary>A field of RWS's <c>{"error": {...}}</c>, when the answer has one.</summary>
    private static string? ErrorField(JsonNode? body, string name) =>
        body is JsonObject { } envelope && envelope["error"] is JsonObject error && error[name] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : null;

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
