using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Web.Api;

/// <summary>
/// Reads an API request body as JSON, and refuses (with the 4xx to return) everything a handler could not read
/// safely: a body over <see cref="ServiceLimits.MaxDocumentBytes"/>, nesting over <see cref="ServiceLimits.MaxDocumentDepth"/>,
/// malformed JSON, a member given twice (parsers disagree on which one counts), and strings that are not valid Unicode
/// (invalid UTF-8, an escaped lone surrogate <c>"\ud800"</c>): System.Text.Json parses those and throws only when a
/// handler reads the string, which answered 500. Every API handler with a body reads it here.
/// </summary>
public static class JsonBody
{
    private static readonly JsonDocumentOptions Options = new()
    {
        MaxDepth = ServiceLimits.MaxDocumentDepth,
        AllowDuplicateProperties = false,
    };

    /// <summary>The parsed body (the caller disposes it), or the error to return.</summary>
    public static async Task<(JsonDocument? Document, IResult? Error)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > ServiceLimits.MaxDocumentBytes)
        {
            return (null, TooLarge());
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = ServiceLimits.MaxDocumentBytes;
        }
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, Options, cancellationToken);
        }
        catch (JsonException)
        {
            return (null, ApiResults.BadRequest("Invalid JSON string"));
        }
        catch (InvalidOperationException)
        {
            // The duplicate-member check reads member names, and so meets their invalid text first.
            return (null, NotUnicode("a member name"));
        }
        catch (BadHttpRequestException tooLarge) when (tooLarge.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
        if (JsonStrings.FindInvalid(document.RootElement) is { } path)
        {
            document.Dispose();
            return (null, NotUnicode(path));
        }
        return (document, null);
    }

    private static IResult TooLarge() =>
        ApiResults.Message(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {ServiceLimits.MaxDocumentBytes / 1024} KiB.");

    private static IResult NotUnicode(string where) =>
        ApiResults.BadRequest($"Invalid JSON string: {where} is not valid Unicode text (invalid UTF-8 or a lone surrogate).");
}
