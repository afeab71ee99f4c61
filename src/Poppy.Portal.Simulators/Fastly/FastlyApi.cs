using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Hosting;
using static Poppy.Portal.Simulators.Fastly.FastlyJson;
using static Poppy.Portal.Simulators.Hosting.HttpHelpers;

namespace Poppy.Portal.Simulators.Fastly;

/// <summary>The Fastly API routes the drivers use, on the paths of <c>api.fastly.com</c>.</summary>
internal static class FastlyApi
{
    /// <summary>Endpoint metadata: not counted against the hourly write limit (URL and key purges).</summary>
    internal sealed class Unmetered;

    private static readonly JsonObject StatusOk = new() { ["status"] = "ok" };

    public static void Map(RouteGroupBuilder api, FastlySimulator fastly)
    {
        var store = fastly.Store;

        // The token's customer: what a client reads to check its token.
        api.MapGet("/current_customer", () => Json(new JsonObject
        {
            ["id"] = store.CustomerId,
            ["name"] = "Poppy simulator customer",
            ["can_stream_syslog"] = true,
        }));

        // Services
        api.MapGet("/service", () => Json(List(store.Services, s => Service(s))));
        api.MapPost("/service", async (HttpContext http) =>
        {
            var fields = await ReadFieldsAsync(http.Request);
            var name = fields.GetValueOrDefault("name");
            if (string.IsNullOrWhiteSpace(name))
            {
                throw FastlyApiError.BadRequest("Required parameter 'name' is missing");
            }

            var type = fields.GetValueOrDefault("type") ?? "vcl";
            if (type is not ("vcl" or "wasm"))
            {
                throw FastlyApiError.BadRequest($"Invalid type: '{type}'");
            }

            return Json(Service(store.Create(name, type, fields.GetValueOrDefault("comment") ?? "")));
        });
        api.MapGet("/service/search", (HttpContext http) =>
        {
            var name = http.Request.Query["name"].ToString();
            var service = store.Services.FirstOrDefault(s => s.Name == name)
                ?? throw FastlyApiError.NotFound($"Cannot find service '{name}'");
            return Json(Service(service));
        });
        api.MapGet("/service/{sid}", (string sid) => Json(Service(store.Get(sid))));
        api.MapGet("/service/{sid}/details", (string sid) => Json(Details(store.Get(sid))));
        api.MapPut("/service/{sid}", async (HttpContext http, string sid) =>
        {
            var fields = await ReadFieldsAsync(http.Request);
            return Json(Service(store.Update(sid, fields.GetValueOrDefault("name"), fields.GetValueOrDefault("comment"))));
        });
        api.MapDelete("/service/{sid}", (string sid) =>
        {
            store.Delete(sid);
            return Json(StatusOk.DeepClone());
        });

        // Versions
        api.MapGet("/service/{sid}/version", (string sid) =>
        {
            var service = store.Get(sid);
            return Json(List(service.Versions, v => Version(service, v)));
        });
        api.MapPost("/service/{sid}/version", (string sid) => Json(Version(store.Get(sid), store.AddVersion(sid))));
        api.MapGet("/service/{sid}/version/{v}", (string sid, string v) =>
        {
            var (service, version) = Load(store, sid, v);
            return Json(Version(service, version));
        });
        api.MapPut("/service/{sid}/version/{v}", async (HttpContext http, string sid, string v) =>
        {
            var fields = await ReadFieldsAsync(http.Request);
            var version = store.UpdateVersion(sid, Number(v), fields.GetValueOrDefault("comment"));
            return Json(Version(store.Get(sid), version));
        });
        MapVersionAction(api, store, "clone", store.Clone);
        MapVersionAction(api, store, "activate", store.Activate);
        MapVersionAction(api, store, "deactivate", store.Deactivate);
        MapVersionAction(api, store, "lock", store.Lock);
        api.MapGet("/service/{sid}/version/{v}/validate", (string sid, string v) =>
        {
            var (_, version) = Load(store, sid, v);
            var (errors, warnings) = FastlyStore.Validate(version);
            return Json(new JsonObject
            {
                ["status"] = errors.Count == 0 ? "ok" : "error",
                ["errors"] = new JsonArray([.. errors.Select(e => (JsonNode)e)]),
                ["warnings"] = new JsonArray([.. warnings.Select(w => (JsonNode)w)]),
                ["messages"] = new JsonArray(),
            });
        });
        api.MapGet("/service/{sid}/version/{v}/settings", (string sid, string v) =>
        {
            var (service, version) = Load(store, sid, v);
            return Json(Settings(service, version));
        });
        api.MapPut("/service/{sid}/version/{v}/settings", async (HttpContext http, string sid, string v) =>
        {
            var version = store.UpdateSettings(sid, Number(v), await ReadFieldsAsync(http.Request));
            return Json(Settings(store.Get(sid), version));
        });
        api.MapGet("/service/{sid}/version/{v}/domain/check_all", (string sid, string v) =>
        {
            // The simulator has no DNS to look at; it answers as if every CNAME pointed at Fastly.
            var (service, version) = Load(store, sid, v);
            return Json(List(version.Domains, d => new JsonArray(
                Object(service, version, d), d.Name + FastlySimulator.AccessHostSuffix, true)));
        });

        // Versioned objects: domain, backend, condition, cache_settings, header, response_object, acl, …
        api.MapGet("/service/{sid}/version/{v}/{kind}", (string sid, string v, string kind) =>
        {
            var (service, version) = Load(store, sid, v);
            return Json(List(version.Of(Kind(kind).Path), o => Object(service, version, o)));
        });
        api.MapPost("/service/{sid}/version/{v}/{kind}", async (HttpContext http, string sid, string v, string kind) =>
        {
            var added = store.AddObject(sid, Number(v), Kind(kind), await ReadFieldsAsync(http.Request));
            var (service, version) = Load(store, sid, v);
            return Json(Object(service, version, added));
        });
        api.MapGet("/service/{sid}/version/{v}/{kind}/{name}", (string sid, string v, string kind, string name) =>
        {
            var (service, version) = Load(store, sid, v);
            var found = version.Find(Kind(kind).Path, name) ?? throw FastlyApiError.NotFound($"Cannot find {kind} '{name}'");
            return Json(Object(service, version, found));
        });
        api.MapPut("/service/{sid}/version/{v}/{kind}/{name}", async (HttpContext http, string sid, string v, string kind, string name) =>
        {
            var updated = store.UpdateObject(sid, Number(v), Kind(kind), name, await ReadFieldsAsync(http.Request));
            var (service, version) = Load(store, sid, v);
            return Json(Object(service, version, updated));
        });
        api.MapDelete("/service/{sid}/version/{v}/{kind}/{name}", (string sid, string v, string kind, string name) =>
        {
            store.DeleteObject(sid, Number(v), Kind(kind), name);
            return Json(StatusOk.DeepClone());
        });

        MapAclEntries(api, store);
        MapPurges(api, fastly);
    }

    private static void MapAclEntries(RouteGroupBuilder api, FastlyStore store)
    {
        api.MapGet("/service/{sid}/acl/{aclId}/entries", (string sid, string aclId) =>
        {
            var service = store.Get(sid);
            return Json(List(service.AclEntries.Where(e => e.AclId == aclId), e => AclEntry(service, e)));
        });
        api.MapPost("/service/{sid}/acl/{aclId}/entry", async (HttpContext http, string sid, string aclId) =>
        {
            var fields = await ReadFieldsAsync(http.Request);
            var ip = fields.GetValueOrDefault("ip");
            if (string.IsNullOrWhiteSpace(ip) || !System.Net.IPAddress.TryParse(ip, out _))
            {
                throw FastlyApiError.BadRequest($"Invalid ip: '{ip}'");
            }

            var entry = store.AddAclEntry(sid, aclId, ip, ParseInt(fields.GetValueOrDefault("subnet")),
                fields.GetValueOrDefault("negated") is "1" or "true", fields.GetValueOrDefault("comment") ?? "");
            return Json(AclEntry(store.Get(sid), entry));
        });
        api.MapGet("/service/{sid}/acl/{aclId}/entry/{entryId}", (string sid, string aclId, string entryId) =>
        {
            var service = store.Get(sid);
            var entry = service.AclEntries.FirstOrDefault(e => e.AclId == aclId && e.Id == entryId)
                ?? throw FastlyApiError.NotFound($"Cannot find ACL entry '{entryId}'");
            return Json(AclEntry(service, entry));
        });
        api.MapDelete("/service/{sid}/acl/{aclId}/entry/{entryId}", (string sid, string aclId, string entryId) =>
        {
            store.DeleteAclEntry(sid, aclId, entryId);
            return Json(StatusOk.DeepClone());
        });
        api.MapMethods("/service/{sid}/acl/{aclId}/entries", [HttpMethods.Patch], async (HttpContext http, string sid, string aclId) =>
        {
            if ((await ReadJsonAsync(http.Request) as JsonObject)?["entries"] is not JsonArray entries)
            {
                throw FastlyApiError.BadRequest("Expected a JSON body {\"entries\":[…]}");
            }

            var operations = entries.OfType<JsonObject>().Select(e => new AclOperation(
                e["op"]?.GetValue<string>() ?? "",
                e["id"]?.GetValue<string>(),
                e["ip"]?.GetValue<string>(),
                e["subnet"] is JsonValue subnet ? ParseInt(subnet.ToString()) : null,
                e["negated"] is JsonValue negated ? negated.ToString() is "1" or "true" : null,
                e["comment"]?.GetValue<string>())).ToList();
            store.BulkAclEntries(sid, aclId, operations);
            return Json(StatusOk.DeepClone());
        });
    }

    private static void MapPurges(RouteGroupBuilder api, FastlySimulator fastly)
    {
        var store = fastly.Store;

        // POST /purge/www.example.com/path: needs no key (unless a service turns on authenticated purging).
        api.MapPost("/purge/{**url}", (HttpContext http, string url) =>
        {
            var slash = url.IndexOf('/');
            var host = (slash < 0 ? url : url[..slash]).ToLowerInvariant();
            var path = slash < 0 ? "/" : url[slash..];
            var purge = fastly.PurgeUrl(host, path + http.Request.QueryString.Value, IsSoft(http));
            return Json(new JsonObject { ["status"] = "ok", ["id"] = purge.Id });
        }).WithMetadata(AnonymousVendorCall.Instance, new Unmetered());

        api.MapPost("/service/{sid}/purge_all", (string sid) =>
        {
            var service = store.Get(sid);
            var count = fastly.EdgeCache.Purge(e => e.SiteId == service.Id, soft: false);
            store.RecordPurge(FastlyPurgeKind.All, service.Id, "*", false, count);
            return Json(StatusOk.DeepClone());
        });

        api.MapPost("/service/{sid}/purge/{key}", (HttpContext http, string sid, string key) =>
        {
            var purge = PurgeKey(fastly, store.Get(sid), key, IsSoft(http));
            return Json(new JsonObject { ["status"] = "ok", ["id"] = purge.Id });
        }).WithMetadata(new Unmetered());

        api.MapPost("/service/{sid}/purge", async (HttpContext http, string sid) =>
        {
            var service = store.Get(sid);
            var keys = http.Request.Headers["Surrogate-Key"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            if (keys.Count == 0 && (await ReadJsonAsync(http.Request) as JsonObject)?["surrogate_keys"] is JsonArray listed)
            {
                keys = [.. listed.Select(k => k?.GetValue<string>() ?? "").Where(k => k.Length > 0)];
            }

            if (keys.Count is 0 or > 256)
            {
                throw FastlyApiError.BadRequest("Between 1 and 256 surrogate keys are required");
            }

            var soft = IsSoft(http);
            var ids = new JsonObject();
            foreach (var key in keys.Distinct())
            {
                ids[key] = PurgeKey(fastly, service, key, soft).Id;
            }

            return Json(ids);
        }).WithMetadata(new Unmetered());
    }

    private static FastlyPurge PurgeKey(FastlySimulator fastly, FastlyService service, string key, bool soft)
    {
        var count = fastly.EdgeCache.Purge(e => e.SiteId == service.Id && e.Tags.Contains(key), soft);
        return fastly.Store.RecordPurge(FastlyPurgeKind.SurrogateKey, service.Id, key, soft, count);
    }

    internal static bool IsSoft(HttpContext http) => http.Request.Headers["Fastly-Soft-Purge"].ToString() == "1";

    private static void MapVersionAction(RouteGroupBuilder api, FastlyStore store, string action, Func<string, int, FastlyVersion> apply) =>
        api.MapPut($"/service/{{sid}}/version/{{v}}/{action}", (string sid, string v) =>
        {
            var version = apply(sid, Number(v));
            return Json(Version(store.Get(sid), version));
        });

    private static (FastlyService Service, FastlyVersion Version) Load(FastlyStore store, string sid, string v)
    {
        var service = store.Get(sid);
        var number = Number(v);
        return (service, service.Version(number) ?? throw FastlyApiError.NotFound($"Cannot find version {number} of service '{sid}'"));
    }

    private static int Number(string v) =>
        ParseInt(v) ?? throw FastlyApiError.BadRequest($"Invalid version number: '{v}'");

    private static FastlyKind Kind(string kind) =>
        FastlyKinds.All.GetValueOrDefault(kind) ?? throw FastlyApiError.NotFound($"No such object type: '{kind}'");
}
