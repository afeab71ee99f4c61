using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Web.Api;

/// <summary>Poppy's error bodies, <c>{"message": …}</c> and <c>{"errors": [{"message": …}]}</c>, as typed results.</summary>
public static class ApiResults
{
    /// <summary>Largest request body the API reads; a service document is a few kilobytes.</summary>
    public const int MaxBodyBytes = ServiceLimits.MaxDocumentBytes;

    /// <summary>Deep enough for any service document or patch; deeper bodies are refused before they cost anything.</summary>
    public const int MaxJsonDepth = ServiceLimits.MaxDocumentDepth;

    public static JsonHttpResult<ApiMessage> Message(int status, string message) => TypedResults.Json(new ApiMessage(message), statusCode: status);

    public static JsonHttpResult<ApiMessage> BadRequest(string message) => Message(StatusCodes.Status400BadRequest, message);

    public static JsonHttpResult<ApiErrors> Invalid(IEnumerable<ValidationError> errors) =>
        TypedResults.Json(new ApiErrors(errors.Select(e => new ApiFieldError(e.ToString(), e.Path)).ToList()), statusCode: StatusCodes.Status400BadRequest);

    /// <summary>Maps a catalog outcome to Poppy's status codes; <paramref name="success"/> answers the Ok case.</summary>
    public static Results<TSuccess, JsonHttpResult<ApiMessage>, JsonHttpResult<ApiErrors>> From<TSuccess>(CatalogResult result, Func<TSuccess> success)
        where TSuccess : IResult => result.Outcome switch
    {
        CatalogOutcome.Ok => success(),
        CatalogOutcome.Invalid => Invalid(result.Errors),
        CatalogOutcome.NotFound => Message(StatusCodes.Status404NotFound, result.Message!),
        CatalogOutcome.LimitReached => Message(StatusCodes.Status403Forbidden, result.Message!),
        _ => BadRequest(result.Message!),
    };
}

/// <summary>Poppy's <c>{"message": …}</c>.</summary>
public sealed record ApiMessage([property: JsonPropertyName("message")] string Message);

/// <summary>Poppy's <c>{"errors": [{"message": …}]}</c>, with the field each message is about.</summary>
public sealed record ApiErrors([property: JsonPropertyName("errors")] IReadOnlyList<ApiFieldError> Errors);

public sealed record ApiFieldError([property: JsonPropertyName("message")] string Message, [property: JsonPropertyName("field")] string Field);
