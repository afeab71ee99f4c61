using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Authorization;

/// <summary>A user sees and works in their own projects only, whatever they ask for (UserPreferences, the switcher's service).</summary>
public sealed class ProjectIsolationTests : PortalTest
{
    private Guid beta;

    public override async Task InitializeAsync() => beta = await Portal.CreateProjectAsync("beta");

    [Fact]
    public async Task A_member_of_one_project_cannot_switch_to_another()
    {
        var member = await MemberAsync("alpha-only@test.local", PortalFactory.FirstProject);

        await Assert.ThrowsAsync<AccessDeniedException>(() => AsAsync(member, p => p.SetCurrentProjectAsync(beta, CancellationToken.None)));

        var working = await AsAsync(member, p => p.GetAsync(CancellationToken.None));
        Assert.Equal(PortalFactory.FirstProject, working.Current?.Name);
        Assert.Equal([PortalFactory.FirstProject], working.Available.Select(p => p.Name));
    }

    [Fact]
    public async Task A_member_of_two_projects_switches_between_them_and_the_page_follows()
    {
        var member = await MemberAsync("both@test.local", PortalFactory.FirstProject, "beta");

        await AsAsync(member, p => p.SetCurrentProjectAsync(beta, CancellationToken.None));

        Assert.Equal("beta", (await AsAsync(member, p => p.GetAsync(CancellationToken.None))).Current?.Name);
        using var client = Portal.CreatePortalClient();
        await client.SignInOrFailAsync("both@test.local", member.Password);
        var dashboard = await client.GetPageAsync("/");
        Assert.Equal("beta", dashboard.QuerySelector("[data-testid=current-project]")?.TextContent.Trim());
    }

    [Fact]
    public async Task A_remembered_project_the_user_left_falls_back_to_one_they_belong_to()
    {
        var member = await MemberAsync("left@test.local", PortalFactory.FirstProject);
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            // As if they had chosen beta while still a member.
            await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Users.Where(u => u.Id == member.Actor.UserId)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.CurrentProjectId, beta));
        }

        var working = await AsAsync(member, p => p.GetAsync(CancellationToken.None));

        Assert.Equal(PortalFactory.FirstProject, working.Current?.Name);
        Assert.DoesNotContain(working.Available, p => p.Id == beta);
    }

    private sealed record Member(Actor Actor, string Password);

    private async Task<Member> MemberAsync(string email, params string[] projects)
    {
        var password = await Portal.CreateUserAsync(email, PortalRoles.Operator, projects);
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync(email);
        return new Member(Actor.User(user!.Id, email, PortalRoles.Operator), password);
    }

    private async Task<T> AsAsync<T>(Member member, Func<UserPreferences, Task<T>> call)
    {
        await using var scope = Portal.Services.CreateAsyncScope(member.Actor);
        return await call(scope.ServiceProvider.GetRequiredService<UserPreferences>());
    }

    private async Task AsAsync(Member member, Func<UserPreferences, Task> call)
    {
        await using var scope = Portal.Services.CreateAsyncScope(member.Actor);
        await call(scope.ServiceProvider.GetRequiredService<UserPreferences>());
    }
}
