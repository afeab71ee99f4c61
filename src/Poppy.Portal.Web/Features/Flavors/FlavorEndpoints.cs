using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Features.Flavors;

public static class FlavorEndpoints
{
    public const string ProviderRowsPath = "/ui/flavors/provider-rows";

    public static IEndpointRouteBuilder MapFlavorEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // htmx fragment: the add/remove buttons of the new-flavor form get its provider rows back with the change.
        endpoints.MapGet(ProviderRowsPath, ProviderRows).RequireAuthorization(p => p.RequireRole(PortalRoles.Admin));
        return endpoints;
    }

    /// <summary>Reads the rows as the form names them (Input.Providers[i].Provider / .ProviderUrl), applies add or remove=i.</summary>
    private static RazorComponentResult<FlavorProviderRows> ProviderRows(HttpRequest request)
    {
        var query = request.Query;
        var rows = new List<FlavorProviderRow>();
        for (var i = 0; i < FlavorForm.MaxRows; i++)
        {
            var provider = query[$"Input.Providers[{i}].Provider"];
            var url = query[$"Input.Providers[{i}].ProviderUrl"];
            if (provider.Count == 0 && url.Count == 0)
            {
                break;
            }
            rows.Add(new FlavorProviderRow { Provider = provider.ToString(), ProviderUrl = url.ToString() });
        }
        var remove = int.TryParse(query["remove"], NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : (int?)null;
        FlavorForm.ApplyRowCommand(rows, add: query.ContainsKey("add"), remove);
        return new RazorComponentResult<FlavorProviderRows>(new Dictionary<string, object?> { [nameof(FlavorProviderRows.Rows)] = rows });
    }
}
