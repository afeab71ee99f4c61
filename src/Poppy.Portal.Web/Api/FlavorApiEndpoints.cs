using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Api;

/// <summary>Poppy's /v1.0/flavors: anyone signed in lists and reads flavors; admins create and delete them.</summary>
public static class FlavorApiEndpoints
{
    public static void MapFlavorApi(this IEndpointRouteBuilder api)
    {
        var flavors = api.MapGroup("/flavors");
        flavors.MapGet("/", ListAsync).WithSummary("All flavors.");
        flavors.MapGet("/{id}", GetAsync).WithSummary("One flavor.");
        flavors.MapPost("/", CreateAsync).Resolves(ApiNeeds.Body).RequireAuthorization(p => p.RequireRole(PortalRoles.Admin)).WithSummary("Creates a flavor: 201 with Location and body.");
        flavors.MapDelete("/{id}", DeleteAsync).RequireAuthorization(p => p.RequireRole(PortalRoles.Admin))
            .WithSummary("Deletes a flavor no live service uses: 204; 409 while services use it; 404.");
    }

    private static string FlavorUrl(HttpRequest request, string id) =>
        request.HttpContext.RequestServices.GetRequiredService<PublicUrls>().Absolute($"{PoppyApiEndpoints.Prefix}/flavors/{Uri.EscapeDataString(id)}");

    private static JsonObject Represent(FlavorDetails flavor, HttpRequest request) => new()
    {
        ["id"] = flavor.Id,
        ["providers"] = new JsonArray(flavor.Providers.Select(p => (JsonNode)new JsonObject
        {
            ["provider"] = p.Provider,
            ["links"] = new JsonArray(new JsonObject { ["href"] = p.ProviderUrl, ["rel"] = FlavorProviderSpec.ProviderUrlRel }),
        }).ToArray()),
        ["links"] = new JsonArray(new JsonObject { ["href"] = FlavorUrl(request, flavor.Id), ["rel"] = "self" }),
        // The portal's addition: whether a service with settings a vendor of the flavor cannot express is refused.
        ["unsupported_settings"] = flavor.UnsupportedSettings.WireName(),
    };

    private static async Task<JsonHttpResult<JsonObject>> ListAsync(HttpRequest request, FlavorCatalog catalog, CancellationToken cancellationToken)
    {
        var all = await catalog.ListAsync(cancellationToken);
        return TypedResults.Json(new JsonObject { ["flavors"] = new JsonArray(all.Select(f => (JsonNode)Represent(f, request)).ToArray()) });
    }

    private static async Task<Results<JsonHttpResult<JsonObject>, JsonHttpResult<ApiMessage>>> GetAsync(string id, HttpRequest request, FlavorCatalog catalog,
        CancellationToken cancellationToken) =>
        await catalog.FindAsync(id, cancellationToken) is { } flavor
            ? TypedResults.Json(Represent(flavor, request))
            : ApiResults.Message(StatusCodes.Status404NotFound, $"flavor {id} could not be found");

    private static async Task<Results<Created<JsonObject>, JsonHttpResult<ApiMessage>, JsonHttpResult<ApiErrors>>> CreateAsync(ApiRequest api,
        HttpRequest request, FlavorCatalog catalog, CancellationToken cancellationToken)
    {
        if (api.Body.ValueKind != JsonValueKind.Object)
        {
            return ApiResults.BadRequest("A flavor is {\"id\": ..., \"providers\": [{\"provider\": name, \"links\": [{\"href\": ..., \"rel\": \"provider_url\"}]}]}.");
        }
        // Strict, as services are read: unknown keys, keys in another case and wrong types are refused by name.
        if (FlavorDocumentReader.Read(api.Body, out var readErrors) is not { } spec)
        {
            return ApiResults.Invalid(readErrors);
        }
        var result = await catalog.CreateAsync(spec, cancellationToken);
        if (!result.Succeeded)
        {
            return ApiResults.Invalid(result.Errors);
        }
        return TypedResults.Created(FlavorUrl(request, result.Value!.Id), Represent(result.Value, request));
    }

    private static async Task<Results<NoContent, JsonHttpResult<ApiMessage>, JsonHttpResult<ApiErrors>>> DeleteAsync(string id, FlavorCatalog catalog,
        CancellationToken cancellationToken)
    {
        var result = await catalog.DeleteAsync(id, cancellationToken);
        return result.IsNotFound ? ApiResults.Message(StatusCodes.Status404NotFound, $"flavor {id} could not be found")
            : result.Succeeded ? TypedResults.NoContent()
            : result.IsConflict ? ApiResults.Message(StatusCodes.Status409Conflict, string.Join(" ", result.Errors.Select(e => e.Message)))
            : ApiResults.Invalid(result.Errors);
    }
}
