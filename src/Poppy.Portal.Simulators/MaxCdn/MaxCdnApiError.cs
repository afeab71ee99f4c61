using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.MaxCdn;

/// <summary>MaxCDN RWS's envelope for errors: <c>{"code":N,"error":{"message","type"}}</c>.</summary>
internal sealed class MaxCdnApiError(int status, string type, string message) : SimulatedApiError(status, message)
{
    public static MaxCdnApiError NotFound(string message) => new(StatusCodes.Status404NotFound, "not_found", message);

    public static MaxCdnApiError Validation(string message) => new(StatusCodes.Status400BadRequest, "validation_error", message);

    public static IResult Body(int status, string type, string message) =>
        HttpHelpers.Json(new JsonObject { ["code"] = status, ["error"] = new JsonObject { ["message"] = message, ["type"] = type } }, status);

    public override IResult ToResult() => Body(Status, type, Message);
}
