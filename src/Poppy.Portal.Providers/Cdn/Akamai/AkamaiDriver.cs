using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Cdn.Akamai;

/// <summary>Settings of the Akamai driver that are not per account.</summary>
public sealed class AkamaiDriverOptions
{
    /// <summary>The PAPI product new properties, edge hostnames and CP codes are made for.</summary>
    public string ProductId { get; set; } = "prd_Fresca";

    /// <summary>Who Akamai mails about activations (PAPI requires at least one address).</summary>
    public string NotifyEmail { get; set; } = "cdn-operations@poppy-portal.local";
}

/// <summary>
/// Akamai over PAPI and Fast Purge (CCU v3), EdgeGrid-signed. One property per portal service, named
/// <c>poppy-{service id}</c> and found by that name before anything is created; each change goes into a new version
/// (created from the latest with its etag once the latest was submitted for activation) and is activated on
/// production. A repeated apply whose hostnames and rules equal the latest version's changes nothing.
/// </summary>
public sealed class AkamaiDriver(AkamaiDriverOptions? options = null) : ICdnDriver
{
    private const string Production = "PRODUCTION";
    private static readonly string[] SettledStatuses = ["ACTIVE", "INACTIVE", "DEACTIVATED", "FAILED", "ABORTED"];

    private readonly AkamaiDriverOptions options = options ?? new AkamaiDriverOptions();

    /// <inheritdoc />
    public ProviderKind Kind => ProviderKind.Akamai;

    /// <summary>Reads PAPI's groups: the credentials work when they list a group with a contract to create properties in.</summary>
    public Task<ConnectionTestResult> TestConnectionAsync(ProviderCall call, CancellationToken cancellationToken) =>
        VendorHttp.TestConnectionAsync("Akamai", async ct =>
        {
            ArgumentNullException.ThrowIfNull(call);
            var groups = await new AkamaiApiClient(call).GetAsync("papi/v1/groups", ct).ConfigureAwait(false);
            var items = (groups?["groups"]?["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var withContract = items.Count(g => g["contractIds"] is JsonArray { Count: > 0 });
            return withContract > 0
                ? $"{items.Count} group{(items.Count == 1 ? "" : "s")}, {withContract} with a contract"
                : throw new CdnDriverException("Akamai accepted the credentials, but the API client sees no group with a contract to create properties in.",
                    isTransient: false);
        }, cancellationToken);

    /// <summary>The property name that ties a property to the portal's service.</summary>
    public static string PropertyName(Guid serviceId) => $"poppy-{serviceId:D}";

    /// <inheritdoc />
    public IReadOnlyList<string> Limitations(ServiceSpec spec, IReadOnlyDictionary<string, string> credentials) =>
        AkamaiRuleTree.Build(spec, cpCode: 0).Warnings;

    /// <inheritdoc />
    public async Task<ProvisionResult> ApplyAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(spec);
        var ct = cancellationToken;
        var api = new AkamaiApiClient(call);
        var q = await ContractQueryAsync(api, call, ct);
        var name = PropertyName(call.ServiceId);

        var property = await FindPropertyAsync(api, q, call, ct);
        string propertyId;
        if (property is null)
        {
            var created = await api.SendAsync(HttpMethod.Post, $"papi/v1/properties?{q}",
                new JsonObject { ["productId"] = options.ProductId, ["propertyName"] = name, ["ruleFormat"] = "latest" }, ct);
            propertyId = IdFromLink(created, "propertyLink");
            property = await GetPropertyAsync(api, q, propertyId, ct) ?? throw new CdnDriverException($"Akamai lost the new property {propertyId}.", isTransient: true);
        }

        propertyId = Text(property, "propertyId")!;
        var latest = Int(property, "latestVersion") ?? 1;
        // Independent reads, asked at once: each is a round trip to Akamai.
        var activationsRead = ActivationsAsync(api, q, propertyId, ct);
        var latestRulesRead = api.GetAsync($"papi/v1/properties/{propertyId}/versions/{latest}/rules?{q}", ct);
        var latestHostnamesRead = api.GetAsync($"papi/v1/properties/{propertyId}/versions/{latest}/hostnames?{q}", ct);
        await Task.WhenAll(activationsRead, latestRulesRead, latestHostnamesRead);
        var (activations, latestRules, latestHostnames) = (activationsRead.Result, latestRulesRead.Result, latestHostnamesRead.Result);

        var warnings = new List<string>();
        var cpCode = AkamaiRuleTree.CpCodeOf(latestRules?["rules"] as JsonObject)
            ?? await EnsureCpCodeAsync(api, q, name, propertyId, warnings, ct);
        var edgeHostnames = await EnsureEdgeHostnamesAsync(api, q, spec, latestHostnames, ct);
        var hostnames = new JsonArray([.. spec.Domains.Select(d => (JsonNode)new JsonObject
        {
            ["cnameType"] = "EDGE_HOSTNAME",
            ["cnameFrom"] = d.Domain.ToLowerInvariant(),
            ["edgeHostnameId"] = edgeHostnames[d.Domain].Id,
            ["certProvisioningType"] = "CPS_MANAGED",
        })]);
        var (rules, ruleWarnings) = AkamaiRuleTree.Build(spec, cpCode);
        warnings.AddRange(ruleWarnings);

        var unchanged = JsonNode.DeepEquals(latestRules?["rules"], rules) && SameHostnames(latestHostnames, hostnames);
        if (!unchanged)
        {
            // A version once submitted for activation is locked: changes go into a new one made from it.
            if (activations.Any(a => Int(a, "propertyVersion") == latest))
            {
                var version = await api.GetAsync($"papi/v1/properties/{propertyId}/versions/{latest}?{q}", ct);
                var etag = Text(version?["versions"]?["items"]?[0] as JsonObject, "etag");
                var created = await api.SendAsync(HttpMethod.Post, $"papi/v1/properties/{propertyId}/versions?{q}",
                    new JsonObject { ["createFromVersion"] = latest, ["createFromVersionEtag"] = etag }, ct);
                latest = int.Parse(IdFromLink(created, "versionLink"), CultureInfo.InvariantCulture);
            }

            await api.SendAsync(HttpMethod.Put, $"papi/v1/properties/{propertyId}/versions/{latest}/hostnames?{q}", hostnames, ct);
            // Writing the hostnames gave the version a new etag: read it for the rules' If-Match.
            var current = await api.GetAsync($"papi/v1/properties/{propertyId}/versions/{latest}/rules?{q}", ct);
            var written = await api.SendAsync(HttpMethod.Put, $"papi/v1/properties/{propertyId}/versions/{latest}/rules?{q}",
                new JsonObject { ["rules"] = rules }, ct, AkamaiApiClient.RulesContentType, ifMatch: Text(current as JsonObject, "etag"));
            if (written?["errors"] is JsonArray { Count: > 0 } errors)
            {
                throw new CdnDriverException($"Akamai refused the rule tree of {propertyId} v{latest}: {errors[0]?["detail"]}", isTransient: false, 400);
            }

            foreach (var warning in (written?["warnings"] as JsonArray ?? []).OfType<JsonObject>())
            {
                warnings.Add($"Akamai: {warning["detail"] ?? warning["title"]}");
            }
        }

        var accessUrls = spec.Domains.Select(d => new AccessUrl(d.Domain, edgeHostnames[d.Domain].Domain, null)).ToList();
        var state = await ActivateAsync(api, q, propertyId, latest, Int(property, "productionVersion"), activations, ct);
        return new ProvisionResult(propertyId, state, accessUrls, warnings);
    }

    /// <inheritdoc />
    public async Task<ProvisionResult?> GetStateAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(spec);
        var api = new AkamaiApiClient(call);
        var q = await ContractQueryAsync(api, call, cancellationToken);
        if (await FindPropertyAsync(api, q, call, cancellationToken) is not { } property)
        {
            return null;
        }

        var propertyId = Text(property, "propertyId")!;
        var latest = Int(property, "latestVersion");
        var state = Int(property, "productionVersion") == latest ? DeploymentState.Deployed : DeploymentState.InProgress;
        // Both reads at once (a round trip each); the activations only matter while the version is not yet serving.
        var hostnamesRead = api.GetAsync($"papi/v1/properties/{propertyId}/versions/{latest}/hostnames?{q}", cancellationToken);
        var activationsRead = state == DeploymentState.InProgress ? ActivationsAsync(api, q, propertyId, cancellationToken) : null;
        await Task.WhenAll(activationsRead is null ? [hostnamesRead] : [hostnamesRead, activationsRead]);
        var hostnames = hostnamesRead.Result;
        var accessUrls = (hostnames?["hostnames"]?["items"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(h => new AccessUrl(Text(h, "cnameFrom")!, Text(h, "cnameTo")!, null)).ToList();
        if (activationsRead is not null)
        {
            // A failed activation never turns ACTIVE: say so instead of waiting for ever (a new apply activates again).
            var last = activationsRead.Result
                .FirstOrDefault(a => Text(a, "network") == Production && Int(a, "propertyVersion") == latest);
            if (Text(last, "status") is "FAILED" or "ABORTED")
            {
                throw new CdnDriverException($"Akamai's activation {Text(last, "activationId")} of {propertyId} v{latest} on production ended {Text(last, "status")}.",
                    isTransient: false);
            }
        }

        return new ProvisionResult(propertyId, state, accessUrls, AkamaiRuleTree.Build(spec, 0).Warnings);
    }

    /// <inheritdoc />
    public async Task<DeploymentState> DeleteAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var ct = cancellationToken;
        var api = new AkamaiApiClient(call);
        var q = await ContractQueryAsync(api, call, ct);
        if (await FindPropertyAsync(api, q, call, ct) is not { } property)
        {
            return DeploymentState.Deployed;
        }

        var propertyId = Text(property, "propertyId")!;
        var activations = await ActivationsAsync(api, q, propertyId, ct);
        if (activations.Any(IsPending))
        {
            return DeploymentState.InProgress;
        }

        // PAPI refuses to delete a property that serves on a network: deactivate wherever it is active first.
        var deactivating = false;
        foreach (var (network, field) in new[] { (Production, "productionVersion"), ("STAGING", "stagingVersion") })
        {
            if (Int(property, field) is { } active)
            {
                await api.SendAsync(HttpMethod.Post, $"papi/v1/properties/{propertyId}/activations?{q}", new JsonObject
                {
                    ["propertyVersion"] = active,
                    ["network"] = network,
                    ["activationType"] = "DEACTIVATE",
                    ["notifyEmails"] = new JsonArray(options.NotifyEmail),
                    ["acknowledgeAllWarnings"] = true,
                }, ct);
                deactivating = true;
            }
        }

        if (deactivating)
        {
            return DeploymentState.InProgress;
        }

        await api.SendAsync(HttpMethod.Delete, $"papi/v1/properties/{propertyId}?{q}", null, ct, allowNotFound: true);
        return DeploymentState.Deployed;
    }

    /// <inheritdoc />
    public async Task PurgeAsync(ProviderCall call, ServiceSpec spec, string? url, bool hard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(spec);
        var api = new AkamaiApiClient(call);
        var action = hard ? "delete" : "invalidate";
        if (url is not null)
        {
            // Checked and escaped: the path follows the domain in each purged URL.
            var path = PurgePath.ForRequest(url, "Akamai");
            var objects = spec.Domains.Select(d => (JsonNode)$"{(d.Protocol == DomainProtocol.Https ? "https" : "http")}://{d.Domain.ToLowerInvariant()}{path}");
            await api.SendAsync(HttpMethod.Post, $"ccu/v3/{action}/url/production", new JsonObject { ["objects"] = new JsonArray([.. objects]) }, cancellationToken,
                safeToRepeat: true); // purging twice is purging
            return;
        }

        // Everything: the property's CP code (every object it serves is reported under it).
        var q = await ContractQueryAsync(api, call, cancellationToken);
        var property = await FindPropertyAsync(api, q, call, cancellationToken)
            ?? throw new CdnDriverException($"Akamai has no property {PropertyName(call.ServiceId)} to purge.", isTransient: false, 404);
        var propertyId = Text(property, "propertyId")!;
        var version = Int(property, "productionVersion") ?? Int(property, "latestVersion");
        var rules = await api.GetAsync($"papi/v1/properties/{propertyId}/versions/{version}/rules?{q}", cancellationToken);
        var cpCode = AkamaiRuleTree.CpCodeOf(rules?["rules"] as JsonObject)
            ?? throw new CdnDriverException($"Akamai property {propertyId} has no CP code to purge by.", isTransient: false);
        await api.SendAsync(HttpMethod.Post, $"ccu/v3/{action}/cpcode/production", new JsonObject { ["objects"] = new JsonArray(cpCode) }, cancellationToken,
            safeToRepeat: true);
    }

    /// <summary>
    /// Activates <paramref name="version"/> on production unless it serves there already (as <paramref name="production"/>,
    /// read with <paramref name="activations"/> when the apply began, says) or is being activated.
    /// </summary>
    private async Task<DeploymentState> ActivateAsync(
        AkamaiApiClient api, string q, string propertyId, int version, int? production, IReadOnlyList<JsonObject> activations, CancellationToken ct)
    {
        if (production == version)
        {
            return DeploymentState.Deployed;
        }

        if (activations.FirstOrDefault(a => IsPending(a) && Text(a, "network") == Production) is { } pending)
        {
            if (Int(pending, "propertyVersion") == version && Text(pending, "activationType") != "DEACTIVATE")
            {
                return DeploymentState.InProgress;
            }

            // Production takes one activation at a time: the new version goes out once the earlier one is done.
            throw new CdnDriverException($"Akamai is still activating {propertyId} v{Int(pending, "propertyVersion")} on production; v{version} waits for it.",
                isTransient: true, 422, TimeSpan.FromMinutes(1));
        }

        await api.SendAsync(HttpMethod.Post, $"papi/v1/properties/{propertyId}/activations?{q}", new JsonObject
        {
            ["propertyVersion"] = version,
            ["network"] = Production,
            ["notifyEmails"] = new JsonArray(options.NotifyEmail),
            ["acknowledgeAllWarnings"] = true,
        }, ct);
        return DeploymentState.InProgress;
    }

    /// <summary>
    /// The account's contract and group (the API client's first group), as PAPI's query string. Every call needs it and
    /// it hardly ever changes, so it is asked for once per API client and ten minutes.
    /// </summary>
    private async Task<string> ContractQueryAsync(AkamaiApiClient api, ProviderCall call, CancellationToken ct)
    {
        var key = $"{call.ApiEndpoint}|{call.Credentials.GetValueOrDefault("client_token")}";
        var now = call.Clock.GetUtcNow();
        if (contractQueries.TryGetValue(key, out var known) && known.Until > now)
        {
            return known.Query;
        }

        var query = await ReadContractQueryAsync(api, ct);
        contractQueries[key] = (query, now + ContractQueryLifetime);
        return query;
    }

    private static readonly TimeSpan ContractQueryLifetime = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, (string Query, DateTimeOffset Until)> contractQueries = new();

    private static async Task<string> ReadContractQueryAsync(AkamaiApiClient api, CancellationToken ct)
    {
        var groups = await api.GetAsync("papi/v1/groups", ct);
        var group = (groups?["groups"]?["items"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(g => g["contractIds"] is JsonArray { Count: > 0 })
            ?? throw new CdnDriverException("The Akamai API client has no group with a contract.", isTransient: false);
        return $"contractId={Uri.EscapeDataString(group["contractIds"]![0]!.ToString())}&groupId={Uri.EscapeDataString(Text(group, "groupId")!)}";
    }

    /// <summary>The service's property: the remembered id when it still carries the service's name, else by name.</summary>
    private static async Task<JsonObject?> FindPropertyAsync(AkamaiApiClient api, string q, ProviderCall call, CancellationToken ct)
    {
        var name = PropertyName(call.ServiceId);
        if (call.ProviderServiceId is { Length: > 0 } hint)
        {
            try
            {
                if (await GetPropertyAsync(api, q, hint, ct) is { } known && Text(known, "propertyName") == name)
                {
                    return known;
                }
            }
            catch (CdnDriverException e) when (e.StatusCode is 400 or 403)
            {
                // A stale or foreign id: the name below is what counts.
            }
        }

        // PAPI's search by name, rather than the account's whole list of properties, which grows with every service.
        var found = await api.SendAsync(HttpMethod.Post, "papi/v1/search/find-by-value", new JsonObject { ["propertyName"] = name }, ct, safeToRepeat: true);
        var id = (found?["versions"]?["items"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(v => Text(v, "propertyName") == name).Select(v => Text(v, "propertyId")).FirstOrDefault(i => i is not null);
        return id is null ? null : await GetPropertyAsync(api, q, id, ct);
    }

    private static async Task<JsonObject?> GetPropertyAsync(AkamaiApiClient api, string q, string propertyId, CancellationToken ct) =>
        (await api.GetAsync($"papi/v1/properties/{Uri.EscapeDataString(propertyId)}?{q}", ct, allowNotFound: true))?["properties"]?["items"]?[0] as JsonObject;

    private static async Task<IReadOnlyList<JsonObject>> ActivationsAsync(AkamaiApiClient api, string q, string propertyId, CancellationToken ct) =>
        ((await api.GetAsync($"papi/v1/properties/{propertyId}/activations?{q}", ct))?["activations"]?["items"] as JsonArray ?? [])
            .OfType<JsonObject>().OrderByDescending(a => Text(a, "submitDate"), StringComparer.Ordinal).ToList(); // newest first

    /// <summary>The CP code named after the property, made when missing.</summary>
    private async Task<int> EnsureCpCodeAsync(AkamaiApiClient api, string q, string name, string propertyId, List<string> warnings, CancellationToken ct)
    {
        var list = await api.GetAsync($"papi/v1/cpcodes?{q}", ct, allowNotFound: true);
        if (list is not null)
        {
            var existing = (list["cpcodes"]?["items"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => Text(c, "cpcodeName") == name);
            if (existing is not null)
            {
                return CpCodeNumber(Text(existing, "cpcodeId")!);
            }

            var created = await api.SendAsync(HttpMethod.Post, $"papi/v1/cpcodes?{q}",
                new JsonObject { ["productId"] = options.ProductId, ["cpcodeName"] = name }, ct);
            return CpCodeNumber(IdFromLink(created, "cpcodeLink"));
        }

        // An API without CP code management (the simulator): the property's own number is unique per property.
        var number = CpCodeNumber(propertyId);
        warnings.Add($"CP code: this Akamai API has no /papi/v1/cpcodes; the property uses CP code {number}.");
        return number;
    }

    /// <summary>
    /// The edge hostname of each of the service's domains. The property's own hostnames name the ones it already uses;
    /// the others are created. Only a create refused because the edge hostname exists (an earlier attempt made it) reads
    /// the account's list of edge hostnames, which grows with every service.
    /// </summary>
    private async Task<Dictionary<string, (string Id, string Domain)>> EnsureEdgeHostnamesAsync(
        AkamaiApiClient api, string q, ServiceSpec spec, JsonNode? propertyHostnames, CancellationToken ct)
    {
        var inUse = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var hostname in (propertyHostnames?["hostnames"]?["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (Text(hostname, "cnameTo") is { } edge && Text(hostname, "edgeHostnameId") is { } id)
            {
                inUse[edge] = id;
            }
        }

        var result = new Dictionary<string, (string, string)>(StringComparer.OrdinalIgnoreCase);
        foreach (var domain in spec.Domains)
        {
            // Enhanced TLS (edgekey.net) serves https domains; Standard TLS (edgesuite.net) plain http.
            var prefix = domain.Domain.ToLowerInvariant();
            var suffix = domain.Protocol == DomainProtocol.Https ? "edgekey.net" : "edgesuite.net";
            var host = $"{prefix}.{suffix}";
            result[domain.Domain] = (inUse.GetValueOrDefault(host) ?? await CreateEdgeHostnameAsync(api, q, prefix, suffix, ct), host);
        }

        return result;
    }

    private async Task<string> CreateEdgeHostnameAsync(AkamaiApiClient api, string q, string prefix, string suffix, CancellationToken ct)
    {
        try
        {
            return IdFromLink(await api.SendAsync(HttpMethod.Post, $"papi/v1/edgehostnames?{q}", new JsonObject
            {
                ["productId"] = options.ProductId,
                ["domainPrefix"] = prefix,
                ["domainSuffix"] = suffix,
                ["ipVersionBehavior"] = "IPV4",
            }, ct, safeToRepeat: true), "edgeHostnameLink"); // a repeat is refused as existing, and handled below
        }
        catch (CdnDriverException e) when (e.StatusCode == 400)
        {
            var existing = ((await api.GetAsync($"papi/v1/edgehostnames?{q}", ct))?["edgeHostnames"]?["items"] as JsonArray ?? []).OfType<JsonObject>()
                .FirstOrDefault(h => string.Equals(Text(h, "edgeHostnameDomain"), $"{prefix}.{suffix}", StringComparison.OrdinalIgnoreCase));
            if (existing is null)
            {
                throw;
            }

            return Text(existing, "edgeHostnameId")!;
        }
    }

    private static bool SameHostnames(JsonNode? current, JsonArray desired)
    {
        static IEnumerable<string> Keys(IEnumerable<JsonObject> items) =>
            items.Select(h => $"{Text(h, "cnameFrom")}>{Text(h, "edgeHostnameId")}").Order(StringComparer.Ordinal);
        var now = (current?["hostnames"]?["items"] as JsonArray ?? []).OfType<JsonObject>();
        return Keys(now).SequenceEqual(Keys(desired.OfType<JsonObject>()));
    }

    private static bool IsPending(JsonObject activation) => !SettledStatuses.Contains(Text(activation, "status"));

    private static int CpCodeNumber(string id) =>
        int.TryParse(new string([.. id.Where(char.IsDigit)]), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number : throw new CdnDriverException($"Akamai returned an unexpected id {id}.", isTransient: false);

    private static string IdFromLink(JsonNode? created, string link) =>
        created?[link]?.ToString().Split('?')[0].Split('/')[^1]
        ?? throw new CdnDriverException($"Akamai's answer had no {link}.", isTransient: false);

    private static string? Text(JsonObject? json, string name) =>
        json?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static int? Int(JsonObject? json, string name) =>
        json?[name] is JsonValue value && value.TryGetValue<int>(out var number) ? number : null;
}
