using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;

namespace Poppy.Portal.Providers.Cdn.Fastly;

/// <summary>
/// Fastly's config API on the wire: form-encoded writes, JSON answers, <c>Fastly-Key</c> auth, and every failure turned
/// into a <see cref="CdnDriverException"/> (429/5xx/timeouts transient with Retry-After, other 4xx permanent with
/// Fastly's own <c>msg</c> and <c>detail</c>).
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

        HttpResponseMessage response;
        try
        {
            response = await call.Http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new CdnDriverException($"Fastly did not answer {method} /{path} in time.", isTransient: true, inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new CdnDriverException($"Fastly could not be reached ({method} /{path}): {e.Message}", isTransient: true, inner: e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return string.IsNullOrWhiteSpace(text) ? null : Parse(text);
            }

            if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            var status = (int)response.StatusCode;
            var transient = status is 408 or 429 || status >= 500;
            throw new CdnDriverException(
                $"Fastly refused {method} /{path} (HTTP {status}): {ErrorMessage(text, response.ReasonPhrase)}",
                transient, status, transient ? RetryAfter(response) : null);
        }
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

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var now = call.Clock.GetUtcNow();
        if (response.Headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta)
            {
                return delta;
            }

            if (retryAfter.Date is { } date)
            {
                return date > now ? date - now : TimeSpan.Zero;
            }
        }

        // Fastly's own rate-limit answer names the end of the hourly window (epoch seconds).
        if (response.Headers.TryGetValues("Fastly-RateLimit-Reset", out var values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
        {
            var reset = DateTimeOffset.FromUnixTimeSeconds(epoch);
            return reset > now ? reset - now : TimeSpan.Zero;
        }

        return null;
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
