using Poppy.Portal.Core.Features.Access;

namespace Poppy.Portal.Web.Api;

/// <summary>
/// The tenant of an API call: the project named by <c>X-Project-ID</c>, which must be one the caller belongs to (admins
/// belong to all). Poppy trusted the header blindly and so leaked services across tenants.
/// </summary>
public sealed record ApiProject(Guid Id, string Name)
{
    public const string Header = "X-Project-ID";

    public static async Task<(ApiProject? Project, IResult? Error)> ResolveAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var name = context.Request.Headers[Header].ToString().Trim();
        if (name.Length == 0)
        {
            return (null, ApiResults.BadRequest("The Project ID must be provided."));
        }
        try
        {
            // The access policy decides (membership, admin, a token's restriction); the operation itself checks again.
            var access = context.RequestServices.GetRequiredService<AccessPolicy>();
            var (id, projectName) = await access.RequireProjectByNameAsync(name, ProjectRight.Read, cancellationToken);
            return (new ApiProject(id, projectName), null);
        }
        catch (AccessDeniedException denied)
        {
            return (null, ApiResults.Message(StatusCodes.Status403Forbidden, denied.Message));
        }
    }
}
