using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Hosting;
using static Poppy.Portal.Simulators.Hosting.HttpHelpers;

namespace Poppy.Portal.Simulators.Akamai;

/// <summary>The PAPI (<c>/papi/v1</c>) and Fast Purge (<c>/ccu/v3</c>) calls the drivers use.</summary>
internal static class AkamaiApi
{
    private static readonly string[] EdgeSuffixes = ["edgesuite.net", "edgekey.net", "akamaized.net"];

    public static void Map(RouteGroupBuilder api, AkamaiSimulator akamai)
    {
        var store = akamai.Store;
        var papi = api.MapGroup("/papi/v1");
        var account = akamai.Context.Options.Akamai;

        papi.MapGet("/contracts", () => Json(new JsonObject
        {
            ["contracts"] = Items(new JsonObject { ["contractId"] = account.ContractId, ["contractTypeName"] = "DIRECT_CUSTOMER" }),
        }));
        papi.MapGet("/groups", () => Json(new JsonObject
        {
            ["groups"] = Items(new JsonObject { ["groupId"] = account.GroupId, ["groupName"] = "Poppy simulator", ["contractIds"] = new JsonArray(account.ContractId) }),
        }));
        papi.MapGet("/products", () => Json(new JsonObject
        {
            ["products"] = Items(
                new JsonObject { ["productId"] = "prd_Fresca", ["productName"] = "Ion Standard" },
                new JsonObject { ["productId"] = "prd_SPM", ["productName"] = "Ion Premier" },
                new JsonObject { ["productId"] = "prd_Download_Delivery", ["productName"] = "Download Delivery" }),
        }));

        // Properties
        papi.MapGet("/properties", (HttpContext http) =>
        {
            var (contractId, groupId) = RequireContractAndGroup(http, akamai);
            return Json(new JsonObject { ["properties"] = Items([.. store.Properties.Select(p => PropertyJson(akamai, p))]) });
        });
        papi.MapPost("/properties", async (HttpContext http) =>
        {
            var (contractId, groupId) = RequireContractAndGroup(http, akamai);
            var body = await JsonBodyAsync(http);
            var name = Text(body, "propertyName") ?? throw AkamaiProblem.BadRequest("propertyName is required.");
            var productId = Text(body, "productId") ?? throw AkamaiProblem.BadRequest("productId is required.");
            var property = store.CreateProperty(name, productId, Text(body, "ruleFormat") ?? "latest", contractId, groupId);
            return Created(http, $"/papi/v1/properties/{property.PropertyId}", "propertyLink", contractId, groupId);
        });
        // Search by property name (PAPI's find-by-value): the latest version of each match and the versions active on a
        // network, each with its production and staging status.
        papi.MapPost("/search/find-by-value", async (HttpContext http) =>
        {
            var body = await JsonBodyAsync(http);
            var name = Text(body, "propertyName") ?? throw AkamaiProblem.BadRequest("Give propertyName: the simulator searches by property name only.");
            var now = akamai.Context.Now;
            var items = new List<JsonNode>();
            foreach (var property in store.Properties.Where(p => p.PropertyName == name))
            {
                var production = store.ActiveVersion(property.PropertyId, AkamaiNetworks.Production, now);
                var staging = store.ActiveVersion(property.PropertyId, AkamaiNetworks.Staging, now);
                foreach (var version in new[] { property.LatestVersion.PropertyVersion, production, staging }.OfType<int>().Distinct())
                {
                    var item = Header(property);
                    item["assetId"] = property.AssetId;
                    item["propertyVersion"] = version;
                    item["productionStatus"] = version == production ? "ACTIVE" : "INACTIVE";
                    item["stagingStatus"] = version == staging ? "ACTIVE" : "INACTIVE";
                    items.Add(item);
                }
            }

            return Json(new JsonObject { ["versions"] = Items([.. items]) });
        });
        papi.MapGet("/properties/{propertyId}", (string propertyId) =>
            Json(new JsonObject { ["properties"] = Items(PropertyJson(akamai, store.Get(propertyId))) }));
        papi.MapDelete("/properties/{propertyId}", (string propertyId) =>
        {
            store.DeleteProperty(propertyId);
            return Json(new JsonObject { ["message"] = "Deletion Successful." });
        });

        // Versions
        papi.MapGet("/properties/{propertyId}/versions", (string propertyId) =>
        {
            var property = store.Get(propertyId);
            var json = Header(property);
            json["versions"] = Items([.. property.Versions.Select(v => VersionJson(akamai, property, v))]);
            return Json(json);
        });
        papi.MapPost("/properties/{propertyId}/versions", async (HttpContext http, string propertyId) =>
        {
            var body = await JsonBodyAsync(http);
            var from = body["createFromVersion"] is JsonValue value && value.TryGetValue<int>(out var number)
                ? number : throw AkamaiProblem.BadRequest("createFromVersion is required.");
            var version = store.CreateVersion(propertyId, from, Text(body, "createFromVersionEtag"));
            var property = store.Get(propertyId);
            return Created(http, $"/papi/v1/properties/{property.PropertyId}/versions/{version.PropertyVersion}", "versionLink", property.ContractId, property.GroupId);
        });
        papi.MapGet("/properties/{propertyId}/versions/{version}", (string propertyId, string version) =>
        {
            var (property, v) = Load(store, propertyId, version);
            var json = Header(property);
            json["versions"] = Items(VersionJson(akamai, property, v));
            return Json(json);
        });

        // Hostnames
        papi.MapGet("/properties/{propertyId}/versions/{version}/hostnames", (string propertyId, string version) =>
        {
            var (property, v) = Load(store, propertyId, version);
            return Json(HostnamesJson(property, v));
        });
        papi.MapPut("/properties/{propertyId}/versions/{version}/hostnames", async (HttpContext http, string propertyId, string version) =>
        {
            if (await ReadJsonAsync(http.Request) is not JsonArray items)
            {
                throw AkamaiProblem.BadRequest("The body must be a JSON array of hostnames.");
            }

            var edgeHostnames = store.EdgeHostnames;
            var hostnames = items.OfType<JsonObject>().Select(item =>
            {
                var cnameFrom = Text(item, "cnameFrom") ?? throw AkamaiProblem.BadRequest("cnameFrom is required.");
                var edgeHostnameId = Text(item, "edgeHostnameId") is { } ehn ? Prefixed("ehn_", ehn) : null;
                var cnameTo = Text(item, "cnameTo") ?? edgeHostnames.FirstOrDefault(e => e.EdgeHostnameId == edgeHostnameId)?.Domain
                    ?? throw AkamaiProblem.BadRequest($"Unknown edge hostname for {cnameFrom}: give an existing edgeHostnameId or cnameTo.");
                edgeHostnameId ??= edgeHostnames.FirstOrDefault(e => e.Domain == cnameTo)?.EdgeHostnameId;
                return new AkamaiHostname(Text(item, "cnameType") ?? "EDGE_HOSTNAME", cnameFrom.ToLowerInvariant(), cnameTo, edgeHostnameId,
                    Text(item, "certProvisioningType") ?? "CPS_MANAGED");
            }).ToList();
            var updated = store.SetHostnames(propertyId, Number(version), hostnames);
            return Json(HostnamesJson(store.Get(propertyId), updated));
        });

        // Rules
        papi.MapGet("/properties/{propertyId}/versions/{version}/rules", (string propertyId, string version) =>
        {
            var (property, v) = Load(store, propertyId, version);
            return RulesResult(property, v);
        });
        papi.MapPut("/properties/{propertyId}/versions/{version}/rules", async (HttpContext http, string propertyId, string version) =>
        {
            var body = await JsonBodyAsync(http);
            if (body["rules"] is not JsonObject rules || Text(rules, "name") != "default")
            {
                throw AkamaiProblem.BadRequest("The body must be {\"rules\":{\"name\":\"default\",…}}.");
            }

            var format = http.Request.ContentType is { } type && type.StartsWith("application/vnd.akamai.papirules.", StringComparison.Ordinal)
                ? type["application/vnd.akamai.papirules.".Length..].Split('+')[0]
                : store.Get(propertyId).Version(Number(version))?.RuleFormat ?? "latest";
            var updated = store.SetRules(propertyId, Number(version), http.Request.Headers.IfMatch.ToString(), rules, format);
            return RulesResult(store.Get(propertyId), updated);
        });

        // Edge hostnames
        papi.MapGet("/edgehostnames", () => Json(new JsonObject
        {
            ["edgeHostnames"] = Items([.. store.EdgeHostnames.Select(EdgeHostnameJson)]),
        }));
        papi.MapPost("/edgehostnames", async (HttpContext http) =>
        {
            var (contractId, groupId) = RequireContractAndGroup(http, akamai);
            var body = await JsonBodyAsync(http);
            var prefix = Text(body, "domainPrefix") ?? throw AkamaiProblem.BadRequest("domainPrefix is required.");
            var suffix = Text(body, "domainSuffix") ?? throw AkamaiProblem.BadRequest("domainSuffix is required.");
            if (!EdgeSuffixes.Contains(suffix))
            {
                throw AkamaiProblem.BadRequest($"domainSuffix must be one of {string.Join(", ", EdgeSuffixes)}.");
            }

            var created = store.CreateEdgeHostname(prefix.ToLowerInvariant(), suffix, Text(body, "productId") ?? "prd_Fresca",
                Text(body, "ipVersionBehavior") ?? "IPV4");
            return Created(http, $"/papi/v1/edgehostnames/{created.EdgeHostnameId}", "edgeHostnameLink", contractId, groupId);
        });
        papi.MapGet("/edgehostnames/{edgeHostnameId}", (string edgeHostnameId) =>
        {
            var found = store.EdgeHostnames.FirstOrDefault(e => e.EdgeHostnameId == Prefixed("ehn_", edgeHostnameId))
                ?? throw AkamaiProblem.NotFound($"The edge hostname {edgeHostnameId} does not exist.");
            return Json(new JsonObject { ["edgeHostnames"] = Items(EdgeHostnameJson(found)) });
        });

        // Activations
        papi.MapPost("/properties/{propertyId}/activations", async (HttpContext http, string propertyId) =>
        {
            var body = await JsonBodyAsync(http);
            var version = body["propertyVersion"] is JsonValue value && value.TryGetValue<int>(out var number)
                ? number : throw AkamaiProblem.BadRequest("propertyVersion is required.");
            var network = Text(body, "network")?.ToUpperInvariant();
            if (network is not (AkamaiNetworks.Staging or AkamaiNetworks.Production))
            {
                throw AkamaiProblem.BadRequest("network must be STAGING or PRODUCTION.");
            }

            var emails = (body["notifyEmails"] as JsonArray)?.Select(e => e?.ToString() ?? "").Where(e => e.Length > 0).ToList() ?? [];
            if (emails.Count == 0)
            {
                throw AkamaiProblem.BadRequest("notifyEmails needs at least one address.");
            }

            var type = Text(body, "activationType")?.ToUpperInvariant() ?? "ACTIVATE";
            if (type is not ("ACTIVATE" or "DEACTIVATE"))
            {
                throw AkamaiProblem.BadRequest("activationType must be ACTIVATE or DEACTIVATE.");
            }

            var property = store.Get(propertyId);
            if (type == "ACTIVATE" && AkamaiRules.Errors(property.Version(version)?.Rules) is [var first, ..])
            {
                throw new AkamaiProblem(StatusCodes.Status400BadRequest, "/papi/v0/activation/validation-errors", "Activation blocked",
                    $"Version {version} has rule errors: {first["detail"]}");
            }

            var activation = store.Activate(propertyId, version, network, type, emails);
            return Created(http, $"/papi/v1/properties/{activation.PropertyId}/activations/{activation.ActivationId}", "activationLink",
                property.ContractId, property.GroupId);
        });
        papi.MapGet("/properties/{propertyId}/activations", (string propertyId) =>
        {
            var property = store.Get(propertyId);
            return Json(new JsonObject
            {
                ["activations"] = Items([.. store.Activations.Where(a => a.PropertyId == property.PropertyId).Reverse().Select(a => ActivationJson(akamai, a))]),
            });
        });
        papi.MapGet("/properties/{propertyId}/activations/{activationId}", (string propertyId, string activationId) =>
        {
            var property = store.Get(propertyId);
            var activation = store.Activations.FirstOrDefault(a => a.PropertyId == property.PropertyId && a.ActivationId == Prefixed("atv_", activationId))
                ?? throw AkamaiProblem.NotFound($"The activation {activationId} does not exist.");
            return Json(new JsonObject { ["activations"] = Items(ActivationJson(akamai, activation)) });
        });

        // Fast Purge (CCU v3)
        api.MapPost("/ccu/v3/{action}/{type}/{network}", async (HttpContext http, string action, string type, string network) =>
        {
            if (action is not ("invalidate" or "delete") || type is not ("url" or "cpcode" or "tag") || network is not ("staging" or "production"))
            {
                throw new AkamaiProblem(StatusCodes.Status404NotFound, "/ccu/v3/not-found", "Not Found", $"No purge endpoint {action}/{type}/{network}.");
            }

            var body = await JsonBodyAsync(http);
            var objects = (body["objects"] as JsonArray)?.Select(o => o?.ToString() ?? "").Where(o => o.Length > 0).ToList() ?? [];
            if (objects.Count == 0)
            {
                throw new AkamaiProblem(StatusCodes.Status400BadRequest, "/ccu/v3/bad-request", "Bad Request", "objects must list at least one item.");
            }

            var purge = akamai.Purge(action, type, network, Text(body, "hostname"), objects);
            return Json(new JsonObject
            {
                ["httpStatus"] = 201,
                ["detail"] = "Request accepted",
                ["estimatedSeconds"] = (int)akamai.Context.Options.PurgeDelay.TotalSeconds,
                ["purgeId"] = purge.PurgeId,
                ["supportId"] = "17PY" + purge.PurgeId[5..],
            }, StatusCodes.Status201Created);
        });
    }

    private static (string ContractId, string GroupId) RequireContractAndGroup(HttpContext http, AkamaiSimulator akamai)
    {
        var contractId = http.Request.Query["contractId"].ToString();
        var groupId = http.Request.Query["groupId"].ToString();
        if (contractId.Length == 0 || groupId.Length == 0)
        {
            throw AkamaiProblem.BadRequest("The contractId and groupId query parameters are required.");
        }

        var account = akamai.Context.Options.Akamai;
        if (Prefixed("ctr_", contractId) != account.ContractId || Prefixed("grp_", groupId) != account.GroupId)
        {
            throw new AkamaiProblem(StatusCodes.Status403Forbidden, "/papi/v0/forbidden", "Forbidden", "You do not have access to this contract and group.");
        }

        return (account.ContractId, account.GroupId);
    }

    private static IResult Created(HttpContext http, string path, string linkName, string contractId, string groupId)
    {
        var link = $"{path}?contractId={contractId}&groupId={groupId}";
        http.Response.Headers.Location = link;
        return Json(new JsonObject { [linkName] = link }, StatusCodes.Status201Created);
    }

    private static IResult RulesResult(AkamaiProperty property, AkamaiPropertyVersion version)
    {
        var json = Header(property);
        json["propertyVersion"] = version.PropertyVersion;
        json["etag"] = version.ETag;
        json["ruleFormat"] = version.RuleFormat;
        json["rules"] = version.Rules;
        json["errors"] = new JsonArray([.. AkamaiRules.Errors(version.Rules)]);
        json["warnings"] = new JsonArray();
        return Json(json, StatusCodes.Status200OK, $"application/vnd.akamai.papirules.{version.RuleFormat}+json")
            .WithHeaders(("ETag", $"\"{version.ETag}\""));
    }

    private static JsonObject Header(AkamaiProperty property) => new()
    {
        ["accountId"] = "act_SIM",
        ["contractId"] = property.ContractId,
        ["groupId"] = property.GroupId,
        ["propertyId"] = property.PropertyId,
        ["propertyName"] = property.PropertyName,
    };

    private static JsonObject PropertyJson(AkamaiSimulator akamai, AkamaiProperty property)
    {
        var now = akamai.Context.Now;
        var json = Header(property);
        json["assetId"] = property.AssetId;
        json["latestVersion"] = property.LatestVersion.PropertyVersion;
        json["stagingVersion"] = akamai.Store.ActiveVersion(property.PropertyId, AkamaiNetworks.Staging, now);
        json["productionVersion"] = akamai.Store.ActiveVersion(property.PropertyId, AkamaiNetworks.Production, now);
        json["productId"] = property.ProductId;
        json["note"] = "";
        return json;
    }

    private static JsonObject VersionJson(AkamaiSimulator akamai, AkamaiProperty property, AkamaiPropertyVersion version)
    {
        var now = akamai.Context.Now;
        string Status(string network)
        {
            if (akamai.Store.ActiveVersion(property.PropertyId, network, now) == version.PropertyVersion)
            {
                return "ACTIVE";
            }

            var last = akamai.Store.Activations.LastOrDefault(a => a.PropertyId == property.PropertyId && a.Network == network && a.PropertyVersion == version.PropertyVersion);
            return last is null ? "INACTIVE" : last.CompleteAt(now) ? "DEACTIVATED" : "PENDING";
        }

        return new JsonObject
        {
            ["propertyVersion"] = version.PropertyVersion,
            ["updatedByUser"] = "poppy-simulator",
            ["updatedDate"] = Iso(version.UpdatedDate),
            ["productionStatus"] = Status(AkamaiNetworks.Production),
            ["stagingStatus"] = Status(AkamaiNetworks.Staging),
            ["etag"] = version.ETag,
            ["productId"] = property.ProductId,
            ["ruleFormat"] = version.RuleFormat,
            ["note"] = version.Note,
        };
    }

    private static JsonObject HostnamesJson(AkamaiProperty property, AkamaiPropertyVersion version)
    {
        var json = Header(property);
        json["propertyVersion"] = version.PropertyVersion;
        json["etag"] = version.ETag;
        json["hostnames"] = Items([.. version.Hostnames.Select(h => new JsonObject
        {
            ["cnameType"] = h.CnameType,
            ["cnameFrom"] = h.CnameFrom,
            ["cnameTo"] = h.CnameTo,
            ["edgeHostnameId"] = h.EdgeHostnameId,
            ["certProvisioningType"] = h.CertProvisioningType,
        })]);
        return json;
    }

    private static JsonObject EdgeHostnameJson(AkamaiEdgeHostname e) => new()
    {
        ["edgeHostnameId"] = e.EdgeHostnameId,
        ["edgeHostnameDomain"] = e.Domain,
        ["productId"] = e.ProductId,
        ["domainPrefix"] = e.DomainPrefix,
        ["domainSuffix"] = e.DomainSuffix,
        ["secure"] = e.DomainSuffix == "edgekey.net",
        ["ipVersionBehavior"] = e.IpVersionBehavior,
    };

    private static JsonObject ActivationJson(AkamaiSimulator akamai, AkamaiActivation a) => new()
    {
        ["activationId"] = a.ActivationId,
        ["propertyName"] = a.PropertyName,
        ["propertyId"] = a.PropertyId,
        ["propertyVersion"] = a.PropertyVersion,
        ["network"] = a.Network,
        ["activationType"] = a.ActivationType,
        ["status"] = a.StatusAt(akamai.Context.Now),
        ["submitDate"] = Iso(a.SubmitDate),
        ["updateDate"] = Iso(a.CompleteAt(akamai.Context.Now) ? a.CompletesAt : a.SubmitDate),
        ["notifyEmails"] = new JsonArray([.. a.NotifyEmails.Select(e => (JsonNode)e)]),
    };

    private static JsonObject Items(params JsonNode[] items) => new() { ["items"] = new JsonArray(items) };

    private static (AkamaiProperty, AkamaiPropertyVersion) Load(AkamaiStore store, string propertyId, string version)
    {
        var property = store.Get(propertyId);
        var number = Number(version);
        return (property, property.Version(number) ?? throw AkamaiProblem.NotFound($"Version {number} of {property.PropertyId} does not exist."));
    }

    private static int Number(string version) =>
        ParseInt(version) ?? throw AkamaiProblem.BadRequest($"Invalid property version: {version}");

    private static string Prefixed(string prefix, string id) => AkamaiStore.Prefixed(prefix, id);

    private static async Task<JsonObject> JsonBodyAsync(HttpContext http) =>
        await ReadJsonAsync(http.Request) as JsonObject ?? throw AkamaiProblem.BadRequest("The body must be a JSON object.");

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
