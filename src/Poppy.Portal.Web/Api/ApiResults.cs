using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Web.Api;

/// <summary>Poppy's error bodies, <c>{"message": …}</c> and <c>{"errors": [{"message": …}]}</c>, and safe body reading.</summary>
public static class ApiResults
{
    /// <summary>Largest request body the API reads; a service document is a few kilobytes.</summary>
    public const int MaxBodyBytes = 256 * 1024;

    /// <summary>Deep enough for any service document or patch; deeper bodies are refused before they cost anything.</summary>
    public const int MaxJsonDepth = 16;

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

    /// <summary>Reads the body as JSON within the size and depth limits; the error is ready to return when it fails.</summary>
    public static async Task<(JsonDocument? Document, IResult? Error)> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, Message(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {MaxBodyBytes / 1024} KiB."));
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }
        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = MaxJsonDepth }, cancellationToken);
            return (document, null);
        }
        catch (JsonException)
        {
            return (null, BadRequest("Invalid JSON string"));
        }
        catch (BadHttpRequestException tooLarge) when (tooLarge.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Message(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {MaxBodyBytes / 1024} KiB."));
        }
    }
}
