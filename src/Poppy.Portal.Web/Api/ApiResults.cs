using System.Text.Json;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Web.Api;

/// <summary>Poppy's error bodies, <c>{"message": …}</c> and <c>{"errors": [{"message": …}]}</c>, and safe body reading.</summary>
public static class ApiResults
{
    /// <summary>Largest request body the API reads; a service document is a few kilobytes.</summary>
    public const int MaxBodyBytes = ServiceLimits.MaxDocumentBytes;

    /// <summary>Deep enough for any service document or patch; deeper bodies are refused before they cost anything.</summary>
    public const int MaxJsonDepth = ServiceLimits.MaxDocumentDepth;

    public static IResult Message(int status, string message) => Results.Json(new { message }, statusCode: status);

    public static IResult BadRequest(string message) => Message(StatusCodes.Status400BadRequest, message);

    public static IResult Invalid(IEnumerable<ValidationError> errors) =>
        Results.Json(new { errors = errors.Select(e => new { message = e.ToString(), field = e.Path }) }, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>Maps a catalog outcome to Poppy's status codes; <paramref name="success"/> answers the Ok case.</summary>
    public static IResult From(CatalogResult result, Func<IResult> success) => result.Outcome switch
    {
        CatalogOutcome.Ok => success(),
        CatalogOutcome.Invalid => Invalid(result.Errors),
        CatalogOutcome.NotFound => Message(StatusCodes.Status404NotFound, result.Message!),
        CatalogOutcome.LimitReached => Message(StatusCodes.Status403Forbidden, result.Message!),
        _ => BadRequest(result.Message!),
    };

    /// <summary>Reads the body as JSON within the limits (see <see cref="JsonBody"/>); the error is ready to return when it fails.</summary>
    public static Task<(JsonDocument? Document, IResult? Error)> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken) =>
        JsonBody.ReadAsync(request, cancellationToken);
}
