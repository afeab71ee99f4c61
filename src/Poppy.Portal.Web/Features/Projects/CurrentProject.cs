using System.Security.Claims;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Features.Projects;

public sealed record ProjectContext(IReadOnlyList<ProjectSummary> Available, ProjectSummary? Current);

/// <summary>
/// The project the signed-in user is working in: the one chosen in the top-bar switcher (a cookie), but only if the
/// user may still see it; otherwise their first project. Pages and endpoints scope their data by it.
/// </summary>
public sealed class CurrentProject(IHttpContextAccessor httpContextAccessor, ProjectDirectory projects)
{
    public const string CookieName = "Poppy.Project";

    private ProjectContext? resolved;

    public async Task<ProjectContext> GetAsync(CancellationToken cancellationToken)
    {
        if (resolved is not null)
        {
            return resolved;
        }

        var context = httpContextAccessor.HttpContext ?? throw new InvalidOperationException("No HTTP request in progress.");
        var user = context.User;
        var userId = user.FindFirstValue(ClaimTypes.NameIdentifier);
        if (userId is null)
        {
            return resolved = new ProjectContext([], null);
        }

        var available = await projects.ListVisibleAsync(userId, user.IsInRole(PortalRoles.Admin), cancellationToken);
        var chosen = Guid.TryParse(context.Request.Cookies[CookieName], out var id) ? available.FirstOrDefault(p => p.Id == id) : null;
        return resolved = new ProjectContext(available, chosen ?? available.FirstOrDefault());
    }
}
