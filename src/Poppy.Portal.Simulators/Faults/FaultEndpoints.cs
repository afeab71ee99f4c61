using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Faults;

/// <summary><c>GET|POST|DELETE {base}/_faults/{vendor}</c>: the fault controls over HTTP (no credentials: loopback only).</summary>
internal static class FaultEndpoints
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static void MapFaultEndpoints(this IEndpointRouteBuilder app, IReadOnlyList<VendorSimulator> vendors)
    {
        var faults = app.MapGroup("/_faults");
        faults.MapGet("/", () => HttpHelpers.Json(new JsonObject(vendors.Select(v =>
            KeyValuePair.Create(v.Vendor.PathSegment(), (JsonNode?)Describe(v.Faults))))));
        faults.MapGet("/{vendor}", (string vendor) =>
            Find(vendors, vendor) is { } found ? HttpHelpers.Json(Describe(found.Faults)) : UnknownVendor(vendor));
        faults.MapPost("/{vendor}", async (HttpContext http, string vendor) =>
        {
            if (Find(vendors, vendor) is not { } found)
            {
                return UnknownVendor(vendor);
            }

            FaultProfile? profile;
            try
            {
                profile = await JsonSerializer.DeserializeAsync<FaultProfile>(http.Request.Body, JsonOptions, http.RequestAborted);
            }
            catch (JsonException e)
            {
                return Problem($"Not a fault profile: {e.Message}");
            }

            if (profile?.Validate() is { } problem)
            {
                return Problem(problem);
            }

            found.Faults.Set(profile ?? FaultProfile.None);
            return HttpHelpers.Json(Describe(found.Faults));
        });
        faults.MapDelete("/{vendor}", (string vendor) =>
        {
            if (Find(vendors, vendor) is not { } found)
            {
                return UnknownVendor(vendor);
            }

            found.Faults.Reset();
            return Results.NoContent();
        });
    }

    private static VendorSimulator? Find(IReadOnlyList<VendorSimulator> vendors, string segment) =>
        CdnVendorExtensions.TryParseSegment(segment, out var vendor) ? vendors.FirstOrDefault(v => v.Vendor == vendor) : null;

    private static JsonObject Describe(FaultControl control)
    {
        var json = JsonSerializer.SerializeToNode(control.Profile, JsonOptions)!.AsObject();
        json["throttleRemaining"] = control.ThrottleRemaining;
        // What the last delayed edge answer really waited (a timer wakes late under load): a client timing the edge
        // from another process (bench/probes) compares against this rather than the profile's latency.
        json["lastEdgeDelayMs"] = Math.Round(control.LastEdgeDelay.TotalMilliseconds, 3);
        return json;
    }

    private static IResult Problem(string detail) =>
        HttpHelpers.Json(new JsonObject { ["error"] = detail }, StatusCodes.Status400BadRequest);

    private static IResult UnknownVendor(string vendor) =>
        HttpHelpers.Json(new JsonObject { ["error"] = $"No simulated vendor '{vendor}'" }, StatusCodes.Status404NotFound);
}
