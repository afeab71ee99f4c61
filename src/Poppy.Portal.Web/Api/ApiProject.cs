using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.ApiTokens;

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
        var user = context.User;
        var userId = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
        var db = context.RequestServices.GetRequiredService<PortalDbContext>();
        var project = await db.Projects.AsNoTracking().Where(p => p.Name == name)
            .Select(p => new { p.Id, p.Name, IsMember = p.Members.Any(m => m.UserId == userId) })
            .FirstOrDefaultAsync(cancellationToken);
        var allowed = project is not null
            && (project.IsMember || user.IsInRole(PortalRoles.Admin))
            && ApiTokenClaims.AllowsProject(user, project.Id);
        // One answer for "no such project" and "not yours", so names of other tenants cannot be probed.
        return allowed
            ? (new ApiProject(project!.Id, project.Name), null)
            : (null, ApiResults.Message(StatusCodes.Status403Forbidden, $"Project '{name}' does not exist or you are not a member of it."));
    }
}
