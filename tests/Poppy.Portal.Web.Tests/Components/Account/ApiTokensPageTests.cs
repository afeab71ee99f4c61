using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Poppy.Portal.Core.Features.ApiTokens;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.ApiTokens;
using Poppy.Portal.Web.Tests.ApiTokens;
using Poppy.Portal.Web.Tests.Audit;

namespace Poppy.Portal.Web.Tests.Components.Account;

/// <summary>The API tokens page: a new token is shown once in a dialog, revoking asks first, changes are rate-limited per user.</summary>
public sealed class ApiTokensPageTests : PortalComponentTest
{
    public ApiTokensPageTests()
    {
        // Small enough for a test to reach (read when the portal starts, on the first sign-in).
        Portal.Settings["Portal:RateLimits:ApiTokens:PermitLimit"] = "3";
        Services.AddSingleton(_ => Portal.Services.GetRequiredService<ApiTokenChangeLimiter>());
    }

    private async Task<PageWithProviders<ApiTokensPage>> RenderAsync() => this.RenderWithProviders<ApiTokensPage>(await WorkingAsync());

    private IEnumerable<string> Snackbars => Services.GetRequiredService<ISnackbar>().ShownSnackbars.Select(s => s.Message ?? "");

    private Task<IReadOnlyList<ApiTokenSummary>> StoredTokensAsync(string userId) =>
        AsSystemAsync<ApiTokenService, IReadOnlyList<ApiTokenSummary>>(s => s.ListForUserAsync(userId, default));

    /// <summary>Submits the new-token form; the task ends when the page is done (after the token dialog was closed).</summary>
    private static Task CreateAsync(IRenderedComponent<ApiTokensPage> page, string name)
    {
        page.Find("input[data-testid=token-name], [data-testid=token-name] input").Change(name);
        return page.Find("[data-testid=new-token-form] form").SubmitAsync();
    }

    [Fact]
    public async Task A_new_token_is_shown_once_in_a_dialog_with_a_copy_button_and_never_again_in_the_list()
    {
        var viewer = await SignInAsNewUserAsync(PortalRoles.Viewer);
        var module = JSInterop.SetupModule(NewTokenDialog.ModulePath);
        module.SetupVoid("copyText", _ => true).SetVoidResult();
        var rendered = await RenderAsync();
        Assert.NotNull(rendered.Page.Find("[data-testid=empty-state]"));

        var creating = CreateAsync(rendered.Page, "ci deploy");

        var dialog = rendered.Dialogs.WaitForElement("[data-testid=new-token-dialog]", TimeSpan.FromSeconds(10));
        var plainText = rendered.Dialogs.Find("input[data-testid=new-token], [data-testid=new-token] input").GetAttribute("value")!;
        Assert.StartsWith("ppy_", plainText);
        Assert.Contains("Copy the token ci deploy now", rendered.Dialogs.Markup);
        await rendered.Dialogs.Find("[data-testid=copy-token]").ClickAsync(new());
        Assert.Equal(plainText, module.VerifyInvoke("copyText").Arguments.Single());
        Assert.Contains("Token copied to the clipboard.", Snackbars);

        await rendered.Dialogs.Find("[data-testid=token-done]").ClickAsync(new());
        await creating.WaitAsync(TimeSpan.FromSeconds(30));

        rendered.Dialogs.WaitForAssertion(() => Assert.Empty(rendered.Dialogs.FindAll("[data-testid=new-token-dialog]")));
        var stored = Assert.Single(await StoredTokensAsync(viewer.UserId!));
        var row = rendered.Page.WaitForElement("[data-testid=tokens-table] tbody tr");
        Assert.Contains("ci deploy", row.TextContent);
        Assert.Contains(stored.DisplayPrefix, row.TextContent);
        Assert.DoesNotContain(plainText, rendered.Page.Markup);
        Assert.DoesNotContain(plainText, rendered.Dialogs.Markup);
        // Creating is audited, without the token.
        var entries = await Portal.StoredEntriesAsync();
        var created = Assert.Single(entries, e => e.EntityType == AuditEntityTypes.ApiToken);
        Assert.DoesNotContain(plainText, created.After!);
        Assert.DoesNotContain(plainText, created.Summary);
    }

    [Fact]
    public async Task Revoking_asks_first_and_only_a_confirmed_revoke_stops_the_token()
    {
        var token = await Portal.CreateTokenAsync(PortalFactory.AdminEmail);
        var rendered = await RenderAsync();
        var page = rendered.Page;

        var cancelled = page.Find("[data-testid=revoke-token]").ClickAsync(new());
        rendered.Dialogs.WaitForAssertion(() => Assert.Contains("Revoke the token test?", rendered.Dialogs.Markup));
        await rendered.AnswerDialogAsync("Cancel");
        await cancelled;
        Assert.Equal(ApiTokenStatus.Active, Assert.Single(await StoredTokensAsync(Actor.UserId!)).Status);

        var confirmed = page.Find("[data-testid=revoke-token]").ClickAsync(new());
        await rendered.AnswerDialogAsync("Revoke");
        await confirmed;

        page.WaitForAssertion(() => Assert.Equal("revoked", page.Find("[data-testid=token-status]").TextContent.Trim()));
        Assert.Empty(page.FindAll("[data-testid=revoke-token]"));
        Assert.Equal(ApiTokenStatus.Revoked, Assert.Single(await StoredTokensAsync(Actor.UserId!)).Status);
        using var api = Portal.TokenClient();
        using var refused = await api.SendWithTokenAsync(HttpMethod.Get, ApiTokenTestKit.DataEndpoint, token);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_user_sees_only_their_own_tokens_and_an_admin_may_show_everyones()
    {
        await Portal.CreateUserAsync("other@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        await Portal.CreateTokenAsync("other@test.local");
        var page = (await RenderAsync()).Page;
        Assert.NotNull(page.Find("[data-testid=empty-state]"));

        await page.Find("input[data-testid=show-all-tokens], [data-testid=show-all-tokens] input").ChangeAsync(new() { Value = true });

        var row = page.WaitForElement("[data-testid=tokens-table] tbody tr");
        Assert.Contains("other@test.local", row.TextContent);
        Assert.NotNull(row.QuerySelector("[data-testid=revoke-token]"));
    }

    [Fact]
    public async Task A_viewer_is_not_offered_everyones_tokens()
    {
        await SignInAsNewUserAsync(PortalRoles.Viewer);

        var page = (await RenderAsync()).Page;

        Assert.Empty(page.FindAll("[data-testid=show-all-tokens]"));
    }

    [Fact]
    public async Task Token_changes_beyond_the_per_user_limit_are_refused_until_the_window_passes()
    {
        var rendered = await RenderAsync();

        for (var attempt = 0; attempt < 4; attempt++)
        {
            var creating = CreateAsync(rendered.Page, $"t{attempt}");
            if (attempt < 3)
            {
                await rendered.Dialogs.WaitForElement("[data-testid=token-done]", TimeSpan.FromSeconds(10)).ClickAsync(new());
            }
            await creating.WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(3, (await StoredTokensAsync(Actor.UserId!)).Count);
        Assert.Contains("Too many token changes in a short time: wait a minute and try again.", Snackbars);
    }
}
