using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Dns.Rackspace;

/// <summary>
/// Rackspace Cloud DNS v1.0 under <c>{base}/rackspace-dns/v1.0/{tenant}/</c> (<see cref="ApiBaseUrl"/>), with the
/// Identity v2.0 token call (RAX-KSKEY apiKeyCredentials) at <see cref="IdentityUrl"/>. Writes answer 202 with an
/// asynchronous job (<c>jobId</c>, <c>callbackUrl</c>, <c>RUNNING</c>); the change is made when the job completes, after
/// the change delay, and <c>GET status/{jobId}?showDetails=true</c> then says <c>COMPLETED</c> (or <c>ERROR</c> with
/// the failure). TTLs below 300 are refused; throttling is <c>413 overLimit</c> with <c>Retry-After</c>, as the
/// service documents.
/// </summary>
public sealed class RackspaceDnsSimulator : DnsVendorSimulator
{
    public const int MinimumTtl = 300;

    private readonly ConcurrentDictionary<string, DateTimeOffset> tokens = new();
    private readonly ConcurrentDictionary<string, Job> jobs = new();
    private int nextRecord = 1000;

    internal RackspaceDnsSimulator(DnsSimulatorContext context)
        : base("rackspace-dns", context, 13)
    {
        var id = 2725233;
        foreach (var zone in context.Options.Zones)
        {
            Store.AddZone(new SimulatedDnsZone((id++).ToString(CultureInfo.InvariantCulture), DnsZoneStore.Normalize(zone)));
        }
    }

    /// <summary>The API base for the account's tenant: <c>{base}/rackspace-dns/v1.0/{tenant}/</c>.</summary>
    public override Uri ApiBaseUrl => new(Context.BaseUrl, $"{Segment}/v1.0/{Context.Options.Rackspace.TenantId}/");

    /// <summary>Identity v2.0's base: the driver posts to <c>tokens</c> under it.</summary>
    public Uri IdentityUrl => new(Context.BaseUrl, $"{Segment}/identity/v2.0/");

    /// <summary>Jobs run so far, in any state.</summary>
    public int JobCount => jobs.Count;

    internal override void MapApi(RouteGroupBuilder api)
    {
        api.MapPost("/identity/v2.0/tokens", async (HttpContext http) =>
        {
            var body = await HttpHelpers.ReadJsonAsync(http.Request);
            var key = body?["auth"]?["RAX-KSKEY:apiKeyCredentials"];
            var wanted = Context.Options.Rackspace;
            if ((string?)key?["username"] != wanted.Username || (string?)key?["apiKey"] != wanted.ApiKey)
            {
                return RackspaceError.Fault(StatusCodes.Status401Unauthorized, "unauthorized", "Username or api key is invalid.");
            }

            var token = Context.Ids.Next(IdGenerator.Hex, 32);
            var expires = Context.Now.AddHours(24);
            tokens[token] = expires;
            return HttpHelpers.Json(new JsonObject
            {
                ["access"] = new JsonObject
                {
                    ["token"] = new JsonObject
                    {
                        ["id"] = token,
                        ["expires"] = HttpHelpers.Iso(expires),
                        ["tenant"] = new JsonObject { ["id"] = wanted.TenantId, ["name"] = wanted.TenantId },
                    },
                    ["user"] = new JsonObject { ["name"] = wanted.Username },
                    ["serviceCatalog"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "cloudDNS", ["type"] = "rax:dns",
                        ["endpoints"] = new JsonArray(new JsonObject { ["publicURL"] = ApiBaseUrl.ToString().TrimEnd('/'), ["tenantId"] = wanted.TenantId }),
                    }),
                },
            });
        }).WithMetadata(AnonymousVendorCall.Instance);

        var v1 = api.MapGroup("/v1.0/{tenant}");
        v1.MapGet("/domains", (HttpContext http) =>
        {
            var name = http.Request.Query["name"].ToString();
            var domains = Store.Zones.Where(z => name.Length == 0 || z.Name == DnsZoneStore.Normalize(name)).ToList();
            return HttpHelpers.Json(new JsonObject
            {
                ["domains"] = new JsonArray([.. domains.Select(z => (JsonNode)new JsonObject
                {
                    ["name"] = z.Name, ["id"] = int.Parse(z.Id, CultureInfo.InvariantCulture),
                    ["accountId"] = int.Parse(Context.Options.Rackspace.TenantId, CultureInfo.InvariantCulture),
                    ["emailAddress"] = "hostmaster@" + z.Name,
                })]),
                ["totalEntries"] = domains.Count,
            });
        });
        v1.MapGet("/domains/{domainId}/records", (HttpContext http, string domainId) =>
        {
            var zone = DomainOrThrow(domainId);
            var name = http.Request.Query["name"].ToString();
            var type = http.Request.Query["type"].ToString();
            var records = Store.InZone(zone.Id)
                .Where(r => (name.Length == 0 || r.Name == DnsZoneStore.Normalize(name)) && (type.Length == 0 || r.Type == type))
                .ToList();
            return HttpHelpers.Json(new JsonObject
            {
                ["records"] = new JsonArray([.. records.Select(r => (JsonNode)Record(r))]),
                ["totalEntries"] = records.Count,
            });
        });
        v1.MapPost("/domains/{domainId}/records", async (HttpContext http, string domainId) =>
        {
            var zone = DomainOrThrow(domainId);
            var list = (await HttpHelpers.ReadJsonAsync(http.Request))?["records"] as JsonArray;
            if (list is not { Count: > 0 } || list.Any(r => r is not JsonObject))
            {
                throw Validation("records: at least one record is required.");
            }

            var wanted = list.Select(r => Parse((JsonObject)r!, zone, requireName: true)).ToList();
            return StartJob(http, "POST", () =>
            {
                var made = new JsonArray();
                foreach (var (name, type, data, ttl) in wanted)
                {
                    if (Store.FindByName(zone.Id, name!, type!) is not null)
                    {
                        throw new RackspaceError(StatusCodes.Status409Conflict, $"Record with name {name} and type {type} already exists.");
                    }

                    var record = new SimulatedDnsRecord($"{type}-{Interlocked.Increment(ref nextRecord)}", zone.Id, name!, type!, data!, ttl!.Value);
                    Store.Put(record);
                    made.Add(Record(record));
                }

                return new JsonObject { ["records"] = made };
            });
        });
        v1.MapPut("/domains/{domainId}/records/{recordId}", async (HttpContext http, string domainId, string recordId) =>
        {
            var zone = DomainOrThrow(domainId);
            RecordOrThrow(zone, recordId);
            var body = await HttpHelpers.ReadJsonAsync(http.Request) as JsonObject ?? throw Validation("The body is not a JSON object.");
            var (_, _, data, ttl) = Parse(body, zone, requireName: false);
            return StartJob(http, "PUT", () =>
            {
                var current = RecordOrThrow(zone, recordId);
                Store.Put(current with { Data = data ?? current.Data, Ttl = ttl ?? current.Ttl });
                return null;
            });
        });
        v1.MapDelete("/domains/{domainId}/records/{recordId}", (HttpContext http, string domainId, string recordId) =>
        {
            var zone = DomainOrThrow(domainId);
            RecordOrThrow(zone, recordId);
            return StartJob(http, "DELETE", () =>
            {
                RecordOrThrow(zone, recordId);
                Store.Remove(recordId);
                return null;
            });
        });
        v1.MapGet("/status/{jobId}", (HttpContext http, string jobId) =>
        {
            if (!jobs.TryGetValue(jobId, out var job))
            {
                throw new RackspaceError(StatusCodes.Status404NotFound, $"Job {jobId} not found.");
            }

            var details = string.Equals(http.Request.Query["showDetails"], "true", StringComparison.OrdinalIgnoreCase);
            return HttpHelpers.Json(job.ToJson(details));
        });
    }

    private IResult StartJob(HttpContext http, string verb, Func<JsonObject?> apply)
    {
        var job = new Job(Context.Ids.NextGuid().ToString(), verb, http.Request.Path + http.Request.QueryString,
            new Uri(ApiBaseUrl, "status/").ToString());
        jobs[job.Id] = job;
        Store.Schedule(Context.Now + Context.Options.ChangeDelay, () =>
        {
            try
            {
                job.Complete(apply());
            }
            catch (RackspaceError e)
            {
                job.Fail(e.Status, e.Message);
            }
        });
        return HttpHelpers.Json(job.ToJson(details: false), StatusCodes.Status202Accepted);
    }

    private static (string? Name, string? Type, string? Data, int? Ttl) Parse(JsonObject body, SimulatedDnsZone zone, bool requireName)
    {
        var messages = new List<string>();
        var name = (string?)body["name"];
        var type = (string?)body["type"];
        var data = (string?)body["data"];
        int? ttl = body["ttl"] is JsonValue v && v.TryGetValue<int>(out var t) ? t : null;
        if (requireName)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                messages.Add("Name is required.");
            }
            else if (!DnsZoneStore.Normalize(name).EndsWith("." + zone.Name, StringComparison.Ordinal))
            {
                messages.Add($"Record name {name} must belong to domain {zone.Name}.");
            }

            if (type is not ("CNAME" or "A" or "AAAA" or "TXT" or "MX" or "NS" or "SRV"))
            {
                messages.Add("Type is required and must be a supported record type.");
            }

            if (string.IsNullOrWhiteSpace(data))
            {
                messages.Add("Data is required.");
            }

            ttl ??= 3600;
        }

        if (ttl is < MinimumTtl)
        {
            messages.Add($"Ttl must be greater than or equal to {MinimumTtl}.");
        }

        if (messages.Count > 0)
        {
            throw new RackspaceError(StatusCodes.Status400BadRequest, "Validation failed.", messages);
        }

        return (name is null ? null : DnsZoneStore.Normalize(name), type, data is null ? null : DnsZoneStore.Normalize(data), ttl);
    }

    private static JsonObject Record(SimulatedDnsRecord r) => new()
    {
        ["name"] = r.Name, ["id"] = r.Id, ["type"] = r.Type, ["data"] = r.Data, ["ttl"] = r.Ttl,
    };

    private SimulatedDnsZone DomainOrThrow(string id) =>
        Store.FindZone(id) ?? throw new RackspaceError(StatusCodes.Status404NotFound, "Object not Found.");

    private SimulatedDnsRecord RecordOrThrow(SimulatedDnsZone zone, string id) =>
        Store.Find(zone.Id, id) ?? throw new RackspaceError(StatusCodes.Status404NotFound, "Object not Found.");

    private static RackspaceError Validation(string message) => new(StatusCodes.Status400BadRequest, "Validation failed.", [message]);

    internal override ValueTask<IResult?> AuthenticateAsync(HttpContext http)
    {
        var token = http.Request.Headers["X-Auth-Token"].ToString();
        var tenant = http.Request.RouteValues["tenant"] as string;
        var ok = token.Length > 0 && tokens.TryGetValue(token, out var expires) && expires > Context.Now
            && (tenant is null || tenant == Context.Options.Rackspace.TenantId);
        return ValueTask.FromResult<IResult?>(ok
            ? null
            : RackspaceError.Fault(StatusCodes.Status401Unauthorized, "unauthorized", "No valid token provided. Please use the 'X-Auth-Token' header with a valid token."));
    }

    internal override IResult Unavailable() =>
        RackspaceError.Fault(StatusCodes.Status503ServiceUnavailable, "serviceUnavailable", "The service is currently unavailable.");

    /// <summary>Cloud DNS's rate limits answer <c>413 overLimit</c> (the older OpenStack convention) with <c>Retry-After</c>.</summary>
    internal override IResult Throttled(int retryAfterSeconds) =>
        RackspaceError.Fault(StatusCodes.Status413RequestEntityTooLarge, "overLimit", "OverLimit Retry...",
                HttpHelpers.Iso(Context.Now.AddSeconds(retryAfterSeconds)))
            .WithHeaders(("Retry-After", retryAfterSeconds.ToString(CultureInfo.InvariantCulture)));

    internal override IResult Failure(int status, string message) => new RackspaceError(status, message).ToResult();

    internal override IResult UnknownPath(HttpContext http) => new RackspaceError(StatusCodes.Status404NotFound, "Resource not found.").ToResult();

    /// <summary>An asynchronous job as <c>GET status/{id}</c> reports it.</summary>
    private sealed class Job(string id, string verb, string requestUrl, string statusBase)
    {
        private readonly Lock gate = new();
        private string status = "RUNNING";
        private JsonObject? response;
        private JsonObject? error;

        public string Id { get; } = id;

        public void Complete(JsonObject? result)
        {
            lock (gate)
            {
                status = "COMPLETED";
                response = result;
            }
        }

        public void Fail(int code, string message)
        {
            lock (gate)
            {
                status = "ERROR";
                error = new JsonObject { ["failedItems"] = new JsonObject(), ["code"] = code, ["message"] = message, ["details"] = message };
            }
        }

        public JsonObject ToJson(bool details)
        {
            lock (gate)
            {
                var json = new JsonObject
                {
                    ["status"] = status, ["verb"] = verb, ["jobId"] = Id, ["callbackUrl"] = statusBase + Id, ["requestUrl"] = requestUrl,
                };
                if (details && response is not null)
                {
                    json["response"] = response.DeepClone();
                }

                if (details && error is not null)
                {
                    json["error"] = error.DeepClone();
                }

                return json;
            }
        }
    }
}

/// <summary>
/// Cloud DNS's faults: <c>{"code","message","details"}</c>, validation failures with <c>validationErrors.messages</c>,
/// and the wrapped forms (<c>{"unauthorized":{…}}</c>, <c>{"overLimit":{…}}</c>) of the API front end.
/// </summary>
internal sealed class RackspaceError(int status, string message, IReadOnlyList<string>? validation = null) : SimulatedApiError(status, message)
{
    public static IResult Fault(int status, string wrapper, string message, string? retryAfter = null)
    {
        var inner = new JsonObject { ["code"] = status, ["message"] = message, ["details"] = message };
        if (retryAfter is not null)
        {
            inner["retryAfter"] = retryAfter;
        }

        return HttpHelpers.Json(new JsonObject { [wrapper] = inner }, status);
    }

    public override IResult ToResult()
    {
        var json = new JsonObject { ["code"] = Status, ["message"] = Message, ["details"] = Message };
        if (validation is { Count: > 0 })
        {
            json["validationErrors"] = new JsonObject { ["messages"] = new JsonArray([.. validation.Select(m => (JsonNode)m)]) };
        }

        return HttpHelpers.Json(json, Status);
    }
}
