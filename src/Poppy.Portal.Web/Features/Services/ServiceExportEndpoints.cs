using System.Globalization;
using System.Text;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>
/// The services list as CSV: every service of the current project that the list's filters select, in its sort order.
/// The catalog is called through the request's scope, so its own access check (read on the project) decides.
/// </summary>
public static class ServiceExportEndpoints
{
    public static IEndpointRouteBuilder MapServiceExportEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ServiceListView.ExportPath, ExportAsync);
        return endpoints;
    }

    private static async Task<IResult> ExportAsync(string? q, string? status, string? flavor, string? sort, string? desc,
        UserPreferences preferences, ServiceCatalog catalog, TimeProvider clock, CancellationToken cancellationToken)
    {
        // The project the user works in, as the page showing the grid has it.
        var project = (await preferences.GetAsync(cancellationToken)).Current;
        if (project is null)
        {
            return TypedResults.NotFound();
        }
        var view = ServiceListView.Parse(q, status, flavor, sort, desc, null);
        var csv = new StringBuilder("id,name,status,flavor,domains,updated_at,warnings\r\n");
        // The catalog pages by at most 100; read them all (a project holds a bounded number of services).
        for (var page = 1; ; page++)
        {
            var result = await catalog.SearchAsync(project.Id, view.ToQuery() with { Page = page, PageSize = 100 }, cancellationToken);
            foreach (var service in result.Items)
            {
                csv.AppendJoin(',',
                    service.Id.ToString(),
                    Cell(service.Name),
                    service.Status.WireName(),
                    Cell(service.FlavorId),
                    Cell(string.Join(' ', service.Domains.Order(StringComparer.Ordinal))),
                    service.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    service.Warnings.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            }
            if (page >= result.PageCount)
            {
                break;
            }
        }
        var name = $"services-{project.Name}-{clock.GetUtcNow():yyyyMMdd-HHmm}.csv";
        return TypedResults.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", SafeFileName(name));
    }

    /// <summary>
    /// RFC 4180 quoting; a cell a spreadsheet would run as a formula (=, +, -, @) gets a leading apostrophe, since names
    /// are typed by users.
    /// </summary>
    public static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string SafeFileName(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_').ToArray());
}
