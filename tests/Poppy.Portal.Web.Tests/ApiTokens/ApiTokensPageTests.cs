using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.ApiTokens;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.ApiTokens;

/// <summary>The /account/tokens page: create (shown once), list, revoke, for every role.</summary>
public sealed class ApiTokensPageTests : PortalTest
{
    [Fact]
    public async Task A_new_token_is_shown_once_and_only_its_hash_and_prefix_are_stored()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        using var created = await admin.SubmitFormAsync(ApiTokenTestKit.TokensPage,
            new Dictionary<string, string> { ["Input.Name"] = "deploy", ["Input.ExpiresInDays"] = "0" }, "create-token");
        var createdPage = PortalClient.Parse(await created.Content.ReadAsStringAsync());
        var token = createdPage.QuerySelector("[data-testid=new-token]")!.TextContent.Trim();
        var listPage = await admin.GetPageAsync(ApiTokenTestKit.TokensPage);

        Assert.Matches("^ppy_[A-Za-z0-9_-]{43}$", token);
        Assert.Contains("no-store", created.Headers.CacheControl?.ToString());
        Assert.Contains("will not be shown again", createdPage.QuerySelector("[data-testid=new-token-panel]")!.TextContent);
        Assert.Null(listPage.QuerySelector("[data-testid=new-token]"));
        Assert.DoesNotContain(token, listPage.DocumentElement.OuterHtml);
        var row = Assert.Single(listPage.QuerySelectorAll("[data-testid=tokens-table] tbody tr"));
        Assert.Contains(token[..12] + "…", row.TextContent);
        Assert.Contains("all my projects", row.TextContent);
        Assert.Contains("never", row.TextContent);
        Assert.Contains("active", row.TextContent);

        var database = ReadDatabaseFile();
        Assert.DoesNotContain(token, database);
        Assert.DoesNotContain(token[4..], database);
        Assert.Contains(ApiTokenSecret.HashOf(token), database);
    }

    [Fact]
    public async Task A_viewer_creates_and_revokes_their_own_tokens_and_sees_only_their_own()
    {
        var password = await Portal.CreateUserAsync("viewer@test.local", PortalRoles.Viewer, PortalFactory.FirstProject);
        await Portal.CreateTokenAsync(PortalFactory.AdminEmail);
        using var viewer = Portal.CreatePortalClient();
        await viewer.SignInOrFailAsync("viewer@test.local", password);

        var (page, token) = await viewer.CreateOnPageAsync("viewer-script", PortalFactory.FirstProject, "365");
        var row = Assert.Single(page.QuerySelectorAll("[data-testid=tokens-table] tbody tr"));
        var revokeLink = row.QuerySelector("a[href^='/account/tokens?revoke=']")!.GetAttribute("href")!;
        using var revoke = await viewer.SubmitFormAsync(revokeLink, new Dictionary<string, string>(), "revoke-token");

        Assert.Contains("viewer-script", row.TextContent);
        Assert.Contains(PortalFactory.FirstProject, row.TextContent);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Contains("The token was revoked.", PortalClient.Parse(await revoke.Content.ReadAsStringAsync()).Body!.TextContent);
        using var api = Portal.TokenClient();
        using var refused = await api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task The_project_choice_is_limited_to_the_users_projects()
    {
        await Portal.CreateProjectAsync("beta");
        var password = await Portal.CreateUserAsync("op@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        using var op = Portal.CreatePortalClient();
        await op.SignInOrFailAsync("op@test.local", password);

        var form = await op.GetPageAsync(ApiTokenTestKit.TokensPage);
        using var forged = await op.SubmitFormAsync(ApiTokenTestKit.TokensPage,
            new Dictionary<string, string> { ["Input.Name"] = "sneaky", ["Input.Project"] = "beta", ["Input.ExpiresInDays"] = "30" }, "create-token");

        Assert.Equal(["", PortalFactory.FirstProject], form.QuerySelectorAll("#token-project option").Select(o => o.GetAttribute("value")));
        var answer = PortalClient.Parse(await forged.Content.ReadAsStringAsync());
        Assert.Contains("Project: 'beta' is not one of your projects.", answer.QuerySelector(".alert-danger")!.TextContent);
        Assert.Null(answer.QuerySelector("[data-testid=new-token]"));
    }

    [Fact]
    public async Task Only_the_owner_or_an_administrator_revokes_a_token()
    {
        await Portal.CreateTokenAsync(PortalFactory.AdminEmail);
        var password = await Portal.CreateUserAsync("op@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        await Portal.CreateTokenAsync("op@test.local");
        var adminId = await Portal.UserIdAsync(PortalFactory.AdminEmail);
        var operatorId = await Portal.UserIdAsync("op@test.local");
        var adminTokenId = (await TokensOfAsync(PortalFactory.AdminEmail)).Single().Id;
        var operatorTokenId = (await TokensOfAsync("op@test.local")).Single().Id;
        using var op = Portal.CreatePortalClient();
        await op.SignInOrFailAsync("op@test.local", password);

        // The page only offers the user's own tokens: a confirmation link to someone else's shows nothing to post to.
        var foreignConfirmation = await op.GetPageAsync($"{ApiTokenTestKit.TokensPage}?revoke={adminTokenId}");
        using var forgedPost = await op.PostWithTokenAsync($"{ApiTokenTestKit.TokensPage}?revoke={adminTokenId}",
            new Dictionary<string, string> { ["_handler"] = "revoke-token", ["RevokeId"] = adminTokenId.ToString() });
        await using var operatorScope = Portal.Services.CreateAsyncScope(Actor.User(operatorId, "op@test.local", PortalRoles.Operator));
        var byOperator = await operatorScope.ServiceProvider.GetRequiredService<ApiTokenService>().RevokeAsync(adminTokenId, CancellationToken.None);
        await using var adminScope = Portal.Services.CreateAsyncScope(Actor.User(adminId, PortalFactory.AdminEmail, PortalRoles.Admin));
        var byAdmin = await adminScope.ServiceProvider.GetRequiredService<ApiTokenService>().RevokeAsync(operatorTokenId, CancellationToken.None);

        Assert.Null(foreignConfirmation.QuerySelector("[data-testid=revoke-confirmation]"));
        Assert.Equal(HttpStatusCode.BadRequest, forgedPost.StatusCode);
        Assert.Equal(["No such token."], byOperator.Errors);
        Assert.True(byAdmin.Succeeded);
        Assert.Equal(ApiTokenStatus.Active, (await TokensOfAsync(PortalFactory.AdminEmail)).Single().Status);
        Assert.Equal(ApiTokenStatus.Revoked, (await TokensOfAsync("op@test.local")).Single().Status);
    }

    [Fact]
    public async Task Creating_and_revoking_are_audited_without_the_token()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var (page, token) = await admin.CreateOnPageAsync("audited", PortalFactory.FirstProject);
        var revokeLink = page.QuerySelector("a[href^='/account/tokens?revoke=']")!.GetAttribute("href")!;
        using var revoke = await admin.SubmitFormAsync(revokeLink, new Dictionary<string, string>(), "revoke-token");

        var alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var entries = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<AuditEntry>()
            .Where(e => e.EntityType == AuditEntityTypes.ApiToken).OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(["create", "revoke"], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal(PortalFactory.AdminEmail, e.ActorName));
        Assert.All(entries, e => Assert.Equal(alpha, e.ProjectId));
        Assert.Contains("audited", entries[0].Summary);
        Assert.Contains(token[..12], entries[0].After);
        Assert.Contains("revokedAt", entries[1].After);
        Assert.All(entries, e => Assert.DoesNotContain(token[4..], e.Summary + e.Before + e.After));
        Assert.All(entries, e => Assert.DoesNotContain(ApiTokenSecret.HashOf(token), e.Summary + e.Before + e.After));
    }

    private async Task<IReadOnlyList<ApiTokenSummary>> TokensOfAsync(string email)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<ApiTokenService>().ListForUserAsync(await Portal.UserIdAsync(email), CancellationToken.None);
    }

    /// <summary>The SQLite file as text, to prove what is not in it anywhere (any table, any column).</summary>
    private string ReadDatabaseFile()
    {
        using var file = new FileStream(Path.Combine(Portal.DataFolder, "portal.db"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(file, Encoding.Latin1);
        return reader.ReadToEnd();
    }
}
