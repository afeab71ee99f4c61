using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;

namespace Poppy.Portal.Providers.Cdn.CacheTier;

/// <summary>
/// One request to a node's agent (<c>/api/…</c> with the node's token), its answer read as JSON, and its failure turned
/// into a <see cref="CdnDriverException"/> that names the node: no answer, a timeout, 408, 429 or 5xx are transient;
/// every other refusal (400 invalid document, 401 wrong token, 409 a domain held by another service, 422 nginx refused
/// the configuration) is permanent and carries the agent's own words, nginx's error included.
/// </summary>
internal static class CacheTierAgentApi
{
    public const string TokenHeader = "X-Node-Token";

    // Returns the parsed body (an empty object for 204), or null for a 404 when notFoundIsNull. `contacts` is told
    // whenever the node answered at all, for the Providers page's "last contact".
    public static async Task<JsonNode?> SendAsync(
        HttpClient http, CacheTierNode node, HttpMethod method, string path, JsonNode? body, CacheTierNodeMonitor? contacts, TimeProvider clock,
        CancellationToken cancellationToken, bool notFoundIsNull = false, bool safeToRepeat = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(node.AgentUrl, path));
        request.Headers.TryAddWithoutValidation(TokenHeader, node.Token);
        request.Options.Set(ProviderRequestOptions.SafeToRepeat, safeToRepeat);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CdnDriverException($"{Label(node)} could not be reached: {ex.Message}", isTransient: true, inner: ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's own timeout, not our caller giving up.
            throw new CdnDriverException($"{Label(node)} did not answer in time.", isTransient: true, inner: ex);
        }

        using (response)
        {
            contacts?.RecordContact(node.AgentUrl, clock.GetUtcNow());
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var parsed = TryParse(text);
            if (response.IsSuccessStatusCode)
            {
                return parsed ?? new JsonObject();
            }

            var status = (int)response.StatusCode;
            if (status == 404 && notFoundIsNull)
            {
                return null;
            }
            var transient = status is 408 or 429 || status >= 500;
            var message = Describe(parsed) ?? (string.IsNullOrWhiteSpace(text) ? response.ReasonPhrase : text.Trim());
            throw new CdnDriverException(
                $"{Label(node)} refused {method.Method} /{path}: {status.ToString(CultureInfo.InvariantCulture)} {message}",
                transient, status, RetryAfter(response, clock));
        }
    }

    /// <summary>How messages name a node: its agent's address.</summary>
    public static string Label(CacheTierNode node) => $"Cache node {node.AgentUrl.Authority}";

    /// <summary>The agent's <c>error</c>, then its per-field <c>errors</c> and <c>nginx_error</c>, as one message.</summary>
    private static string? Describe(JsonNode? body)
    {
        if (body is not JsonObject answer || answer["error"] is not JsonValue error || !error.TryGetValue<string>(out var message))
        {
            return null;
        }
        var text = new StringBuilder(message);
        if (answer["errors"] is JsonObject fields)
        {
            foreach (var (field, messages) in fields)
            {
                var list = messages is JsonArray array ? string.Join(" ", array.Select(m => m?.ToString())) : messages?.ToString();
                text.Append(' ').Append(field).Append(": ").Append(list).Append(';');
            }
        }
        if (answer["nginx_error"] is JsonValue nginx && nginx.TryGetValue<string>(out var nginxError) && nginxError.Length > 0)
        {
            text.Append(" nginx: ").Append(nginxError.Trim());
        }
        return text.ToString().TrimEnd(';');
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider clock) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - clock.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
