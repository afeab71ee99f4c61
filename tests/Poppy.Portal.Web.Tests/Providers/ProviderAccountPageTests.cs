using Bunit;
using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Simulators;
using Poppy.Portal.Web.Features.Providers;

namespace Poppy.Portal.Web.Tests.Providers;

/// <summary>
/// The provider account form (bUnit on a real portal with the built-in CDN simulators): each kind's fields swap in
/// place, secrets are never rendered back and kept when left blank, and Test connection reports the vendor's answer.
/// </summary>
public sealed class ProviderAccountPageTests : AccountPageTest
{
    public ProviderAccountPageTests()
    {
        Portal.Settings["Portal:Simulators:Enabled"] = "true";
        Portal.Settings["Portal:Simulators:Port"] = "0";
    }

    private SimulatorHost Simulators => Portal.Services.GetServices<IHostedService>().OfType<DevelopmentSimulators>().Single().Host!;

    public static TheoryData<ProviderKind> AllKinds => [.. ProviderCredentialFields.Kinds];

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task An_admin_creates_an_account_of_each_kind_through_the_form(ProviderKind kind)
    {
        var simulated = kind != ProviderKind.CacheTier;
        var endpoint = simulated ? Simulators.Vendors.Single(v => v.Vendor.ToString() == kind.ToString()).ApiBaseUrl.ToString() : "";
        var credentials = simulated ? ProviderConnectionTestTests.GoodCredentials(kind) : ProviderAccountForms.SampleCredentials(kind);
        var name = $"new-{kind.ToString().ToLowerInvariant()}";
        var page = await OpenAsync<ProviderAccountPage>();
        // The first kind's fields are there before any choice; choosing another swaps them in place.
        Assert.Equal(ProviderCredentialFields.For(ProviderCredentialFields.Kinds[0]).Select(f => f.Key), CredentialKeys(page));

        await ChooseAsync(page, "Kind", kind);
        Type(page, "[data-testid=account-name]", name);
        Type(page, "[data-testid=account-endpoint]", endpoint);

        Assert.Equal(ProviderCredentialFields.For(kind).Select(f => f.Key), CredentialKeys(page));
        Assert.Equal(kind.ToString(), page.Find("[data-testid=credential-fields]").GetAttribute("data-kind"));
        foreach (var field in ProviderCredentialFields.For(kind).Where(f => f.IsSecret && !f.Multiline))
        {
            Assert.Equal("password", InputOf(page.Find($"[data-credential={field.Key}]")).GetAttribute("type"));
        }
        foreach (var (key, value) in credentials)
        {
            Type(page, $"[data-credential={key}]", value);
        }
        await ClickAsync(page, "[data-testid=save-account]");

        var account = Assert.Single(await Portal.ListAccountsAsync(), a => a.Name == name);
        Assert.Equal(kind, account.Kind);
        Assert.Equal(credentials, await Portal.CredentialsAsync(account.Id));
        // Saving ran Test connection: the simulators accept the credentials; nothing answers for the cache tier's node.
        var outcome = page.Find("[data-testid=connection-test]");
        Assert.Equal(simulated ? "ok" : "failed", outcome.GetAttribute("data-outcome"));
        Assert.Equal(simulated ? ConnectionTestOutcome.Ok : ConnectionTestOutcome.Unreachable, account.LastConnectionTest!.Outcome);
        WaitForSnackbar($"Provider account {name} was created.");
        page.WaitForAssertion(() => Assert.Equal(account.CredentialsHint, page.Find("[data-testid=credentials-hint]").TextContent));
        var secrets = kind == ProviderKind.CacheTier
            ? [ProviderAccountForms.CacheTierToken]
            : ProviderCredentialFields.For(kind).Where(f => f.IsSecret).Select(f => credentials[f.Key]);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, page.Markup, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task On_edit_secrets_are_masked_and_a_blank_one_keeps_the_stored_value()
    {
        var id = await Portal.CreateAccountAsync("aws", ProviderKind.CloudFront, "http://127.0.0.1:9/");
        var page = await OpenAsync<ProviderAccountPage>(p => p.Add(x => x.Id, id));

        Assert.Equal("access_key_id ••••eeee, secret_access_key ••••ffff, region us-east-1", page.Find("[data-testid=credentials-hint]").TextContent);
        foreach (var key in new[] { "access_key_id", "secret_access_key" })
        {
            var input = InputOf(page.Find($"[data-credential={key}]"));
            Assert.Equal("password", input.GetAttribute("type"));
            Assert.True(string.IsNullOrEmpty(input.GetAttribute("value")), $"{key} was rendered with a value");
            Assert.Equal("leave empty to keep", input.GetAttribute("placeholder"));
        }
        Assert.Equal("us-east-1", InputOf(page.Find("[data-credential=region]")).GetAttribute("value"));
        foreach (var secret in ProviderAccountForms.Secrets(ProviderKind.CloudFront))
        {
            Assert.DoesNotContain(secret, page.Markup, StringComparison.Ordinal);
        }

        Type(page, "[data-credential=access_key_id]", "AKIA-NEW-KEY-000011112222");
        await ClickAsync(page, "[data-testid=save-account]");

        WaitForSnackbar("Saved.");
        var stored = await Portal.CredentialsAsync(id);
        Assert.Equal("AKIA-NEW-KEY-000011112222", stored!["access_key_id"]);
        Assert.Equal(ProviderAccountForms.SampleCredentials(ProviderKind.CloudFront)["secret_access_key"], stored["secret_access_key"]);
        Assert.Equal("us-east-1", stored["region"]);
        // What was typed is not kept in the form either.
        Assert.True(string.IsNullOrEmpty(InputOf(page.Find("[data-credential=access_key_id]")).GetAttribute("value")));
    }

    /// <summary>
    /// Creating moves the page to the account's own address. Until the router delivers it, a re-render by the router or
    /// the layout still carries the route the page was opened with (/providers/new: Id null); the outcome of the
    /// connection test run on save must survive that and the arrival. It used to vanish: the page wrote its own Id
    /// parameter, the stale re-render set it back to null and reset the page to a blank form, and the arrival read the
    /// account again without the outcome.
    /// </summary>
    [Fact]
    public async Task After_creating_the_connection_test_outcome_stays_shown_at_the_accounts_own_address()
    {
        var page = await OpenAsync<ProviderAccountPage>(p => p.Add(x => x.Id, (Guid?)null));
        await ChooseAsync(page, "Kind", ProviderKind.Fastly);
        Type(page, "[data-testid=account-name]", "fresh-fastly");
        Type(page, "[data-testid=account-endpoint]", Simulators.Fastly.ApiBaseUrl.ToString());
        foreach (var (key, value) in ProviderConnectionTestTests.GoodCredentials(ProviderKind.Fastly))
        {
            Type(page, $"[data-credential={key}]", value);
        }
        await ClickAsync(page, "[data-testid=save-account]");

        var account = Assert.Single(await Portal.ListAccountsAsync(), a => a.Name == "fresh-fastly");
        var moved = Assert.Single(Services.GetRequiredService<BunitNavigationManager>().History);
        Assert.EndsWith($"/providers/{account.Id}", moved.Uri, StringComparison.Ordinal);
        OutcomeShown();

        // The router re-renders with the route it still has, then with the account's own.
        page.Render(p => p.Add(x => x.Id, (Guid?)null));
        OutcomeShown();
        page.Render(p => p.Add(x => x.Id, account.Id));
        OutcomeShown();
        Assert.Equal(account.CredentialsHint, page.Find("[data-testid=credentials-hint]").TextContent);
        Assert.Equal("Save changes", page.Find("[data-testid=save-account]").TextContent.Trim());
        Assert.True(moved.Options.ReplaceHistoryEntry, "/providers/new should be replaced, so Back does not lead to a blank form");

        // Leaving for another account (or a new form) afterwards shows that one, without the outcome.
        var other = await Portal.CreateAccountAsync("other-fastly", ProviderKind.Fastly);
        page.Render(p => p.Add(x => x.Id, other));
        page.WaitForAssertion(() => Assert.Equal("other-fastly", InputOf(page.Find("[data-testid=account-name]")).GetAttribute("value")));
        Assert.Empty(page.FindAll("[data-testid=connection-test]"));
        page.Render(p => p.Add(x => x.Id, (Guid?)null));
        page.WaitForAssertion(() => Assert.Equal("Create account", page.Find("[data-testid=save-account]").TextContent.Trim()));

        void OutcomeShown()
        {
            var outcome = page.Find("[data-testid=connection-test]");
            Assert.Equal("ok", outcome.GetAttribute("data-outcome"));
            Assert.Contains("accepted the credentials", outcome.TextContent, StringComparison.Ordinal);
            Assert.Equal("fresh-fastly", InputOf(page.Find("[data-testid=account-name]")).GetAttribute("value"));
        }
    }

    [Fact]
    public async Task Refused_fields_are_marked_and_nothing_is_saved()
    {
        await Portal.CreateAccountAsync("edge", ProviderKind.Fastly);
        var page = await OpenAsync<ProviderAccountPage>();

        await ChooseAsync(page, "Kind", ProviderKind.Akamai);
        Type(page, "[data-testid=account-name]", "edge");
        Type(page, "[data-testid=account-endpoint]", "akab.luna.akamaiapis.net");
        Type(page, "[data-credential=client_token]", "akab-token-1234567890");
        await ClickAsync(page, "[data-testid=save-account]");

        Assert.Contains("A provider account named 'edge' already exists.", TextOf(page), StringComparison.Ordinal);
        Assert.Contains("absolute http:// or https:// URL", TextOf(page), StringComparison.Ordinal);
        Assert.Contains("Enter the client secret.", page.Find("[data-credential=client_secret]").TextContent, StringComparison.Ordinal);
        Assert.Single(await Portal.ListAccountsAsync(), a => a.Name == "edge");
    }

    [Fact]
    public async Task Test_connection_shows_the_vendor_accepting_and_refusing_the_credentials()
    {
        var good = (await Portal.ListAccountsAsync()).Single(a => a.Name == "sim-fastly");
        var page = await OpenAsync<ProviderAccountPage>(p => p.Add(x => x.Id, good.Id));
        Assert.Equal("untested", page.Find("[data-testid=last-connection-test] [data-connection]").GetAttribute("data-connection"));

        await ClickAsync(page, "[data-testid=test-connection]");

        Assert.Equal("ok", page.Find("[data-testid=connection-test]").GetAttribute("data-outcome"));
        Assert.Contains("accepted the credentials", page.Find("[data-testid=connection-test]").TextContent, StringComparison.Ordinal);
        Assert.Equal("ok", page.Find("[data-testid=last-connection-test] [data-connection]").GetAttribute("data-connection"));
        WaitForSnackbar("Connection test passed.");

        var wrong = await Portal.CreateAccountAsync("bad-fastly", ProviderKind.Fastly, Simulators.Fastly.ApiBaseUrl.ToString(),
            ProviderConnectionTestTests.WithWrongSecret(ProviderKind.Fastly));
        var refused = await OpenAsync<ProviderAccountPage>(p => p.Add(x => x.Id, wrong));

        await ClickAsync(refused, "[data-testid=test-connection]");

        Assert.Equal("failed", refused.Find("[data-testid=connection-test]").GetAttribute("data-outcome"));
        Assert.Contains("refused the credentials", refused.Find("[data-testid=connection-test]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Bad credentials", refused.Find("[data-testid=last-connection-test] [data-connection]").TextContent.Trim());
        Assert.Equal(ConnectionTestOutcome.BadCredentials, (await Portal.AccountAsync(wrong))!.LastConnectionTest!.Outcome);
    }

    [Fact]
    public async Task An_admin_disables_an_account_and_deletes_it_after_confirming()
    {
        var id = await Portal.CreateAccountAsync("spare", ProviderKind.Fastly);
        var page = await OpenAsync<ProviderAccountPage>(p => p.Add(x => x.Id, id));

        await ClickAsync(page, "[data-testid=toggle-enabled]");
        Assert.False((await Portal.AccountAsync(id))!.IsEnabled);
        WaitForSnackbar("Account disabled.");

        await ClickAndConfirmAsync(page.Find("[data-testid=delete-account]"), "Delete spare");

        Assert.Null(await Portal.AccountAsync(id));
        Assert.EndsWith("/providers", Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_account_says_so()
    {
        var page = await OpenAsync<ProviderAccountPage>(p => p.Add(x => x.Id, Guid.NewGuid()));

        Assert.Contains("No such provider account", page.Find("[data-testid=empty-state]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=save-account]"));
    }

    private static List<string> CredentialKeys(IRenderedComponent<ProviderAccountPage> page) =>
        page.FindAll("[data-testid=credential-fields] [data-credential]").Select(e => e.GetAttribute("data-credential")!).ToList();
}
