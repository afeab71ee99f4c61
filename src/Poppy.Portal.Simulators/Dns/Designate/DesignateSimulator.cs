using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Dns.Designate;

/// <summary>
/// OpenStack Designate v2 under <c>{base}/designate/</c> (zones and recordsets; writes answer 202 with
/// <c>status PENDING</c> and become <c>ACTIVE</c> after the change delay), with the Keystone v3 password token call it
/// needs at <see cref="IdentityUrl"/> (<c>POST auth/tokens</c> → <c>X-Subject-Token</c>). Errors are Designate's
/// <c>{"code","type","message","request_id"}</c>; a missing or unknown token gets keystonemiddleware's 401.
/// </summary>
public sealed class DesignateSimulator : DnsVendorSimulator
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> tokens = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset ChangedAt, string Action)> pending = new();

    internal DesignateSimulator(DnsSimulatorContext context)
        : base("designate", context, 12)
    {
        foreach (var zone in context.Options.Zones)
        {
            Store.AddZone(new SimulatedDnsZone(context.Ids.NextGuid().ToString(), DnsZoneStore.Normalize(zone)));
        }
    }

    /// <summary>Keystone v3's base: the driver posts to <c>auth/tokens</c> under it.</summary>
    public Uri IdentityUrl => new(ApiBaseUrl, "identity/v3/");

    internal override void MapApi(RouteGroupBuilder api)
    {
        api.MapPost("/identity/v3/auth/tokens", async (HttpContext http) =>
        {
            var body = await HttpHelpers.ReadJsonAsync(http.Request);
            var password = body?["auth"]?["identity"]?["password"]?["user"];
            var project = body?["auth"]?["scope"]?["project"]?["name"];
            var wanted = Context.Options.Designate;
            if ((string?)password?["name"] != wanted.Username || (string?)password?["password"] != wanted.Password || (string?)project != wanted.Project)
            {
                return KeystoneUnauthorized("The request you have made requires authentication.");
            }

            var token = "gAAAAA" + Context.Ids.Next(IdGenerator.MixedAlnum, 40);
            var expires = Context.Now.AddHours(1);
            tokens[token] = expires;
            return HttpHelpers.Json(new JsonObject
            {
                ["token"] = new JsonObject
                {
                    ["methods"] = new JsonArray("password"),
                    ["expires_at"] = HttpHelpers.Iso(expires),
                    ["project"] = new JsonObject { ["name"] = wanted.Project, ["id"] = "p-" + wanted.Project },
                    ["user"] = new JsonObject { ["name"] = wanted.Username },
                },
            }, StatusCodes.Status201Created).WithHeaders(("X-Subject-Token", token));
        }).WithMetadata(AnonymousVendorCall.Instance);

        var v2 = api.MapGroup("/v2");
        v2.MapGet("/zones", (HttpContext http) =>
        {
            var name = http.Request.Query["name"].ToString();
            var zones = Store.Zones.Where(z => name.Length == 0 || z.Name == DnsZoneStore.Normalize(name)).ToList();
            return HttpHelpers.Json(new JsonObject
            {
                ["zones"] = new JsonArray([.. zones.Select(z => (JsonNode)new JsonObject
                {
                    ["id"] = z.Id, ["name"] = z.Name + ".", ["status"] = "ACTIVE", ["type"] = "PRIMARY", ["ttl"] = 3600,
                })]),
                ["links"] = new JsonObject { ["self"] = new Uri(ApiBaseUrl, "v2/zones").ToString() },
                ["metadata"] = new JsonObject { ["total_count"] = zones.Count },
            });
        });
        v2.MapGet("/zones/{zoneId}/recordsets", (HttpContext http, string zoneId) =>
        {
            var zone = ZoneOrThrow(zoneId);
            var name = http.Request.Query["name"].ToString();
            var type = http.Request.Query["type"].ToString();
            var sets = Store.InZone(zone.Id)
                .Where(r => (name.Length == 0 || r.Name == DnsZoneStore.Normalize(name)) && (type.Length == 0 || r.Type == type))
                .ToList();
            return HttpHelpers.Json(new JsonObject
            {
                ["recordsets"] = new JsonArray([.. sets.Select(r => (JsonNode)RecordSet(r))]),
                ["links"] = new JsonObject(),
                ["metadata"] = new JsonObject { ["total_count"] = sets.Count },
            });
        });
        v2.MapGet("/zones/{zoneId}/recordsets/{id}", (string zoneId, string id) =>
            HttpHelpers.Json(RecordSet(RecordOrThrow(ZoneOrThrow(zoneId), id))));
        v2.MapPost("/zones/{zoneId}/recordsets", async (HttpContext http, string zoneId) =>
        {
            var zone = ZoneOrThrow(zoneId);
            var body = await HttpHelpers.ReadJsonAsync(http.Request) as JsonObject ?? throw Invalid("Request body is not a JSON object");
            var name = DnsZoneStore.Normalize(String(body, "name"));
            var type = String(body, "type");
            if (!((string)body["name"]!).EndsWith('.'))
            {
                throw Invalid($"'{body["name"]}' is not a 'dns_fqdn'");
            }

            if (!name.EndsWith("." + zone.Name, StringComparison.Ordinal))
            {
                throw new DesignateError(StatusCodes.Status400BadRequest, "invalid_recordset_location", "RecordSet belongs in a child zone or is outside the zone");
            }

            if (Store.FindByName(zone.Id, name, type) is not null)
            {
                throw new DesignateError(StatusCodes.Status409Conflict, "duplicate_recordset", "Duplicate RecordSet");
            }

            var record = new SimulatedDnsRecord(Context.Ids.NextGuid().ToString(), zone.Id, name, type, OneRecord(body), Ttl(body));
            Store.Put(record);
            pending[record.Id] = (Context.Now, "CREATE");
            return HttpHelpers.Json(RecordSet(Store.Find(zone.Id, record.Id)!), StatusCodes.Status202Accepted);
        });
        v2.MapPut("/zones/{zoneId}/recordsets/{id}", async (HttpContext http, string zoneId, string id) =>
        {
            var record = RecordOrThrow(ZoneOrThrow(zoneId), id);
            var body = await HttpHelpers.ReadJsonAsync(http.Request) as JsonObject ?? throw Invalid("Request body is not a JSON object");
            Store.Put(record with
            {
                Data = body.ContainsKey("records") ? OneRecord(body) : record.Data,
                Ttl = body.ContainsKey("ttl") ? Ttl(body) : record.Ttl,
            });
            pending[id] = (Context.Now, "UPDATE");
            return HttpHelpers.Json(RecordSet(Store.Find(zoneId, id)!), StatusCodes.Status202Accepted);
        });
        v2.MapDelete("/zones/{zoneId}/recordsets/{id}", (string zoneId, string id) =>
        {
            var record = RecordOrThrow(ZoneOrThrow(zoneId), id);
            // Designate keeps the recordset (PENDING, DELETE) until the backend has removed it.
            pending[id] = (Context.Now, "DELETE");
            Store.Schedule(Context.Now + Context.Options.ChangeDelay, () => Store.Remove(id));
            return HttpHelpers.Json(RecordSet(record), StatusCodes.Status202Accepted);
        });
    }

    private JsonObject RecordSet(SimulatedDnsRecord r)
    {
        var (status, action) = pending.TryGetValue(r.Id, out var change) && Context.Now < change.ChangedAt + Context.Options.ChangeDelay
            ? ("PENDING", change.Action)
            : ("ACTIVE", "NONE");
        return new JsonObject
        {
            ["id"] = r.Id,
            ["zone_id"] = r.ZoneId,
            ["name"] = r.Name + ".",
            ["type"] = r.Type,
            ["ttl"] = r.Ttl,
            ["records"] = new JsonArray(r.Type == "CNAME" ? r.Data + "." : r.Data),
            ["status"] = status,
            ["action"] = action,
        };
    }

    private SimulatedDnsZone ZoneOrThrow(string id) =>
        Store.FindZone(id) ?? throw new DesignateError(StatusCodes.Status404NotFound, "zone_not_found", "Could not find Zone");

    private SimulatedDnsRecord RecordOrThrow(SimulatedDnsZone zone, string id) =>
        Store.Find(zone.Id, id) ?? throw new DesignateError(StatusCodes.Status404NotFound, "recordset_not_found", "Could not find RecordSet");

    private static string String(JsonObject body, string key) =>
        body[key] is JsonValue value && value.TryGetValue<string>(out var s) && s.Length > 0 ? s : throw Invalid($"'{key}' is a required property");

    private static string OneRecord(JsonObject body) =>
        body["records"] is JsonArray { Count: 1 } records && records[0] is JsonValue v && v.TryGetValue<string>(out var s) && s.EndsWith('.')
            ? s
            : throw Invalid("records: a CNAME recordset takes exactly one fully qualified name ending in '.'");

    private static int Ttl(JsonObject body) =>
        body["ttl"] is JsonValue v && v.TryGetValue<int>(out var ttl) && ttl is >= 1 and <= 2147483647
            ? ttl
            : throw Invalid($"{body["ttl"]?.ToJsonString() ?? "null"} is not valid under any of the given schemas ('ttl')");

    private static DesignateError Invalid(string message) => new(StatusCodes.Status400BadRequest, "invalid_object", message);

    internal override ValueTask<IResult?> AuthenticateAsync(HttpContext http)
    {
        var token = http.Request.Headers["X-Auth-Token"].ToString();
        return ValueTask.FromResult<IResult?>(token.Length > 0 && tokens.TryGetValue(token, out var expires) && expires > Context.Now
            ? null
            : KeystoneUnauthorized("The request you have made requires authentication."));
    }

    internal override IResult Unavailable() =>
        DesignateError.Body(StatusCodes.Status503ServiceUnavailable, "service_unavailable", "Designate is temporarily unavailable.");

    /// <summary>The rate limiter in front of Designate's API answers 429 with <c>Retry-After</c>.</summary>
    internal override IResult Throttled(int retryAfterSeconds) =>
        DesignateError.Body(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many requests, please slow down.")
            .WithHeaders(("Retry-After", retryAfterSeconds.ToString(CultureInfo.InvariantCulture)));

    internal override IResult Failure(int status, string message) =>
        DesignateError.Body(status, status >= 500 ? "internal_server_error" : "invalid_object", message);

    internal override IResult UnknownPath(HttpContext http) =>
        DesignateError.Body(StatusCodes.Status404NotFound, "not_found", "The resource could not be found.");

    /// <summary>keystonemiddleware's refusal: <c>{"error":{"code":401,"title":"Unauthorized","message":…}}</c>.</summary>
    private static IResult KeystoneUnauthorized(string message) =>
        HttpHelpers.Json(new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = 401, ["title"] = "Unauthorized", ["message"] = message },
        }, StatusCodes.Status401Unauthorized).WithHeaders(("WWW-Authenticate", "Keystone uri=\"identity\""));
}

/// <summary>Designate's error body: <c>{"code","type","message","request_id"}</c>.</summary>
internal sealed class DesignateError(int status, string type, string message) : SimulatedApiError(status, message)
{
    public static IResult Body(int status, string type, string message) =>
        HttpHelpers.Json(new JsonObject
        {
            ["code"] = status, ["type"] = type, ["message"] = message, ["request_id"] = "req-" + Guid.NewGuid(),
        }, status);

    public override IResult ToResult() => Body(Status, type, Message);
}
