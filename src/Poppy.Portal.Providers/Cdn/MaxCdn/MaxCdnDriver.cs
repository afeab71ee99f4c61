using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Http;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Cdn.MaxCdn;

/// <summary>
/// MaxCDN (RWS): one pull zone per service, named after the portal's service id so a repeated apply finds it again;
/// the service's domains are the zone's custom domains, and each CNAMEs to the zone's temporary URL. A zone serves as
/// soon as it is saved, so every change is reported deployed at once.
/// </summary>
public sealed class MaxCdnDriver : ICdnDriver
{
    /// <inheritdoc />
    public ProviderKind Kind => ProviderKind.MaxCdn;

    /// <summary>Reads the account (<c>GET /{alias}/account.json</c>), OAuth-signed with the consumer key and secret.</summary>
    public Task<ConnectionTestResult> TestConnectionAsync(ProviderCall call, CancellationToken cancellationToken) =>
        VendorHttp.TestConnectionAsync("MaxCDN", async ct =>
        {
            var answer = await new MaxCdnApi(call).SendAsync(HttpMethod.Get, "account.json", null, ct).ConfigureAwait(false);
            var name = MaxCdnApi.Text(answer?["data"]?["account"]?["name"]);
            return name.Length > 0 ? $"account {name}" : throw new CdnDriverException("MaxCDN answered without an account.", isTransient: false, 200);
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<ProvisionResult> ApplyAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(spec);
        var api = new MaxCdnApi(call);
        var settings = MaxCdnZoneMapping.Map(call.ServiceId, spec);
        // Without a remembered id, create straight away rather than page through every zone of the account for each new
        // service: zone names are unique, so RWS refuses a second zone of this name, and only then is the zone looked up.
        var zone = string.IsNullOrEmpty(call.ProviderServiceId) ? null : await FindZoneAsync(api, call, cancellationToken).ConfigureAwait(false);
        var isNew = false;
        if (zone is null)
        {
            (zone, isNew) = await CreateZoneAsync(api, call, settings, cancellationToken).ConfigureAwait(false);
        }

        if (!isNew)
        {
            // The name is the zone's host name and cannot change; everything else is written again.
            var updated = await api.SendAsync(HttpMethod.Put, $"zones/pull.json/{ZoneId(zone)}", settings.Fields.Where(f => f.Key != "name"), cancellationToken)
                .ConfigureAwait(false);
            zone = updated!["data"]?["pullzone"] ?? zone;
        }

        var zoneId = ZoneId(zone);
        await SyncCustomDomainsAsync(api, zoneId, settings.Domains, cancellationToken).ConfigureAwait(false);
        return Result(zone, spec, settings);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Limitations(ServiceSpec spec, IReadOnlyDictionary<string, string> credentials) =>
        MaxCdnZoneMapping.Map(Guid.Empty, spec).Warnings;

    /// <inheritdoc />
    public async Task<ProvisionResult?> GetStateAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(spec);
        var zone = await FindZoneAsync(new MaxCdnApi(call), call, cancellationToken).ConfigureAwait(false);
        return zone is null ? null : Result(zone, spec, MaxCdnZoneMapping.Map(call.ServiceId, spec));
    }

    /// <inheritdoc />
    public async Task<DeploymentState> DeleteAsync(ProviderCall call, ServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var api = new MaxCdnApi(call);
        var zone = await FindZoneAsync(api, call, cancellationToken).ConfigureAwait(false);
        if (zone is not null)
        {
            // Deleting the zone removes its custom domains with it; a zone gone meanwhile (404) counts as removed.
            await api.SendAsync(HttpMethod.Delete, $"zones/pull.json/{ZoneId(zone)}", null, cancellationToken, notFoundIsNull: true).ConfigureAwait(false);
        }

        return DeploymentState.Deployed;
    }

    /// <summary>
    /// Purges one path (RWS <c>files[]</c>) or, when <paramref name="url"/> is null, the whole zone. MaxCDN has no soft
    /// purge: a soft request purges hard, which is stricter (the edge fetches again rather than revalidating).
    /// </summary>
    public async Task PurgeAsync(ProviderCall call, ServiceSpec spec, string? url, bool hard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        // Checked before anything is sent, as every driver does.
        var file = url is null ? null : PurgePath.ForRequest(url, "MaxCDN");
        var api = new MaxCdnApi(call);
        var zone = await FindZoneAsync(api, call, cancellationToken).ConfigureAwait(false)
            ?? throw new CdnDriverException("MaxCDN has no pull zone for this service to purge.", isTransient: false);
        var path = $"zones/pull.json/{ZoneId(zone)}/cache";
        if (file is not null)
        {
            path += "?" + OAuth1Signature.Encode("files[]") + "=" + OAuth1Signature.Encode(file);
        }

        await api.SendAsync(HttpMethod.Delete, path, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The service's zone: the remembered id when it still names this service's zone, otherwise a search of every zone
    /// by name (so a create that crashed before its id was stored is found, never duplicated).
    /// </summary>
    /// <summary>A new zone; or, when RWS refuses the name because an earlier attempt made it (its answer lost), that one.</summary>
    private static async Task<(JsonNode Zone, bool IsNew)> CreateZoneAsync(
        MaxCdnApi api, ProviderCall call, MaxCdnZoneSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            // Safe to resend: a repeat is refused for its name, and handled below.
            var created = await api.SendAsync(HttpMethod.Post, "zones/pull.json", settings.Fields, cancellationToken, safeToRepeat: true).ConfigureAwait(false);
            return (created!["data"]?["pullzone"] ?? throw Unexpected("a created pull zone"), true);
        }
        catch (CdnDriverException e) when (e.StatusCode == 400)
        {
            var existing = await FindZoneAsync(api, call, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                throw;
            }

            return (existing, false);
        }
    }

    private static async Task<JsonNode?> FindZoneAsync(MaxCdnApi api, ProviderCall call, CancellationToken cancellationToken)
    {
        var name = MaxCdnZoneMapping.ZoneName(call.ServiceId);
        if (!string.IsNullOrEmpty(call.ProviderServiceId) && call.ProviderServiceId.All(char.IsAsciiDigit))
        {
            var known = await api.SendAsync(HttpMethod.Get, $"zones/pull.json/{call.ProviderServiceId}", null, cancellationToken, notFoundIsNull: true)
                .ConfigureAwait(false);
            if (known?["data"]?["pullzone"] is { } zone && MaxCdnApi.Text(zone["name"]) == name)
            {
                return zone;
            }
        }

        for (var page = 1; ; page++)
        {
            var listed = await api.SendAsync(HttpMethod.Get, $"zones/pull.json?page={page}", null, cancellationToken).ConfigureAwait(false);
            var data = listed?["data"] ?? throw Unexpected("the pull zone list");
            if (data["pullzones"] is JsonArray zones && zones.FirstOrDefault(z => MaxCdnApi.Text(z?["name"]) == name) is { } found)
            {
                return found;
            }

            if (!int.TryParse(MaxCdnApi.Text(data["pages"]), out var pages) || page >= pages)
            {
                return null;
            }
        }
    }

    /// <summary>Adds the service's domains the zone lacks and removes the ones the service no longer has.</summary>
    private static async Task SyncCustomDomainsAsync(MaxCdnApi api, string zoneId, IReadOnlyList<string> wanted, CancellationToken cancellationToken)
    {
        var listed = await api.SendAsync(HttpMethod.Get, $"zones/pull/{zoneId}/customdomains.json", null, cancellationToken).ConfigureAwait(false);
        var present = (listed?["data"]?["customdomains"] as JsonArray ?? [])
            .Select(d => (Id: MaxCdnApi.Text(d?["id"]), Domain: MaxCdnApi.Text(d?["custom_domain"]).ToLowerInvariant()))
            .ToList();

        foreach (var extra in present.Where(p => !wanted.Contains(p.Domain)))
        {
            await api.SendAsync(HttpMethod.Delete, $"zones/pull/{zoneId}/customdomains.json/{extra.Id}", null, cancellationToken, notFoundIsNull: true)
                .ConfigureAwait(false);
        }

        foreach (var missing in wanted.Where(w => present.All(p => p.Domain != w)))
        {
            await api.SendAsync(HttpMethod.Post, $"zones/pull/{zoneId}/customdomains.json", [new("custom_domain", missing)], cancellationToken)
                .ConfigureAwait(false);
        }
    }

    private static ProvisionResult Result(JsonNode zone, ServiceSpec spec, MaxCdnZoneSettings settings)
    {
        var tempUrl = MaxCdnApi.Text(zone["tmp_url"]) is { Length: > 0 } tmp ? tmp : MaxCdnApi.Text(zone["cdn_url"]);
        var accessUrls = spec.Domains.Select(d => new AccessUrl(d.Domain, tempUrl, null)).ToList();
        return new ProvisionResult(ZoneId(zone), DeploymentState.Deployed, accessUrls, settings.Warnings);
    }

    private static string ZoneId(JsonNode zone) =>
        MaxCdnApi.Text(zone["id"]) is { Length: > 0 } id ? id : throw Unexpected("a pull zone id");

    private static CdnDriverException Unexpected(string what) =>
        new($"MaxCDN answered without {what}.", isTransient: false);
}
