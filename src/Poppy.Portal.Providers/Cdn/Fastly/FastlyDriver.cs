using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Http;
using static Poppy.Portal.Providers.Cdn.Fastly.FastlyApiClient;

namespace Poppy.Portal.Providers.Cdn.Fastly;

/// <summary>
/// Provisions a portal service as one Fastly VCL service named <c>poppy-&lt;service id&gt;</c> (found by that name before
/// anything is created). Changes go into a draft version (a leftover draft of an interrupted call is reused, otherwise the
/// active version is cloned), which is brought to the wanted state object by object and then activated; a call that
/// finds nothing to change writes nothing. Fastly activates at once, so results are <see cref="DeploymentState.Deployed"/>.
/// </summary>
public sealed class FastlyDriver : ICdnDriver
{
    /// <summary>The edge host name a domain CNAMEs to: <c>&lt;domain&gt;.global.prod.fastly.net</c>.</summary>
    public const string AccessHostSuffix = ".global.prod.fastly.net";

    /// <inheritdoc />
    public ProviderKind Kind => ProviderKind.Fastly;

    /// <summary>Reads the token's customer (<c>GET /current_customer</c>), which any valid token may.</summary>
    public Task<ConnectionTestResult> TestConnectionAsync(ProviderCall call, CancellationToken cancellationToken) =>
        VendorHttp.TestConnectionAsync("Fastly", async ct =>
        {
            var customer = await new FastlyApiClient(call).GetAsync("current_customer", ct).ConfigureAwait(false);
            return $"customer {Text(customer?["name"]) ?? Text(customer?["id"]) ?? "(unnamed)"}";
        }, cancellationToken);

    /// <summary>The Fastly service name that ties a Fastly service to the portal's service.</summary>
    public static string ServiceName(Guid serviceId) => $"poppy-{serviceId:D}";

    /// <inheritdoc />
    public async Task<ProvisionResult> ApplyAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        var api = new FastlyApiClient(call);
        var config = FastlyConfig.From(spec);
        var service = await FindAsync(api, call, cancellationToken).ConfigureAwait(false);
        string sid;
        if (service is null)
        {
            var created = await api.PostAsync("service",
                [new("name", ServiceName(call.ServiceId)), new("type", "vcl"), new("comment", spec.Name)], cancellationToken).ConfigureAwait(false);
            sid = Text(created?["id"]) ?? throw new CdnDriverException("Fastly created a service but sent no id.", isTransient: true);
        }
        else
        {
            sid = Text(service["id"])!;
            if (Text(service["comment"]) != spec.Name)
            {
                await api.PutAsync($"service/{Esc(sid)}", [new("comment", spec.Name)], cancellationToken).ConfigureAwait(false);
            }
        }

        var details = await GetDetailsAsync(api, sid, cancellationToken).ConfigureAwait(false);
        var latest = details["version"] as JsonObject ?? throw new CdnDriverException($"Fastly service {sid} has no version.", isTransient: false);
        var active = details["active_version"] as JsonObject;

        // An unlocked, inactive latest version is a draft (new service, or a call interrupted before activation): reuse it.
        var latestIsDraft = !IsTrue(latest["active"]) && !IsTrue(latest["locked"]);
        var baseVersion = latestIsDraft ? latest : active ?? latest;
        var plan = await FastlyPlan.CreateAsync(api, sid, baseVersion, config, cancellationToken).ConfigureAwait(false);

        int draft;
        if (latestIsDraft)
        {
            draft = Number(latest);
        }
        else if (plan.IsEmpty && active is not null)
        {
            return Result(sid, active, config);
        }
        else
        {
            var clone = await api.PutAsync($"service/{Esc(sid)}/version/{Number(baseVersion)}/clone", null, cancellationToken).ConfigureAwait(false);
            draft = clone is JsonObject cloned ? Number(cloned) : throw new CdnDriverException("Fastly cloned a version but sent no number.", isTransient: true);
        }

        await plan.ExecuteAsync(api, sid, draft, cancellationToken).ConfigureAwait(false);

        var validation = await api.GetAsync($"service/{Esc(sid)}/version/{draft}/validate", cancellationToken).ConfigureAwait(false);
        if (Text(validation?["status"]) is { } status && status != "ok")
        {
            var errors = (validation?["errors"] as JsonArray)?.Select(Text).Where(e => e is not null) ?? [];
            throw new CdnDriverException($"Fastly rejected version {draft} of service {sid}: {string.Join("; ", errors)}", isTransient: false);
        }

        await api.PutAsync($"service/{Esc(sid)}/version/{draft}/activate", null, cancellationToken).ConfigureAwait(false);
        var activated = await GetDetailsAsync(api, sid, cancellationToken).ConfigureAwait(false);
        return Result(sid, activated["active_version"] as JsonObject ?? latest, config);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Limitations(ServiceSpec spec, IReadOnlyDictionary<string, string> credentials) => FastlyConfig.From(spec).Warnings;

    /// <inheritdoc />
    public async Task<ProvisionResult?> GetStateAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        var api = new FastlyApiClient(call);
        var service = await FindAsync(api, call, cancellationToken).ConfigureAwait(false);
        if (service is null)
        {
            return null;
        }

        var sid = Text(service["id"])!;
        var details = await GetDetailsAsync(api, sid, cancellationToken).ConfigureAwait(false);
        var config = FastlyConfig.From(spec);
        if (details["active_version"] is not JsonObject active || details["version"] is not JsonObject latest)
        {
            return new ProvisionResult(sid, DeploymentState.InProgress, [], config.Warnings);
        }

        var result = Result(sid, active, config);
        // A draft newer than the active version is a change not yet activated.
        var pending = Number(latest) > Number(active) && !IsTrue(latest["locked"]);
        return pending ? result with { State = DeploymentState.InProgress } : result;
    }

    /// <inheritdoc />
    public async Task<DeploymentState> DeleteAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        var api = new FastlyApiClient(call);
        var service = await FindAsync(api, call, cancellationToken).ConfigureAwait(false);
        if (service is null)
        {
            return DeploymentState.Deployed;
        }

        var sid = Text(service["id"])!;
        var details = await api.GetAsync($"service/{Esc(sid)}/details", cancellationToken, notFoundIsNull: true).ConfigureAwait(false);
        if (details?["active_version"] is JsonObject active)
        {
            // Fastly refuses to delete a service with an active version.
            await api.PutAsync($"service/{Esc(sid)}/version/{Number(active)}/deactivate", null, cancellationToken).ConfigureAwait(false);
        }

        await api.DeleteAsync($"service/{Esc(sid)}", cancellationToken, notFoundIsNull: true).ConfigureAwait(false);
        return DeploymentState.Deployed;
    }

    /// <summary>
    /// A URL is purged on every domain of the service (<c>POST /purge/&lt;domain&gt;&lt;url&gt;</c>), softly with
    /// <c>Fastly-Soft-Purge: 1</c> when <paramref name="hard"/> is false. Everything is purged with <c>purge_all</c>,
    /// which Fastly always performs as a hard purge (it has no soft form).
    /// </summary>
    public async Task PurgeAsync(ProviderCall call, ServiceSpec spec, string? url, bool hard, CancellationToken cancellationToken)
    {
        var api = new FastlyApiClient(call);
        if (url is null)
        {
            var service = await FindAsync(api, call, cancellationToken).ConfigureAwait(false)
                ?? throw new CdnDriverException($"Fastly has no service {ServiceName(call.ServiceId)} to purge.", isTransient: false, statusCode: 404);
            await api.PostAsync($"service/{Esc(Text(service["id"])!)}/purge_all", null, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Checked and escaped: the path follows the domain in Fastly's URL, and a ".." would reach another host's objects.
        var path = PurgePath.ForRequest(url, "Fastly");
        foreach (var domain in spec.Domains)
        {
            await api.PostAsync($"purge/{domain.Domain.ToLowerInvariant()}{path}", null, cancellationToken, soft: !hard).ConfigureAwait(false);
        }
    }

    private static async Task<JsonObject?> FindAsync(FastlyApiClient api, ProviderCall call, CancellationToken ct)
    {
        var name = ServiceName(call.ServiceId);
        if (!string.IsNullOrEmpty(call.ProviderServiceId)
            && await api.GetAsync($"service/{Esc(call.ProviderServiceId)}", ct, notFoundIsNull: true).ConfigureAwait(false) is JsonObject hinted
            && Text(hinted["name"]) == name)
        {
            return hinted;
        }

        return await api.GetAsync($"service/search?name={Esc(name)}", ct, notFoundIsNull: true).ConfigureAwait(false) as JsonObject;
    }

    private static async Task<JsonObject> GetDetailsAsync(FastlyApiClient api, string sid, CancellationToken ct) =>
        await api.GetAsync($"service/{Esc(sid)}/details", ct).ConfigureAwait(false) as JsonObject
        ?? throw new CdnDriverException($"Fastly sent no details for service {sid}.", isTransient: true);

    private static ProvisionResult Result(string sid, JsonObject version, FastlyConfig config)
    {
        var domains = (version["domains"] as JsonArray)?.OfType<JsonObject>().Select(d => Text(d["name"])).OfType<string>() ?? [];
        var urls = domains.Select(d => new AccessUrl(d, d + AccessHostSuffix, null)).ToList();
        return new ProvisionResult(sid, DeploymentState.Deployed, urls, config.Warnings);
    }

    internal static int Number(JsonObject version) =>
        int.TryParse(Text(version["number"]), out var number) ? number : throw new CdnDriverException("Fastly sent a version without a number.", isTransient: true);

    internal static bool IsTrue(JsonNode? node) => Text(node) is "true" or "1";

    internal static string Esc(string value) => Uri.EscapeDataString(value);
}
