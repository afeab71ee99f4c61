using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Fastly;

/// <summary>Fastly's legacy error body: <c>{"msg","detail"}</c>.</summary>
internal sealed class FastlyApiError(int status, string msg, string? detail) : SimulatedApiError(status, detail ?? msg)
{
    public static FastlyApiError NotFound(string detail) => new(StatusCodes.Status404NotFound, "Record not found", detail);

    public static FastlyApiError BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static FastlyApiError Duplicate(string detail) => new(StatusCodes.Status409Conflict, "Duplicate record", detail);

    public static IResult Body(int status, string msg, string? detail) =>
        HttpHelpers.Json(new JsonObject { ["msg"] = msg, ["detail"] = detail }, status);

    public override IResult ToResult() => Body(Status, msg, detail);
}
