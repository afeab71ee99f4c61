using Microsoft.AspNetCore.Antiforgery;
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
        // The account page's "Test connection" button: a form post (antiforgery-checked), then back to the page, which
        // shows the recorded outcome.
        endpoints.MapPost("/providers/{id:guid}/test-connection", TestConnectionAsync)
            .RequireAuthorization(p => p.RequireRole(PortalRoles.Admin));
        return endpoints;
    }

    /// <summary>The page that shows an account with the outcome of the test just run.</summary>
    public static string TestedPath(Guid accountId) => $"/providers/{accountId}?tested=true";

    private static async Task<Results<RedirectHttpResult, NotFound, BadRequest<string>>> TestConnectionAsync(
        Guid id, HttpContext context, IAntiforgery antiforgery, ProviderConnectionTester tester, CancellationToken cancellationToken)
    {
        // No form field is bound, so minimal APIs would not check the token by themselves.
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.BadRequest("The form has expired; reload the page and try again.");
        }

        var tested = await tester.TestAsync(id, cancellationToken);
        return tested.IsNotFound ? TypedResults.NotFound() : TypedResults.Redirect(TestedPath(id));
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
