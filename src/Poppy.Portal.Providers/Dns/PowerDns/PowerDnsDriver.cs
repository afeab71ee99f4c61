using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Dns.PowerDns;

/// <summary>
/// The PowerDNS authoritative HTTP API. The endpoint is the API base (<c>http://127.0.0.1:8081/api/v1/</c>), the
/// credential <c>api_key</c> goes in <c>X-API-Key</c>, and the zone must exist on the server (<c>localhost</c>). A set is a
/// PATCH of the zone's rrsets with <c>changetype REPLACE</c>, a delete the same with <c>DELETE</c>; both answer 204
/// and are live at once (the server reads its database on every query). A weighted set is a <c>LUA</c> record (see
/// <see cref="SetWeightedAsync"/>), never beside a plain CNAME of the name.
/// </summary>
public sealed partial class PowerDnsDriver : IDnsDriver
{
    /// <summary>The credential field holding the API key.</summary>
    public const string ApiKey = "api_key";

    /// <summary>The server id of the API's one server.</summary>
    public const string ServerId = "localhost";

    private const string Vendor = "PowerDNS";

    /// <inheritdoc />
    public DnsProviderKind Kind => DnsProviderKind.PowerDns;

    /// <inheritdoc />
    public string? WeightedUnsupportedReason => null;

    /// <inheritdoc />
    public Task SetCnameAsync(DnsCall call, string name, string target, int ttlSeconds, CancellationToken cancellationToken) =>
        // The LUA set of a weighted name goes in the same PATCH (one transaction): never a CNAME beside it.
        PatchAsync(call, [Delete(name, "LUA"), new JsonObject
        {
            ["name"] = DnsRecordNames.Absolute(name),
            ["type"] = "CNAME",
            ["ttl"] = ttlSeconds,
            ["changetype"] = "REPLACE",
            ["records"] = new JsonArray(new JsonObject { ["content"] = DnsRecordNames.Absolute(target), ["disabled"] = false }),
        }], $"REPLACE CNAME {name}", cancellationToken);

    /// <inheritdoc />
    public Task DeleteCnameAsync(DnsCall call, string name, CancellationToken cancellationToken) =>
        // PowerDNS answers 204 to deleting an RRset that is not there: idempotent as it stands. Either kind goes.
        PatchAsync(call, [Delete(name, "CNAME"), Delete(name, "LUA")], $"DELETE CNAME {name}", cancellationToken);

    /// <summary>
    /// A LUA record answering a CNAME picked at random by weight on every query (<c>pickwrandom</c>, PowerDNS 4.2+; the
    /// server needs <c>enable-lua-records=yes</c>, which <see cref="PowerDnsProcess"/> sets). Each target carries its id as
    /// a Lua comment so it reads back. Targets of weight 0 are left out: they are never to be answered. The plain CNAME of
    /// the name is deleted in the same PATCH.
    /// </summary>
    public Task SetWeightedAsync(DnsCall call, string name, IReadOnlyList<DnsWeightedTarget> targets, int ttlSeconds, CancellationToken cancellationToken)
    {
        DnsWeights.Validate(targets);
        return PatchAsync(call, [Delete(name, "CNAME"), new JsonObject
        {
            ["name"] = DnsRecordNames.Absolute(name),
            ["type"] = "LUA",
            ["ttl"] = ttlSeconds,
            ["changetype"] = "REPLACE",
            ["records"] = new JsonArray(new JsonObject { ["content"] = LuaContent(targets), ["disabled"] = false }),
        }], $"REPLACE weighted LUA {name}", cancellationToken);
    }

    /// <inheritdoc />
    public async Task<DnsWeightedSet?> GetWeightedAsync(DnsCall call, string name, CancellationToken cancellationToken)
    {
        var wanted = DnsRecordNames.Absolute(name).ToLowerInvariant();
        using var request = Request(call, HttpMethod.Get, $"{ZonePath(call)}?rrset_name={Uri.EscapeDataString(wanted)}&rrset_type=LUA");
        var reply = await DnsCalls.SendAsync(call, request, Vendor, $"GET zone {call.Zone}", ErrorOf, cancellationToken).ConfigureAwait(false);
        foreach (var rrset in JsonNode.Parse(reply.Text)?["rrsets"]?.AsArray() ?? [])
        {
            if ((string?)rrset?["type"] == "LUA" && string.Equals((string?)rrset["name"], wanted, StringComparison.OrdinalIgnoreCase)
                && rrset["records"]?.AsArray().FirstOrDefault(r => r?["disabled"]?.GetValue<bool>() != true) is { } record)
            {
                var targets = LuaTarget().Matches((string)record["content"]!)
                    .Select(m => new DnsWeightedTarget(m.Groups["id"].Value, m.Groups["target"].Value.TrimEnd('.'), int.Parse(m.Groups["weight"].Value, CultureInfo.InvariantCulture)))
                    .OrderBy(t => t.Id, StringComparer.Ordinal).ToList();
                return new DnsWeightedSet(DnsRecordNames.Relative(wanted), targets, (int)rrset["ttl"]!);
            }
        }

        return null;
    }

    /// <summary><c>CNAME "pickwrandom({{3, 'a.edge.test.'} --[[fastly]], {1, 'b.edge.test.'} --[[akamai]]})"</c>.</summary>
    internal static string LuaContent(IReadOnlyList<DnsWeightedTarget> targets)
    {
        var entries = targets.Where(t => t.Weight > 0).Select(t =>
        {
            // Host names and ids go inside Lua quotes and comments: only characters that cannot end either.
            if (!HostName().IsMatch(t.Target) || !SafeId().IsMatch(t.Id))
            {
                throw new CdnDriverException($"'{t.Id}' → '{t.Target}' cannot go in a PowerDNS LUA record (host names and ids of letters, digits, '.', '-', '_' only).", isTransient: false);
            }

            return $"{{{t.Weight.ToString(CultureInfo.InvariantCulture)}, '{DnsRecordNames.Absolute(t.Target).ToLowerInvariant()}'}} --[[{t.Id}]]";
        });
        return $"CNAME \"pickwrandom({{{string.Join(", ", entries)}}})\"";
    }

    [GeneratedRegex(@"\{(?<weight>\d+), '(?<target>[^']+)'\} --\[\[(?<id>[^\]]*)\]\]")]
    private static partial Regex LuaTarget();

    [GeneratedRegex(@"^[A-Za-z0-9._-]+$")]
    private static partial Regex HostName();

    [GeneratedRegex(@"^[A-Za-z0-9._ -]{1,128}$")]
    private static partial Regex SafeId();

    private static JsonObject Delete(string name, string type) => new()
    {
        ["name"] = DnsRecordNames.Absolute(name),
        ["type"] = type,
        ["changetype"] = "DELETE",
    };

    /// <inheritdoc />
    public async Task<DnsCname?> GetCnameAsync(DnsCall call, string name, CancellationToken cancellationToken)
    {
        var wanted = DnsRecordNames.Absolute(name).ToLowerInvariant();
        // The server returns only that RRset (4.7 filters on rrset_name/rrset_type); the loop below still checks, so a
        // server that ignores the filter and lists the whole zone gives the same answer.
        using var request = Request(call, HttpMethod.Get, $"{ZonePath(call)}?rrset_name={Uri.EscapeDataString(wanted)}&rrset_type=CNAME");
        var reply = await DnsCalls.SendAsync(call, request, Vendor, $"GET zone {call.Zone}", ErrorOf, cancellationToken).ConfigureAwait(false);
        var rrsets = JsonNode.Parse(reply.Text)?["rrsets"]?.AsArray() ?? [];
        foreach (var rrset in rrsets)
        {
            if ((string?)rrset?["type"] == "CNAME" && string.Equals((string?)rrset["name"], wanted, StringComparison.OrdinalIgnoreCase)
                && rrset["records"]?.AsArray().FirstOrDefault(r => r?["disabled"]?.GetValue<bool>() != true) is { } record)
            {
                return new DnsCname(DnsRecordNames.Relative(wanted), DnsRecordNames.Relative((string)record["content"]!), (int)rrset["ttl"]!);
            }
        }

        return null;
    }

    /// <inheritdoc />
    public Task<ConnectionTestResult> TestConnectionAsync(DnsCall call, CancellationToken cancellationToken) =>
        VendorHttp.TestConnectionAsync(Vendor, async ct =>
        {
            using var request = Request(call, HttpMethod.Get, $"{ZonePath(call)}?rrset_name={Uri.EscapeDataString(DnsRecordNames.Absolute(call.Zone))}&rrset_type=SOA");
            await DnsCalls.SendAsync(call, request, Vendor, $"GET zone {call.Zone}", ErrorOf, ct).ConfigureAwait(false);
            return $"zone {call.Zone} found";
        }, cancellationToken);

    private static async Task PatchAsync(DnsCall call, JsonObject[] rrsets, string what, CancellationToken cancellationToken)
    {
        using var request = Request(call, HttpMethod.Patch, ZonePath(call));
        request.Content = DnsCalls.Json(new JsonObject { ["rrsets"] = new JsonArray(rrsets) });
        await DnsCalls.SendAsync(call, request, Vendor, what, ErrorOf, cancellationToken).ConfigureAwait(false);
    }

    private static string ZonePath(DnsCall call) => $"servers/{ServerId}/zones/{Uri.EscapeDataString(DnsRecordNames.Absolute(call.Zone))}";

    private static HttpRequestMessage Request(DnsCall call, HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(call.ApiEndpoint, path));
        request.Headers.Add("X-API-Key", call.Required(Vendor, ApiKey));
        return request;
    }

    /// <summary>PowerDNS errors are <c>{"error": "…"}</c> (400, 404, 422); a wrong key gets a plain "Unauthorized".</summary>
    private static string? ErrorOf(Http.VendorReply reply) => DnsCalls.JsonString(reply.Text, "error");
}
