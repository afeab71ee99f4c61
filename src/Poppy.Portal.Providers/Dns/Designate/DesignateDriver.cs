using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Dns.Designate;

/// <summary>
/// OpenStack Designate v2. The endpoint is Designate's base (<c>http://dns.example:9001/</c>, <c>v2/…</c> under it). Each
/// call first takes a Keystone v3 token (password method, project scope) from <c>auth_url</c> and sends it as
/// <c>X-Auth-Token</c>; then finds the zone by name and the recordset by name and type. A set is a <c>POST</c> of a new
/// recordset or a <c>PUT</c> of the existing one, a delete a <c>DELETE</c>; Designate answers 202 with
/// <c>status PENDING</c>, and the driver polls the recordset until it is <c>ACTIVE</c> (gone, for a delete).
/// </summary>
public sealed class DesignateDriver : IDnsDriver
{
    /// <summary>Credential fields: Keystone's v3 base URL, the user, its password and the project to scope the token to.</summary>
    public const string AuthUrl = "auth_url", Username = "username", Password = "password", Project = "project";

    /// <summary>Optional: the Keystone domain of the user and of the project (default <c>Default</c>).</summary>
    public const string Domain = "domain";

    private const string Vendor = "Designate";

    /// <inheritdoc />
    public DnsProviderKind Kind => DnsProviderKind.Designate;

    /// <inheritdoc />
    public string? WeightedUnsupportedReason =>
        "OpenStack Designate has no weighted records: a recordset's records are all answered alike, and a CNAME recordset holds one record";

    /// <inheritdoc />
    public Task SetCnameAsync(DnsCall call, string name, string target, int ttlSeconds, CancellationToken cancellationToken) =>
        SetCnameAsync(call, name, target, ttlSeconds, retryOnConflict: true, cancellationToken);

    private async Task SetCnameAsync(DnsCall call, string name, string target, int ttlSeconds, bool retryOnConflict, CancellationToken cancellationToken)
    {
        var session = await SessionAsync(call, cancellationToken).ConfigureAwait(false);
        var existing = await FindAsync(session, name, cancellationToken).ConfigureAwait(false);
        var records = new JsonArray(DnsRecordNames.Absolute(target));
        string id;
        if (existing is null)
        {
            using var create = session.Request(HttpMethod.Post, "recordsets");
            create.Content = DnsCalls.Json(new JsonObject
            {
                ["name"] = DnsRecordNames.Absolute(name), ["type"] = "CNAME", ["ttl"] = ttlSeconds, ["records"] = records,
            });
            var reply = await DnsCalls.SendAsync(call, create, Vendor, $"POST recordset {name}", ErrorOf, cancellationToken, 409).ConfigureAwait(false);
            if (reply.StatusCode == 409)
            {
                // Made by someone else since we looked (a concurrent attempt): replace that one, once. A second conflict
                // is a recordset of that name still on its way out (PENDING DELETE): a later attempt gets through.
                if (!retryOnConflict)
                {
                    throw VendorHttp.Failure(reply, $"{Vendor} still holds a recordset {name} being deleted: {ErrorOf(reply)}", transient: true);
                }

                await SetCnameAsync(call, name, target, ttlSeconds, retryOnConflict: false, cancellationToken).ConfigureAwait(false);
                return;
            }

            id = (string?)JsonNode.Parse(reply.Text)?["id"]
                ?? throw new CdnDriverException($"{Vendor} created a recordset without an id.", isTransient: false);
        }
        else
        {
            id = existing.Value.Id;
            using var update = session.Request(HttpMethod.Put, $"recordsets/{id}");
            update.Content = DnsCalls.Json(new JsonObject { ["ttl"] = ttlSeconds, ["records"] = records });
            await DnsCalls.SendAsync(call, update, Vendor, $"PUT recordset {name}", ErrorOf, cancellationToken).ConfigureAwait(false);
        }

        await DnsCalls.PollUntilDoneAsync(call, Vendor, $"recordset {name}", async ct =>
        {
            using var get = session.Request(HttpMethod.Get, $"recordsets/{id}");
            var reply = await DnsCalls.SendAsync(call, get, Vendor, $"GET recordset {name}", ErrorOf, ct).ConfigureAwait(false);
            return (string?)JsonNode.Parse(reply.Text)?["status"] switch
            {
                "ACTIVE" => true,
                "ERROR" => throw new CdnDriverException($"{Vendor} could not apply recordset {name} (status ERROR).", isTransient: false),
                _ => false,
            };
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DeleteCnameAsync(DnsCall call, string name, CancellationToken cancellationToken)
    {
        var session = await SessionAsync(call, cancellationToken).ConfigureAwait(false);
        if (await FindAsync(session, name, cancellationToken).ConfigureAwait(false) is not { } existing)
        {
            return;
        }

        using (var delete = session.Request(HttpMethod.Delete, $"recordsets/{existing.Id}"))
        {
            await DnsCalls.SendAsync(call, delete, Vendor, $"DELETE recordset {name}", ErrorOf, cancellationToken, 404).ConfigureAwait(false);
        }

        await DnsCalls.PollUntilDoneAsync(call, Vendor, $"deleting recordset {name}", async ct =>
        {
            using var get = session.Request(HttpMethod.Get, $"recordsets/{existing.Id}");
            var reply = await DnsCalls.SendAsync(call, get, Vendor, $"GET recordset {name}", ErrorOf, ct, 404).ConfigureAwait(false);
            return reply.StatusCode == 404;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DnsCname?> GetCnameAsync(DnsCall call, string name, CancellationToken cancellationToken)
    {
        var session = await SessionAsync(call, cancellationToken).ConfigureAwait(false);
        return (await FindAsync(session, name, cancellationToken).ConfigureAwait(false))?.Record;
    }

    /// <inheritdoc />
    public Task<ConnectionTestResult> TestConnectionAsync(DnsCall call, CancellationToken cancellationToken) =>
        VendorHttp.TestConnectionAsync(Vendor, async ct =>
        {
            var session = await SessionAsync(call, ct).ConfigureAwait(false);
            return $"zone {call.Zone} found ({session.ZoneId})";
        }, cancellationToken);

    private static async Task<(string Id, DnsCname Record)?> FindAsync(Session session, string name, CancellationToken cancellationToken)
    {
        var wanted = DnsRecordNames.Relative(name);
        using var list = session.Request(HttpMethod.Get, $"recordsets?name={Uri.EscapeDataString(DnsRecordNames.Absolute(wanted))}&type=CNAME");
        var reply = await DnsCalls.SendAsync(session.Call, list, Vendor, $"GET recordsets {name}", ErrorOf, cancellationToken).ConfigureAwait(false);
        foreach (var set in JsonNode.Parse(reply.Text)?["recordsets"]?.AsArray() ?? [])
        {
            // A recordset on its way out is no longer the record.
            if (set is null || DnsRecordNames.Relative((string?)set["name"] ?? "") != wanted || (string?)set["type"] != "CNAME"
                || (string?)set["action"] == "DELETE")
            {
                continue;
            }

            var target = set["records"]?.AsArray().FirstOrDefault()?.GetValue<string>() ?? "";
            return ((string)set["id"]!, new DnsCname(wanted, DnsRecordNames.Relative(target), (int)set["ttl"]!));
        }

        return null;
    }

    /// <summary>A Keystone token and the zone's id, taken once per driver call.</summary>
    private static async Task<Session> SessionAsync(DnsCall call, CancellationToken cancellationToken)
    {
        var authUrl = new Uri(call.Required(Vendor, AuthUrl).TrimEnd('/') + "/");
        var domain = call.Optional(Domain) ?? "Default";
        using var auth = new HttpRequestMessage(HttpMethod.Post, new Uri(authUrl, "auth/tokens"))
        {
            Content = DnsCalls.Json(new JsonObject
            {
                ["auth"] = new JsonObject
                {
                    ["identity"] = new JsonObject
                    {
                        ["methods"] = new JsonArray("password"),
                        ["password"] = new JsonObject
                        {
                            ["user"] = new JsonObject
                            {
                                ["name"] = call.Required(Vendor, Username),
                                ["domain"] = new JsonObject { ["name"] = domain },
                                ["password"] = call.Required(Vendor, Password),
                            },
                        },
                    },
                    ["scope"] = new JsonObject
                    {
                        ["project"] = new JsonObject { ["name"] = call.Required(Vendor, Project), ["domain"] = new JsonObject { ["name"] = domain } },
                    },
                },
            }),
        };
        var reply = await DnsCalls.SendAsync(call, auth, "Keystone", "POST auth/tokens", ErrorOf, cancellationToken).ConfigureAwait(false);
        var token = reply.Header("X-Subject-Token")
            ?? throw new CdnDriverException("Keystone issued no X-Subject-Token.", isTransient: false, reply.StatusCode);

        using var zones = new HttpRequestMessage(HttpMethod.Get, new Uri(call.ApiEndpoint, $"v2/zones?name={Uri.EscapeDataString(DnsRecordNames.Absolute(call.Zone))}"));
        zones.Headers.Add("X-Auth-Token", token);
        var found = await DnsCalls.SendAsync(call, zones, Vendor, $"GET zones {call.Zone}", ErrorOf, cancellationToken).ConfigureAwait(false);
        var zoneId = (string?)JsonNode.Parse(found.Text)?["zones"]?.AsArray().FirstOrDefault(z => DnsRecordNames.Relative((string?)z?["name"] ?? "") == call.Zone)?["id"]
            ?? throw new CdnDriverException($"{Vendor} has no zone named {call.Zone}.", isTransient: false, statusCode: 404);
        return new Session(call, token, zoneId);
    }

    /// <summary>Designate's <c>{"message"}</c>, or keystonemiddleware's <c>{"error":{"message"}}</c>.</summary>
    private static string? ErrorOf(VendorReply reply) =>
        DnsCalls.JsonString(reply.Text, "message") ?? DnsCalls.JsonString(reply.Text, "error", "message");

    private sealed record Session(DnsCall Call, string Token, string ZoneId)
    {
        public HttpRequestMessage Request(HttpMethod method, string path)
        {
            var request = new HttpRequestMessage(method, new Uri(Call.ApiEndpoint, $"v2/zones/{ZoneId}/{path}"));
            request.Headers.Add("X-Auth-Token", Token);
            return request;
        }

        /// <summary>Names the zone only: the token is a secret.</summary>
        public override string ToString() => $"Session {{ ZoneId = {ZoneId} }}";
    }
}
