using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Poppy.Portal.Simulators.Hosting;

internal static class HttpHelpers
{
    public static IResult Json(JsonNode? node, int status = StatusCodes.Status200OK, string contentType = "application/json") =>
        Results.Text(node?.ToJsonString() ?? "null", contentType, Encoding.UTF8, status);

    /// <summary>Form fields (what most vendor config writes send) or the members of a JSON object, as strings.</summary>
    public static async Task<Dictionary<string, string?>> ReadFieldsAsync(HttpRequest request)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            foreach (var (key, value) in form)
            {
                fields[key] = value.ToString();
            }
        }
        else if (request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            if (await ReadJsonAsync(request) is JsonObject json)
            {
                foreach (var (key, value) in json)
                {
                    fields[key] = value switch
                    {
                        null => null,
                        JsonValue v when v.TryGetValue<string>(out var s) => s,
                        _ => value.ToJsonString(),
                    };
                }
            }
        }

        return fields;
    }

    /// <summary>The body as JSON, or null when it is empty or not JSON.</summary>
    public static async Task<JsonNode?> ReadJsonAsync(HttpRequest request)
    {
        var text = await ReadBodyTextAsync(request);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads the body and rewinds it, so a signature check and the handler can both read it.</summary>
    public static async Task<byte[]> ReadBodyBytesAsync(HttpRequest request)
    {
        request.EnableBuffering();
        request.Body.Position = 0;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        request.Body.Position = 0;
        return buffer.ToArray();
    }

    public static async Task<string> ReadBodyTextAsync(HttpRequest request) =>
        Encoding.UTF8.GetString(await ReadBodyBytesAsync(request));

    /// <summary>The ISO-8601 UTC form the vendors print (<c>2024-04-30T15:33:30Z</c>).</summary>
    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static int? ParseInt(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;
}

/// <summary>Sets response headers, then runs the wrapped result (vendor errors carry Retry-After and friends).</summary>
internal sealed class ResultWithHeaders(IResult inner, IReadOnlyList<KeyValuePair<string, string>> headers) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        foreach (var (name, value) in headers)
        {
            httpContext.Response.Headers[name] = value;
        }

        return inner.ExecuteAsync(httpContext);
    }
}

internal static class ResultHeaderExtensions
{
    public static IResult WithHeaders(this IResult result, params (string Name, string Value)[] headers) =>
        new ResultWithHeaders(result, [.. headers.Select(h => KeyValuePair.Create(h.Name, h.Value))]);
}
