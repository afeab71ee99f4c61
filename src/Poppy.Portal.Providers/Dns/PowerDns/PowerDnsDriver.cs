using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Dns.PowerDns;

/// <summary>
/// The PowerDNS authoritative HTTP API. The endpoint is the API base (<c>http://127.0.0.1:8081/api/v1/</c>), the
/// credential <c>api_key</c> goes in <c>X-API-Key</c>, and the zone must exist on the server (<c>localhost</c>). A set is a
/// PATCH of the zone's rrsets with <c>changetype REPLACE</c>, a delete the same with <c>DELETE</c>; both answer 204
/// and are live at once (the server reads its database on every query).
/// </summary>
public sealed class PowerDnsDriver : IDnsDriver
{
    /// <summary>The credential field holding the API key.</summary>
    public const string ApiKey = "api_key";

    /// <summary>The server id of the API's one server.</summary>
    public const string ServerId = "localhost";

    private const string Vendor = "PowerDNS";

    /// <inheritdoc />
    public DnsProviderKind Kind => DnsProviderKind.PowerDns;

    /// <inheritdoc />
    public Task SetCnameAsync(DnsCall call, string name, string target, int ttlSeconds, CancellationToken cancellationToken) =>
        PatchAsync(call, new JsonObject
        {
            ["name"] = DnsRecordNames.Absolute(name),
            ["type"] = "CNAME",
            ["ttl"] = ttlSeconds,
            ["changetype"] = "REPLACE",
            ["records"] = new JsonArray(new JsonObject { ["content"] = DnsRecordNames.Absolute(target), ["disabled"] = false }),
        }, $"REPLACE CNAME {name}", cancellationToken);

    /// <inheritdoc />
    public Task DeleteCnameAsync(DnsCall call, string name, CancellationToken cancellationToken) =>
        // PowerDNS answers 204 to deleting an RRset that is not there: idempotent as it stands.
        PatchAsync(call, new JsonObject
        {
            ["name"] = DnsRecordNames.Absolute(name),
            ["type"] = "CNAME",
            ["changetype"] = "DELETE",
        }, $"DELETE CNAME {name}", cancellationToken);

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

    private static async Task PatchAsync(DnsCall call, JsonObject rrset, string what, CancellationToken cancellationToken)
    {
        using var request = Request(call, HttpMethod.Patch, ZonePath(call));
        request.Content = DnsCalls.Json(new JsonObject { ["rrsets"] = new JsonArray(rrset) });
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
