using System.Net;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Authorization;

/// <summary>A user sees and works in their own projects only, whatever they send.</summary>
public sealed class ProjectIsolationTests : PortalTest
{
    private Guid beta;

    public override async Task InitializeAsync() => beta = await Portal.CreateProjectAsync("beta");

    [Fact]
    public async Task A_member_of_one_project_cannot_switch_to_another()
    {
        using var member = await SignedInMemberOfAlphaAsync();

        using var response = await member.PostWithTokenAsync("/ui/projects/switch", new Dictionary<string, string> { ["projectId"] = beta.ToString() });
        var dashboard = await member.GetPageAsync("/");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(PortalFactory.FirstProject, dashboard.QuerySelector("[data-testid=current-project]")?.TextContent.Trim());
    }

    [Fact]
    public async Task A_forged_project_cookie_falls_back_to_a_project_the_user_belongs_to()
    {
        using var member = await SignedInMemberOfAlphaAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("Cookie", $"Poppy.Project={beta}");
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await member.Http.SendAsync(request);
        var page = PortalClient.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(PortalFactory.FirstProject, page.QuerySelector("[data-testid=current-project]")?.TextContent.Trim());
        Assert.Empty(page.QuerySelectorAll("[data-project=beta]"));
        Assert.Contains($"Services in {PortalFactory.FirstProject}", page.QuerySelector("[data-testid=services-card]")?.TextContent);
    }

    [Fact]
    public async Task The_switcher_offers_members_their_projects_and_admins_every_project()
    {
        using var member = await SignedInMemberOfAlphaAsync();
        using var admin = await Portal.CreateAdminClientAsync();

        var memberPage = await member.GetPageAsync("/");
        var adminPage = await admin.GetPageAsync("/");

        Assert.Equal(["alpha"], memberPage.QuerySelectorAll("[data-project]").Select(e => e.GetAttribute("data-project")));
        Assert.Equal(["alpha", "beta"], adminPage.QuerySelectorAll("[data-project]").Select(e => e.GetAttribute("data-project")));
    }

    [Fact]
    public async Task A_member_of_two_projects_switches_between_them()
    {
        var password = await Portal.CreateUserAsync("both@test.local", PortalRoles.Viewer, PortalFactory.FirstProject, "beta");
        using var member = Portal.CreatePortalClient();
        await member.SignInOrFailAsync("both@test.local", password);

        using var response = await member.PostWithTokenAsync("/ui/projects/switch",
            new Dictionary<string, string> { ["projectId"] = beta.ToString(), ["returnUrl"] = "/services" });
        var page = await member.GetPageAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/services", response.Headers.Location?.OriginalString);
        Assert.Equal("beta", page.QuerySelector("[data-testid=current-project]")?.TextContent.Trim());
    }

    private async Task<PortalClient> SignedInMemberOfAlphaAsync()
    {
        var password = await Portal.CreateUserAsync("alpha-only@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        var client = Portal.CreatePortalClient();
        await client.SignInOrFailAsync("alpha-only@test.local", password);
        return client;
    }
}
