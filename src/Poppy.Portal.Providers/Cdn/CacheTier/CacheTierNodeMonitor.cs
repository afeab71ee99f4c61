using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;

namespace Poppy.Portal.Providers.Cdn.CacheTier;

/// <summary>What a node said about itself (<c>GET /api/node</c>), or why it said nothing.</summary>
/// <param name="AgentUrl">The node's agent.</param>
/// <param name="PublicHost">Where viewers reach it.</param>
/// <param name="Reachable">Whether the agent answered this probe.</param>
/// <param name="Error">Why not, when it did not.</param>
/// <param name="LastContact">When the node last answered this portal process (a probe or a provisioning call); null: never.</param>
/// <param name="NginxVersion">The node's nginx version.</param>
/// <param name="NginxRunning">Whether its nginx runs.</param>
/// <param name="ServicesHeld">How many services the node serves.</param>
/// <param name="LastReloadAt">When nginx was last reloaded.</param>
/// <param name="LastReloadSucceeded">Whether that reload took.</param>
/// <param name="LastReloadError">nginx's error when it did not.</param>
public sealed record CacheTierNodeStatus(
    Uri AgentUrl,
    string PublicHost,
    bool Reachable,
    string? Error,
    DateTimeOffset? LastContact,
    string? NginxVersion,
    bool? NginxRunning,
    int? ServicesHeld,
    DateTimeOffset? LastReloadAt,
    bool? LastReloadSucceeded,
    string? LastReloadError);

/// <summary>
/// One per process: remembers when each node last answered (the driver tells it of every answer), and asks a node how
/// it is with its own client, outside the accounts' provisioning pipelines, so a page's probe never counts towards an
/// account's circuit breaker or rate limit.
/// </summary>
public sealed class CacheTierNodeMonitor : IDisposable
{
    private readonly ConcurrentDictionary<Uri, DateTimeOffset> contacts = new();
    private readonly HttpClient http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        Timeout = Timeout.InfiniteTimeSpan, // each probe sets its own
    };

    /// <summary>The node at <paramref name="agentUrl"/> answered at <paramref name="at"/>.</summary>
    public void RecordContact(Uri agentUrl, DateTimeOffset at) =>
        contacts.AddOrUpdate(agentUrl, at, (_, earlier) => at > earlier ? at : earlier);

    /// <summary>When the node last answered this process; null: never.</summary>
    public DateTimeOffset? LastContact(Uri agentUrl) => contacts.TryGetValue(agentUrl, out var at) ? at : null;

    /// <summary>Asks the node's agent for <c>/api/node</c> with its token, giving up after <paramref name="timeout"/>.</summary>
    public async Task<CacheTierNodeStatus> ProbeAsync(CacheTierNode node, TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            // About the node, not a service: no service id, no credentials beyond the node's token.
            var call = new ProviderCall(Guid.Empty, null, node.AgentUrl, new Dictionary<string, string>(), http, clock);
            var answer = await CacheTierAgentApi.SendAsync(call, node, HttpMethod.Get, "api/node", null, this, limit.Token).ConfigureAwait(false);
            var reload = answer?["last_reload"] as JsonObject;
            return new CacheTierNodeStatus(node.AgentUrl, node.PublicHost, true, null, LastContact(node.AgentUrl),
                Text(answer?["nginx_version"]), Bool(answer?["nginx_running"]), (answer?["services"] as JsonArray)?.Count,
                Time(reload?["at"]), Bool(reload?["succeeded"]), Text(reload?["error"]));
        }
        catch (CdnDriverException e)
        {
            return Unreachable(node, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Unreachable(node, $"{CacheTierAgentApi.Label(node)} did not answer within {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s.");
        }
    }

    /// <inheritdoc />
    public void Dispose() => http.Dispose();

    private CacheTierNodeStatus Unreachable(CacheTierNode node, string error) =>
        new(node.AgentUrl, node.PublicHost, false, error, LastContact(node.AgentUrl), null, null, null, null, null, null);

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static bool? Bool(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : null;

    private static DateTimeOffset? Time(JsonNode? node) =>
        Text(node) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;
}
