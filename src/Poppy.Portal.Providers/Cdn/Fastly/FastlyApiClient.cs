using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Cdn.Fastly;

/// <summary>
/// Fastly's config API on the wire: form-encoded writes, JSON answers, <c>Fastly-Key</c> auth, and every failure turned
/// into a <see cref="CdnDriverException"/> by <see cref="VendorHttp"/> (429/5xx/timeouts transient with Retry-After or
/// Fastly's rate-limit reset, other 4xx permanent), with Fastly's own <c>msg</c> and <c>detail</c>.
/// </summary>
internal sealed class FastlyApiClient
{
    public const string ApiKeyField = "api_key";

    private readonly ProviderCall call;
    private readonly string apiKey;

    public FastlyApiClient(ProviderCall call)
    {
        this.call = call;
        apiKey = call.Credentials.TryGetValue(ApiKeyField, out var key) && !string.IsNullOrWhiteSpace(key)
            ? key
            : throw new CdnDriverException("The Fastly account has no API token (credential 'api_key').", isTransient: false);
    }

    public Task<JsonNode?> GetAsync(string path, CancellationToken ct, bool notFoundIsNull = false) =>
        SendAsync(HttpMethod.Get, path, null, ct, notFoundIsNull);

    public Task<JsonNode?> PostAsync(string path, IEnumerable<KeyValuePair<string, string>>? form, CancellationToken ct, bool soft = false) =>
        SendAsync(HttpMethod.Post, path, form, ct, soft: soft);

    public Task<JsonNode?> PutAsync(string path, IEnumerable<KeyValuePair<string, string>>? form, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, path, form, ct);

    public Task<JsonNode?> DeleteAsync(string path, CancellationToken ct, bool notFoundIsNull = false) =>
        SendAsync(HttpMethod.Delete, path, null, ct, notFoundIsNull);

    public Task<JsonNode?> PatchJsonAsync(string path, JsonNode body, CancellationToken ct) =>
        SendAsync(HttpMethod.Patch, path, null, ct, json: body);

    private async Task<JsonNode?> SendAsync(
        HttpMethod method, string path, IEnumerable<KeyValuePair<string, string>>? form, CancellationToken ct,
        bool notFoundIsNull = false, bool soft = false, JsonNode? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(call.ApiEndpoint, path));
        request.Headers.TryAddWithoutValidation("Fastly-Key", apiKey);
        request.Headers.Accept.ParseAdd("application/json");
        if (soft)
        {
            request.Headers.TryAddWithoutValidation("Fastly-Soft-Purge", "1");
        }

        if (json is not null)
        {
            request.Content = new StringContent(json.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        }
        else if (form is not null)
        {
            request.Content = new FormUrlEncodedContent(form);
        }

        var reply = await VendorHttp.SendAsync(call, request, "Fastly", $"{method} /{path}", ct).ConfigureAwait(false);
        if (reply.IsSuccess)
        {
            return string.IsNullOrWhiteSpace(reply.Text) ? null : Parse(reply.Text);
        }

        if (notFoundIsNull && reply.Status == HttpStatusCode.NotFound)
        {
            return null;
        }

        throw VendorHttp.Failure(reply, $"Fastly refused {method} /{path} (HTTP {reply.StatusCode}): {ErrorMessage(reply.Text, reply.ReasonPhrase)}",
            retryAfter: RateLimitReset(reply));
    }

    private static JsonNode? Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Legacy <c>{"msg","detail"}</c> or JSON:API <c>{"errors":[{"title","detail"}]}</c>; else the raw text.</summary>
    internal static string ErrorMessage(string body, string? reason)
    {
        var node = Parse(body);
        if (node is JsonObject error)
        {
            var msg = Text(error["msg"]);
            var detail = Text(error["detail"]);
            if (msg is not null)
            {
                return detail is null || detail == msg ? msg : $"{msg}: {detail}";
            }

            if (error["errors"] is JsonArray errors)
            {
                var parts = errors.OfType<JsonObject>()
                    .Select(e => string.Join(": ", new[] { Text(e["title"]), Text(e["detail"]) }.Where(p => p is not null)))
                    .Where(p => p.Length > 0);
                var joined = string.Join("; ", parts);
                if (joined.Length > 0)
                {
                    return joined;
                }
            }
        }

        var trimmed = body.Trim();
        return trimmed.Length > 0 ? trimmed[..Math.Min(trimmed.Length, 300)] : reason ?? "no message";
    }

    /// <summary>Fastly's own rate-limit answer names the end of the hourly window (epoch seconds); used without a Retry-After.</summary>
    private TimeSpan? RateLimitReset(VendorReply reply)
    {
        if (!long.TryParse(reply.Header("Fastly-RateLimit-Reset"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
        {
            return null;
        }

        var now = call.Clock.GetUtcNow();
        var reset = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(epoch, 0, DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        return reset > now ? reset - now : TimeSpan.Zero;
    }

    /// <summary>A JSON value as Fastly means it: numbers and booleans often come back as strings, or the other way round.</summary>
    internal static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        JsonValue value when value.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue value => value.ToJsonString(),
        _ => node.ToJsonString(),
    };
}
