using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Cdn.CacheTier;

/// <summary>
/// One request to a node's agent (<c>/api/…</c> with the node's token), its answer read as JSON, and its failure turned
/// into a <see cref="CdnDriverException"/> that names the node, by <see cref="VendorAnswers"/>: no answer, a timeout,
/// 408, 429 or 5xx are transient; every other refusal (400 invalid document, 401 wrong token, 409 a domain held by another
/// service, 422 nginx refused the configuration) is permanent and carries the agent's own words, nginx's error included.
/// </summary>
internal static class CacheTierAgentApi
{
    public const string TokenHeader = "X-Node-Token";

    // Returns the parsed body (an empty object for 204), or null for a 404 when notFoundIsNull. The request goes on the
    // call's client through the drivers' one HTTP helper (tagged with the service, read by the portal's one reading of
    // answers); `contacts` is told whenever the node answered at all, for the Providers page's "last contact".
    public static async Task<JsonNode?> SendAsync(
        ProviderCall call, CacheTierNode node, HttpMethod method, string path, JsonNode? body, CacheTierNodeMonitor? contacts,
        CancellationToken cancellationToken, bool notFoundIsNull = false, bool safeToRepeat = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(node.AgentUrl, path));
        request.Headers.TryAddWithoutValidation(TokenHeader, node.Token);
        request.Options.Set(ProviderRequestOptions.SafeToRepeat, safeToRepeat);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        var what = $"{method.Method} /{path}";
        var reply = await VendorHttp.SendAsync(call, request, Label(node), what, cancellationToken).ConfigureAwait(false);
        contacts?.RecordContact(node.AgentUrl, call.Clock.GetUtcNow());
        var parsed = TryParse(reply.Text);
        if (reply.IsSuccess)
        {
            return parsed ?? new JsonObject();
        }
        if (reply.StatusCode == 404 && notFoundIsNull)
        {
            return null;
        }
        var message = Describe(parsed) ?? (string.IsNullOrWhiteSpace(reply.Text) ? reply.ReasonPhrase : reply.Text.Trim());
        throw VendorHttp.Failure(reply, $"{Label(node)} refused {what}: {reply.StatusCode.ToString(CultureInfo.InvariantCulture)} {message}");
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
