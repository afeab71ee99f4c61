using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Features.Providers;

public static class ProviderEndpoints
{
    public const string CredentialFieldsPath = "/ui/providers/credential-fields";

    public static IEndpointRouteBuilder MapProviderEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // htmx fragment: the kind select of the account form asks for the inputs of the chosen kind.
        endpoints.MapGet(CredentialFieldsPath, CredentialFieldsAsync).RequireAuthorization(p => p.RequireRole(PortalRoles.Admin));
        return endpoints;
    }

    /// <param name="kind">The select's own value, sent under its form name.</param>
    /// <param name="account">The account being edited, if any: its kind keeps the stored values and shows the non-secret ones.</param>
    private static async Task<Results<RazorComponentResult<CredentialFields>, BadRequest<string>>> CredentialFieldsAsync(
        [FromQuery(Name = "Input.Kind")] string? kind, Guid? account, ProviderAccountDirectory accounts, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<ProviderKind>(kind, out var chosen) || !Enum.IsDefined(chosen))
        {
            return TypedResults.BadRequest("Unknown provider kind.");
        }

        var existing = account is { } id ? await accounts.FindAsync(id, cancellationToken) : null;
        var keeps = existing?.Kind == chosen;
        var values = keeps ? await accounts.GetVisibleCredentialsAsync(existing!.Id, cancellationToken) : CredentialFields.Suggested(chosen);
        return new RazorComponentResult<CredentialFields>(new Dictionary<string, object?>
        {
            [nameof(CredentialFields.Kind)] = chosen,
            [nameof(CredentialFields.KeepsStoredValues)] = keeps,
            [nameof(CredentialFields.Values)] = values,
        });
    }
}
