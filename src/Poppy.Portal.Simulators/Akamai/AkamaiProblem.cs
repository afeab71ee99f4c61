using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Akamai;

/// <summary>Akamai's problem JSON: <c>{"type","title","detail","instance","status"}</c> as <c>application/problem+json</c>.</summary>
internal sealed class AkamaiProblem(int status, string typePath, string title, string detail, JsonObject? extra = null)
    : SimulatedApiError(status, detail)
{
    public const string ProblemBase = "https://problems.luna.akamaiapis.net";

    public static AkamaiProblem NotFound(string detail) => new(StatusCodes.Status404NotFound, "/papi/v0/not-found", "Not Found", detail);

    public static AkamaiProblem BadRequest(string detail) => new(StatusCodes.Status400BadRequest, "/papi/v0/bad-request", "Bad Request", detail);

    public static IResult Body(int status, string type, string title, string detail, JsonObject? extra = null)
    {
        var json = new JsonObject
        {
            ["type"] = type.StartsWith("http", StringComparison.Ordinal) ? type : ProblemBase + type,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["instance"] = $"{ProblemBase}/-/instances/{Guid.NewGuid():N}",
        };
        foreach (var (key, value) in extra ?? [])
        {
            json[key] = value?.DeepClone();
        }

        return HttpHelpers.Json(json, status, "application/problem+json");
    }

    public override IResult ToResult() => Body(Status, typePath, title, Message, extra);
}
