using System.Runtime.ExceptionServices;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Cdn.CacheTier;

/// <summary>
/// The operator's own cache nodes (nginx + <c>Poppy.CacheTier.Agent</c>): every call goes to every node of the account
/// (<see cref="CacheTierNodes"/>), side by side. The agent's API is idempotent by design: a service is a document PUT
/// under the portal's service id (the same document twice is "unchanged"), DELETE of a service not held is 204, so a call
/// repeated after a crash or on a node that already has it does no harm. The agent answers a PUT only once nginx serves
/// the new configuration, so an apply that every node took is deployed at once.
/// </summary>
public sealed class CacheTierDriver(CacheTierNodeMonitor contacts) : ICdnDriver
{
    /// <inheritdoc />
    public ProviderKind Kind => ProviderKind.CacheTier;

    /// <summary>PUTs the service document to every node. A node that fails makes the call fail (the others keep what
    /// they took; the retry finds it there and answers "unchanged").</summary>
    public async Task<ProvisionResult> ApplyAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(spec);
        var nodes = Nodes(call);
        var id = ServiceId(call);
        var (document, warnings) = CacheTierDocument.From(id, spec);
        var body = document.ToJsonNode();
        var answers = await OnEveryNodeAsync(nodes, node =>
            Send(call, node, HttpMethod.Put, ServicePath(id), body, cancellationToken), cancellationToken).ConfigureAwait(false);
        return new ProvisionResult(id, DeploymentState.Deployed, AccessUrls(nodes, spec), Warnings(warnings, nodes, answers));
    }

    /// <summary>
    /// Null when no node holds the service; deployed when every node holds the current document; otherwise in progress
    /// (some node lacks it or holds an older one: applying again brings it level).
    /// </summary>
    public async Task<ProvisionResult?> GetStateAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(spec);
        var nodes = Nodes(call);
        var id = ServiceId(call);
        var (document, warnings) = CacheTierDocument.From(id, spec);
        var wanted = document.ToJsonNode();
        var held = await OnEveryNodeAsync(nodes, node =>
            Send(call, node, HttpMethod.Get, ServicePath(id), null, cancellationToken, notFoundIsNull: true), cancellationToken).ConfigureAwait(false);
        if (held.All(h => h is null))
        {
            return null;
        }
        var current = held.All(h => h?["config"] is { } config && Covers(config, wanted));
        return new ProvisionResult(id, current ? DeploymentState.Deployed : DeploymentState.InProgress, AccessUrls(nodes, spec),
            Warnings(warnings, nodes, held));
    }

    /// <summary>DELETE on every node (204 also where it is not held); the node drops the service's cache with it.</summary>
    public async Task<DeploymentState> DeleteAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var nodes = Nodes(call);
        var id = ServiceId(call);
        await OnEveryNodeAsync(nodes, node => Send(call, node, HttpMethod.Delete, ServicePath(id), null, cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        return DeploymentState.Deployed;
    }

    /// <summary>
    /// Purges <paramref name="url"/> (or everything) on every node: soft marks the copies stale (refreshed at the next
    /// request, served while the origin fails), hard removes them. A node that does not hold the service has nothing
    /// of it cached; when no node holds it, there is nothing to purge and the call fails.
    /// </summary>
    public async Task PurgeAsync(ProviderCall call, ServiceSpec spec, string? url, bool hard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var nodes = Nodes(call);
        var id = ServiceId(call);
        var body = new JsonObject { ["hard"] = hard };
        if (url is not null)
        {
            body["path"] = url.StartsWith('/') ? url : "/" + url;
        }
        // A purge repeated changes nothing more (the copies are already stale or gone), so it may be resent like a GET.
        var answers = await OnEveryNodeAsync(nodes, node => Send(call, node, HttpMethod.Post, ServicePath(id) + "/purge", body.DeepClone(),
            cancellationToken, notFoundIsNull: true, safeToRepeat: true), cancellationToken).ConfigureAwait(false);
        if (answers.All(a => a is null))
        {
            throw new CdnDriverException("No node of this cache-tier account serves the service, so there is nothing to purge.", isTransient: false, statusCode: 404);
        }
    }

    /// <summary>
    /// What a cache node cannot do, said before anything is sent: the driver's own warnings (viewer protocol policy, TTL
    /// bounds, log delivery) and those every agent gives for the document (https domains, dropping query strings). Whether
    /// geography is enforced depends on each node's country database, which only its answer tells, so it is a note here
    /// and, from a node without one, a warning at apply time.
    /// </summary>
    public IReadOnlyList<string> Limitations(ServiceSpec spec, IReadOnlyDictionary<string, string> credentials)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (_, warnings) = CacheTierDocument.From(Guid.Empty.ToString("D"), spec);
        var limitations = warnings.ToList();
        limitations.AddRange(spec.Domains.Where(d => d.Protocol == DomainProtocol.Https).Select(d =>
            $"Domain {d.Domain} is https: a cache node serves plain HTTP and holds no certificates, so TLS must end in front of it."));
        if (!spec.Delivery.ForwardQueryStrings)
        {
            limitations.Add("forward_query_strings=false is not supported by the cache tier: query strings reach the origin and are part of the cache key.");
        }
        if (spec.Restrictions.Any(r => r.Rules.Any(rule => rule.Kind == RestrictionKind.Geography)))
        {
            limitations.Add("Geography restrictions are enforced only by nodes that have a country database (Agent:CountryRangesFile); a node without one says so when the service is applied.");
        }
        return limitations;
    }

    /// <summary>
    /// Asks every node's agent for <c>/api/node</c> with its token. Ok when all answer; otherwise the worst outcome
    /// (a refused token before an unreachable node before anything else), with each node's own result.
    /// </summary>
    public async Task<ConnectionTestResult> TestConnectionAsync(ProviderCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        IReadOnlyList<CacheTierNode> nodes;
        try
        {
            nodes = Nodes(call);
        }
        catch (CdnDriverException e)
        {
            return new ConnectionTestResult(ConnectionTestOutcome.BadCredentials, e.Message);
        }
        var results = await Task.WhenAll(nodes.Select(node => VendorHttp.TestConnectionAsync(CacheTierAgentApi.Label(node), async ct =>
        {
            var answer = await Send(call, node, HttpMethod.Get, "api/node", null, ct).ConfigureAwait(false);
            var version = answer?["nginx_version"]?.GetValue<string>()
                ?? throw new CdnDriverException($"{CacheTierAgentApi.Label(node)} answered without its nginx version.", isTransient: false, 200);
            var running = answer["nginx_running"]?.GetValue<bool>() == true ? "running" : "NOT running";
            return $"nginx {version} {running}, {(answer["services"] as JsonArray)?.Count ?? 0} services";
        }, cancellationToken))).ConfigureAwait(false);
        var worst = results.FirstOrDefault(r => r.Outcome == ConnectionTestOutcome.BadCredentials)
            ?? results.FirstOrDefault(r => r.Outcome == ConnectionTestOutcome.Unreachable)
            ?? results.FirstOrDefault(r => !r.Ok);
        var message = string.Join(" ", results.Select(r => r.Message));
        return new ConnectionTestResult(worst?.Outcome ?? ConnectionTestOutcome.Ok,
            worst is null ? $"All {nodes.Count} cache nodes answered. {message}" : $"{results.Count(r => !r.Ok)} of {nodes.Count} cache nodes failed. {message}");
    }

    /// <summary>The agent's id for the service: the portal's id.</summary>
    public static string ServiceId(ProviderCall call) => call.ServiceId.ToString("D");

    private static string ServicePath(string id) => $"api/services/{id}";

    private Task<JsonNode?> Send(ProviderCall call, CacheTierNode node, HttpMethod method, string path, JsonNode? body,
        CancellationToken cancellationToken, bool notFoundIsNull = false, bool safeToRepeat = false) =>
        CacheTierAgentApi.SendAsync(call, node, method, path, body, contacts, cancellationToken, notFoundIsNull, safeToRepeat);

    private static IReadOnlyList<CacheTierNode> Nodes(ProviderCall call)
    {
        if (!call.Credentials.TryGetValue(CacheTierNodes.CredentialKey, out var text) || string.IsNullOrWhiteSpace(text))
        {
            throw new CdnDriverException("The cache-tier account lists no nodes.", isTransient: false);
        }
        var (nodes, errors) = CacheTierNodes.Parse(text);
        return errors.Count == 0
            ? nodes
            : throw new CdnDriverException($"The cache-tier account's node list is invalid: {string.Join(" ", errors)}", isTransient: false);
    }

    /// <summary>Each domain at every node's public host (DNS, or steering, chooses among them).</summary>
    private static List<AccessUrl> AccessUrls(IReadOnlyList<CacheTierNode> nodes, ServiceSpec spec) =>
        spec.Domains.SelectMany(d => nodes.Select(n => new AccessUrl(d.Domain, CacheTierNodes.AccessUrl(n), null))).ToList();

    /// <summary>
    /// The driver's warnings, then the nodes' (the agent's <c>warnings</c>): a warning every node gave once, as it is;
    /// one only some nodes gave, with their names.
    /// </summary>
    private static List<string> Warnings(IReadOnlyList<string> own, IReadOnlyList<CacheTierNode> nodes, IReadOnlyList<JsonNode?> answers)
    {
        var byNode = answers.Select(a => (a?["warnings"] as JsonArray ?? []).Select(w => w?.GetValue<string>()).OfType<string>().ToList()).ToList();
        var result = own.ToList();
        foreach (var warning in byNode.SelectMany(w => w).Distinct())
        {
            var from = nodes.Where((_, i) => byNode[i].Contains(warning)).ToList();
            result.Add(from.Count == nodes.Count ? warning : $"{string.Join(", ", from.Select(CacheTierAgentApi.Label))}: {warning}");
        }
        return result;
    }

    /// <summary>Whether the document a node holds has every field of <paramref name="wanted"/> with its value (the agent
    /// may add fields of its own, e.g. defaults of a newer version).</summary>
    internal static bool Covers(JsonNode held, JsonNode wanted) => (held, wanted) switch
    {
        (JsonObject h, JsonObject w) => w.All(p => p.Value is null ? h[p.Key] is null : h[p.Key] is { } value && Covers(value, p.Value)),
        (JsonArray h, JsonArray w) => h.Count == w.Count && h.Zip(w).All(pair => pair.First is not null && pair.Second is not null && Covers(pair.First, pair.Second)),
        _ => JsonNode.DeepEquals(held, wanted),
    };

    /// <summary>
    /// Runs <paramref name="action"/> on every node at once and waits for all. When some fail, one error names each failed
    /// node; it is permanent when any node's refusal is (repeating cannot fix that node), transient otherwise.
    /// </summary>
    private static async Task<IReadOnlyList<T>> OnEveryNodeAsync<T>(
        IReadOnlyList<CacheTierNode> nodes, Func<CacheTierNode, Task<T>> action, CancellationToken cancellationToken)
    {
        var tasks = nodes.Select(action).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception) when (tasks.Any(t => t.IsFaulted))
        {
            // Every node's outcome is read below.
        }
        cancellationToken.ThrowIfCancellationRequested();
        var failures = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException ?? t.Exception).ToList();
        if (failures.Count == 0)
        {
            return tasks.Select(t => t.Result).ToList();
        }
        if (failures.FirstOrDefault(f => f is not CdnDriverException && !ProviderResilience.IsTransient(f)) is { } unexpected)
        {
            ExceptionDispatchInfo.Throw(unexpected); // a bug, not a node's answer: as it is
        }
        if (nodes.Count == 1)
        {
            ExceptionDispatchInfo.Throw(failures[0]); // one node: its own error (an open circuit stays an open circuit)
        }
        var permanent = failures.Where(f => !ProviderResilience.IsTransient(f)).ToList();
        var retryAfter = failures.OfType<CdnDriverException>().Select(f => f.RetryAfter).Max();
        var message = $"{failures.Count} of {nodes.Count} cache nodes failed: {string.Join(" | ", failures.Select(f => f.Message))}";
        throw new CdnDriverException(message, isTransient: permanent.Count == 0,
            statusCode: (permanent.FirstOrDefault() as CdnDriverException)?.StatusCode, retryAfter: permanent.Count == 0 ? retryAfter : null,
            inner: failures[0]);
    }
}
