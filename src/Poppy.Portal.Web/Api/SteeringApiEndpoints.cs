using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Web.Api;

/// <summary>
/// <c>GET</c> and <c>PUT /v1.0/services/{id}/steering</c>: which provider a service's DNS names point at, by which
/// policy, the records, each provider's health and the last switch events; and the operator's settings.
/// </summary>
public static class SteeringApiEndpoints
{
    public static void MapSteeringApi(this RouteGroupBuilder services)
    {
        services.MapGet("/{id}/steering", GetAsync).Resolves(ApiNeeds.Project | ApiNeeds.ServiceId)
            .WithSummary("DNS steering: policy, mode (enforce|dry_run), providers (priority order), active_provider, weights (weighted: "
                + "{provider: weight}), weighted_refusal (why the DNS account cannot hold weighted records, or null), records (domain, name, type, "
                + "target, ttl, dns_account, nameserver, weights: the weighted set written [{provider, target, weight}] or null), "
                + "health (provider, healthy, reason) and the last events (from/to, from_weights/to_weights).");
        services.MapPut("/{id}/steering", PutAsync).Resolves(ApiNeeds.Project | ApiNeeds.ServiceId | ApiNeeds.Body)
            .WithSummary("Sets DNS steering: {policy: manual|failover|fastest|weighted, mode: enforce|dry_run, providers: [names], pinned_provider, "
                + "weights: {provider name: weight}, thresholds: {...}}; fields left out take their defaults. A pinned provider takes the records at once. "
                + "weighted needs weights (whole numbers 0..255 for every DNS vendor, at least one positive, only the service's providers) and a DNS "
                + "account that holds weighted records (Route 53 weighted sets, PowerDNS LUA records; Designate and Rackspace are refused): the next "
                + "steering round writes the set of the healthy providers (an unhealthy provider's weight is taken out until it is healthy again).");
    }

    private static readonly string[] Fields = ["policy", "mode", "providers", "pinned_provider", "weights", "thresholds"];

    private static async Task<Results<JsonHttpResult<JsonObject>, JsonHttpResult<ApiMessage>>> GetAsync(ApiRequest api, SteeringService steering,
        CancellationToken cancellationToken)
    {
        var view = await steering.GetAsync(api.Project.Id, api.ServiceId, cancellationToken);
        return view is null
            ? ApiResults.Message(StatusCodes.Status404NotFound, $"service {api.ServiceId} could not be found")
            : TypedResults.Json(Body(view));
    }

    private static async Task<Results<JsonHttpResult<JsonObject>, JsonHttpResult<ApiMessage>, JsonHttpResult<ApiErrors>>> PutAsync(ApiRequest api,
        SteeringService steering, CancellationToken cancellationToken)
    {
        var (change, errors) = Read(api.Body);
        if (errors.Count > 0)
        {
            return ApiResults.Invalid(errors);
        }
        var result = await steering.UpdateAsync(api.Project.Id, api.ServiceId, change!, cancellationToken);
        if (result.IsNotFound)
        {
            return ApiResults.Message(StatusCodes.Status404NotFound, $"service {api.ServiceId} could not be found");
        }
        return result.Succeeded ? TypedResults.Json(Body(result.Value!)) : ApiResults.Invalid(result.Errors);
    }

    /// <summary>The body as a change, or a message per field that is not what it must be.</summary>
    public static (SteeringChange? Change, List<ValidationError> Errors) Read(JsonElement body)
    {
        var errors = new List<ValidationError>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("", "The body must be a JSON object."));
            return (null, errors);
        }
        foreach (var property in body.EnumerateObject().Where(p => !Fields.Contains(p.Name)))
        {
            errors.Add(new(property.Name, $"Unknown field '{property.Name}'; the fields are {string.Join(", ", Fields)}."));
        }
        string? Text(string name)
        {
            if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            if (value.ValueKind != JsonValueKind.String)
            {
                errors.Add(new(name, $"{name} must be a string."));
                return null;
            }
            return value.GetString();
        }
        var policy = Text("policy");
        var mode = Text("mode");
        var pinned = Text("pinned_provider");
        List<string>? providers = null;
        if (body.TryGetProperty("providers", out var list) && list.ValueKind != JsonValueKind.Null)
        {
            if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                errors.Add(new("providers", "providers must be a list of provider names."));
            }
            else
            {
                providers = list.EnumerateArray().Select(e => e.GetString()!).ToList();
            }
        }
        Dictionary<string, int>? weights = null;
        if (body.TryGetProperty("weights", out var weighted) && weighted.ValueKind != JsonValueKind.Null)
        {
            if (weighted.ValueKind != JsonValueKind.Object
                || weighted.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out _)))
            {
                errors.Add(new("weights", "weights must be an object of provider name → whole number (0..255)."));
            }
            else
            {
                weights = weighted.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
            }
        }
        SteeringThresholds? thresholds = null;
        if (body.TryGetProperty("thresholds", out var given) && given.ValueKind != JsonValueKind.Null)
        {
            if (given.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new("thresholds", "thresholds must be an object."));
            }
            else
            {
                try
                {
                    thresholds = given.Deserialize<SteeringThresholds>(SteeringThresholds.Json);
                }
                catch (JsonException e)
                {
                    var field = e.Path?.TrimStart('$', '.') is { Length: > 0 } path ? $"thresholds.{path}" : "thresholds";
                    errors.Add(new(field, $"thresholds take whole numbers and ratios by name ({string.Join(", ", ThresholdNames)}): {e.Message}"));
                }
            }
        }
        return (errors.Count > 0 ? null : new SteeringChange(policy, mode, providers, pinned, thresholds, weights), errors);
    }

    private static readonly string[] ThresholdNames = typeof(SteeringThresholds).GetProperties()
        .Select(p => p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), false)
            .OfType<System.Text.Json.Serialization.JsonPropertyNameAttribute>().FirstOrDefault()?.Name)
        .OfType<string>().ToArray();

    public static JsonObject Body(SteeringView view) => new()
    {
        ["service_id"] = view.ServiceId.ToString(),
        ["policy"] = view.Policy.WireName(),
        ["mode"] = view.Mode.WireName(),
        ["providers"] = new JsonArray(view.Providers.Select(p => (JsonNode)JsonValue.Create(p.Name)).ToArray()),
        ["active_provider"] = view.Active?.Name,
        ["pinned_provider"] = view.Pinned?.Name,
        ["dns_configured"] = view.DnsConfigured,
        ["failover_in_effect"] = view.FailoverInEffect,
        ["alert"] = view.AlertOpen,
        ["decided_at"] = view.DecidedAt?.ToString("O"),
        ["weights"] = view.Weights is null ? null : new JsonObject(view.Weights.Select(w => KeyValuePair.Create(w.Name, (JsonNode?)JsonValue.Create(w.Weight)))),
        ["weighted_refusal"] = view.WeightedRefusal,
        ["thresholds"] = JsonSerializer.SerializeToNode(view.Thresholds, SteeringThresholds.Json),
        ["records"] = new JsonArray(view.Records.Select(r => (JsonNode)new JsonObject
        {
            ["domain"] = r.Domain,
            ["name"] = r.Name,
            ["type"] = r.Type,
            ["target"] = r.Target,
            ["provider"] = r.Provider,
            ["ttl"] = r.Ttl,
            ["dns_account"] = r.DnsAccount,
            ["nameserver"] = r.Nameserver,
            ["state"] = r.State.ToString().ToLowerInvariant(),
            ["error"] = r.LastError,
            ["weights"] = r.Weights is null ? null : new JsonArray(r.Weights.Select(w => (JsonNode)new JsonObject
            {
                ["provider"] = w.Provider,
                ["target"] = w.Target,
                ["weight"] = w.Weight,
            }).ToArray()),
        }).ToArray()),
        ["health"] = new JsonArray(view.Health.Select(h => (JsonNode)new JsonObject
        {
            ["provider"] = h.Provider,
            ["healthy"] = h.Healthy,
            ["reason"] = h.Reason,
            ["p95_ms"] = h.P95Ms,
        }).ToArray()),
        ["events"] = new JsonArray(view.Events.Select(e => (JsonNode)new JsonObject
        {
            ["time"] = e.At.ToString("O"),
            ["kind"] = e.Kind switch
            {
                SteeringEventKind.WouldSwitch => "would_switch",
                SteeringEventKind.AlertCleared => "alert_cleared",
                _ => e.Kind.ToString().ToLowerInvariant(),
            },
            ["domains"] = new JsonArray(e.Domains.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
            ["from"] = e.From,
            ["to"] = e.To,
            ["from_weights"] = e.FromWeights,
            ["to_weights"] = e.ToWeights,
            ["policy"] = e.Policy.WireName(),
            ["reason"] = e.Reason,
            ["figures"] = JsonNode.Parse(e.Figures),
            ["actor"] = e.Actor,
            ["confirmed"] = e.Confirmation,
        }).ToArray()),
    };
}
