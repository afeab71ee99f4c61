using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.ApiTokens;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.ApiTokens;

namespace Poppy.Portal.Web.Tests.ApiTokens;

/// <summary>`token create|revoke`, run in-process against the portal's own database file.</summary>
public sealed class TokenCommandTests : PortalTest
{
    [Fact]
    public async Task Create_prints_exactly_the_token_and_the_token_authenticates()
    {
        var (exit, stdout, stderr) = await RunAsync("create", "--user", PortalFactory.AdminEmail);

        Assert.Equal(TokenCommand.Succeeded, exit);
        Assert.Matches("^ppy_[A-Za-z0-9_-]{43}\n$", stdout);
        Assert.Equal("", stderr);
        using var api = Portal.TokenClient();
        using var response = await api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, stdout.TrimEnd('\n'), TokenHeader.Bearer);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var audit = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<AuditEntry>()
            .SingleAsync(e => e.EntityType == AuditEntityTypes.ApiToken);
        Assert.Equal((TokenCommand.AuditActor, "create"), (audit.ActorName, audit.Action));
    }

    [Fact]
    public async Task Create_takes_a_name_a_project_and_an_expiry()
    {
        var (exit, _, stderr) = await RunAsync(
            "create", "--user", PortalFactory.AdminEmail, "--project", PortalFactory.FirstProject, "--name", "ci deploy", "--expires-days", "7");

        Assert.Equal(TokenCommand.Succeeded, exit);
        Assert.Equal("", stderr);
        var token = Assert.Single(await TokensOfAsync(PortalFactory.AdminEmail));
        Assert.Equal(("ci deploy", PortalFactory.FirstProject), (token.Name, token.ProjectName));
        var expected = Portal.Clock.GetUtcNow().AddDays(7);
        Assert.InRange(token.ExpiresAt!.Value, expected.AddMinutes(-1), expected);
    }

    [Fact]
    public async Task An_unknown_user_a_foreign_project_or_a_disabled_account_is_refused_with_exit_code_2()
    {
        await Portal.CreateProjectAsync("beta");
        await Portal.CreateUserAsync("op@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        await Portal.CreateUserAsync("gone@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            await scope.ServiceProvider.GetRequiredService<UserAdministration>()
                .SetDisabledAsync(await Portal.UserIdAsync("gone@test.local"), true, CancellationToken.None);
        }

        var unknown = await RunAsync("create", "--user", "nobody@test.local");
        var foreign = await RunAsync("create", "--user", "op@test.local", "--project", "beta");
        var disabled = await RunAsync("create", "--user", "gone@test.local");

        Assert.Equal((TokenCommand.Refused, ""), (unknown.Exit, unknown.Stdout));
        Assert.Contains("nobody@test.local", unknown.Stderr);
        Assert.Equal((TokenCommand.Refused, ""), (foreign.Exit, foreign.Stdout));
        Assert.Contains("'beta' is not one of your projects", foreign.Stderr);
        Assert.Equal((TokenCommand.Refused, ""), (disabled.Exit, disabled.Stdout));
        Assert.Contains("disabled", disabled.Stderr);
        Assert.Empty(await TokensOfAsync("op@test.local"));
    }

    [Theory]
    [InlineData]
    [InlineData("create")]
    [InlineData("create", "--user")]
    [InlineData("issue", "--user", PortalFactory.AdminEmail)]
    [InlineData("create", "--user", PortalFactory.AdminEmail, "--expires-days", "0")]
    [InlineData("create", "--user", PortalFactory.AdminEmail, "--expires-days", "soon")]
    [InlineData("create", "--user", PortalFactory.AdminEmail, "--colour", "red")]
    [InlineData("create", "--user", PortalFactory.AdminEmail, "--prefix", "ppy_abc")]
    [InlineData("revoke", "--user", PortalFactory.AdminEmail)]
    public async Task Bad_usage_prints_the_usage_on_stderr_with_exit_code_1(params string[] args)
    {
        var (exit, stdout, stderr) = await RunAsync(args);

        Assert.Equal(TokenCommand.BadUsage, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("Usage:", stderr);
    }

    [Fact]
    public async Task Revoke_by_the_listed_prefix_refuses_the_token_from_then_on()
    {
        var (_, stdout, _) = await RunAsync("create", "--user", PortalFactory.AdminEmail);
        var token = stdout.TrimEnd('\n');
        var listed = Assert.Single(await TokensOfAsync(PortalFactory.AdminEmail)).DisplayPrefix;

        var revoke = await RunAsync("revoke", "--user", PortalFactory.AdminEmail, "--prefix", listed);
        var again = await RunAsync("revoke", "--user", PortalFactory.AdminEmail, "--prefix", "ppy_zzzzzzzz");

        Assert.Equal((TokenCommand.Succeeded, ""), (revoke.Exit, revoke.Stdout));
        Assert.Equal(TokenCommand.Refused, again.Exit);
        using var api = Portal.TokenClient();
        using var response = await api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        _ = Portal.Services; // the portal has started: database migrated, administrator created
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await TokenCommand.RunAsync(args, stdout, stderr, new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["Database:ConnectionString"] = Portal.ConnectionString,
        });
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private async Task<IReadOnlyList<ApiTokenSummary>> TokensOfAsync(string email)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<ApiTokenService>().ListForUserAsync(await Portal.UserIdAsync(email), CancellationToken.None);
    }
}
