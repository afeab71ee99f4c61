using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Poppy.Portal.Web.Api;

/// <summary>The OpenAPI description of the v1.0 API (served at /openapi/poppy-v1.json, browsable at /api/docs).</summary>
public static class PoppyApiDocument
{
    public const string Name = "poppy-v1";
    public const string Route = "/openapi/{documentName}.json";

    public static void Configure(OpenApiOptions options)
    {
        // Only the Poppy API, not the portal's pages and UI fragments.
        options.ShouldInclude = description => description.RelativePath?.StartsWith("v1.0", StringComparison.Ordinal) == true;
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Poppy Portal API",
                Version = "v1.0",
                Description = "OpenStack Poppy-compatible CDN service API. Authenticate with a personal API token in "
                    + "X-Auth-Token (or Authorization: Bearer) and choose the project with X-Project-ID.",
            };
            return Task.CompletedTask;
        });
    }
}
