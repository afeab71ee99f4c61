using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Features.Providers;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Providers;

/// <summary>The Providers list (bUnit on a real portal): accounts with their circuit and last test, node hints, roles.</summary>
public sealed class ProvidersPageTests : AccountPageTest
{
    public ProvidersPageTests()
    {
        // A breaker that opens after two failed requests, and stays open for the test.
        Portal.Settings["Portal:Provisioning:CircuitBreaker:MinimumThroughput"] = "2";
        Portal.Settings["Portal:Provisioning:CircuitBreaker:BreakDuration"] = "00:10:00";
        Portal.Settings["Portal:Provisioning:RetriesPerRun"] = "1";
        Portal.Settings["Portal:Provisioning:RetryBaseDelay"] = "00:00:00.010";
    }

    [Fact]
    public async Task The_list_shows_each_account_with_its_masked_credentials_and_circuit_as_this_process_sees_it()
    {
        var fastly = await Portal.CreateAccountAsync("fastly", ProviderKind.Fastly);
        await Portal.CreateAccountAsync("akamai", ProviderKind.Akamai);
        // Failing requests through the account's real HTTP client open its circuit: a 500, its retry, then the open circuit.
        await using (var vendor = await LoopbackOrigin.StartAsync("vendor"))
        {
            vendor.Failing = true;
            var http = Portal.Services.GetRequiredService<ProviderResilience>().HttpClientFor(fastly);
            await Assert.ThrowsAsync<BrokenCircuitException>(() => http.GetAsync(vendor.Url));
        }

        var page = await OpenAsync<ProvidersPage>();

        var rows = page.FindAll("[data-testid=providers-table] tbody tr");
        Assert.Equal(2, rows.Count);
        var circuits = rows.ToDictionary(r => r.QuerySelector("[data-account]")!.GetAttribute("data-account")!, r => r.QuerySelector("[data-circuit]")!.TextContent.Trim());
        Assert.Equal("Open", circuits["fastly"]);
        Assert.Equal("Closed", circuits["akamai"]);
        Assert.Contains("as this portal process sees it", page.Find("[data-testid=circuit-note]").TextContent, StringComparison.Ordinal);
        Assert.Equal(["client_token ••••aaaa, client_secret ••••bbb=, access_token ••••cccc", "api_key ••••3f9a"],
            page.FindAll("[data-testid=credentials-hint]").Select(h => h.TextContent));
        Assert.All(page.FindAll("[data-connection]"), b => Assert.Equal("untested", b.GetAttribute("data-connection")));
        foreach (var secret in ProviderAccountForms.Secrets(ProviderKind.Fastly).Concat(ProviderAccountForms.Secrets(ProviderKind.Akamai)))
        {
            Assert.DoesNotContain(secret, page.Markup, StringComparison.Ordinal);
        }
        // An administrator gets the write actions.
        Assert.NotNull(page.Find("[data-testid=add-account]"));
        Assert.Equal(2, page.FindAll("[data-testid=delete-account]").Count);
    }

    [Fact]
    public async Task Deleting_asks_first_and_an_account_a_flavor_uses_is_kept_with_the_reason()
    {
        var used = await Portal.CreateAccountAsync("fastly", ProviderKind.Fastly);
        await Portal.SeedFlavorAsync("cdn", "fastly");
        var spare = await Portal.CreateAccountAsync("spare", ProviderKind.Fastly);
        var page = await OpenAsync<ProvidersPage>();

        await ClickAndConfirmAsync(RowOf(page, "fastly").QuerySelector("[data-testid=delete-account]")!, "Delete fastly");

        WaitForSnackbar("used by flavor cdn");
        Assert.NotNull(await Portal.AccountAsync(used));

        await ClickAndConfirmAsync(RowOf(page, "spare").QuerySelector("[data-testid=delete-account]")!, "Delete spare");

        WaitForSnackbar("Provider account spare was deleted.");
        Assert.Null(await Portal.AccountAsync(spare));
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=providers-table] tbody tr")));
    }

    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    public async Task Viewers_and_operators_see_the_list_read_only(string role)
    {
        await Portal.CreateAccountAsync("fastly", ProviderKind.Fastly);
        await SignInAsNewUserAsync(role);

        var page = await OpenAsync<ProvidersPage>();

        Assert.Single(page.FindAll("[data-testid=providers-table] tbody tr"));
        Assert.Empty(page.FindAll("[data-testid=add-account]"));
        Assert.Empty(page.FindAll("[data-testid=edit-account]"));
        Assert.Empty(page.FindAll("[data-testid=delete-account]"));
        Assert.Empty(page.FindAll("a[href^='/providers/']"));
        Assert.Equal("api_key ••••3f9a", page.Find("[data-testid=credentials-hint]").TextContent);
        Assert.DoesNotContain(ProviderAccountForms.Secrets(ProviderKind.Fastly).Single(), page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_accounts_the_page_says_who_adds_them()
    {
        var page = await OpenAsync<ProvidersPage>();

        Assert.Contains("No provider accounts yet", page.Find("[data-testid=empty-state]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cache_tier_account_shows_its_nodes_health()
    {
        // Port 9 on loopback refuses at once: the node is shown unreachable, never with its token.
        await Portal.CreateAccountAsync("edge-nodes", ProviderKind.CacheTier, "http://127.0.0.1:9/");

        var page = await OpenAsync<ProvidersPage>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-cache-tier=edge-nodes] [data-testid=cache-nodes]")), TimeSpan.FromSeconds(10));
        var cells = page.FindAll("[data-cache-tier=edge-nodes] tbody tr td").Select(td => td.TextContent.Trim()).ToList();
        Assert.Equal("http://127.0.0.1:9/", cells[0]);
        Assert.Equal("cache1.example.net", cells[1]);
        Assert.StartsWith("Unreachable", cells[2], StringComparison.Ordinal);
        Assert.Equal("never", cells[3]);
        Assert.DoesNotContain(ProviderAccountForms.CacheTierToken, page.Markup, StringComparison.Ordinal);
    }

    private static AngleSharp.Dom.IElement RowOf(IRenderedComponent<ProvidersPage> page, string account) =>
        page.FindAll("[data-testid=providers-table] tbody tr").Single(r => r.QuerySelector($"[data-account='{account}']") is not null);
}

/// <summary>Without nginx the Providers page says how to get a local cache node.</summary>
public sealed class ProvidersPageWithoutNginxTests : AccountPageTest
{
    public ProvidersPageWithoutNginxTests()
    {
        Portal.Settings["Portal:CacheNode:Enabled"] = "true";
        Portal.Settings["Portal:CacheNode:NginxExecutable"] = "/nonexistent/sbin/nginx";
    }

    [Fact]
    public async Task The_page_gives_the_install_command()
    {
        var page = await OpenAsync<ProvidersPage>();

        var notice = page.Find("[data-testid=cache-node-missing]").TextContent;
        Assert.Contains(DevelopmentCacheNode.InstallCommand, notice, StringComparison.Ordinal);
        Assert.Contains(DevelopmentCacheNode.FlavorId, notice, StringComparison.Ordinal);
    }
}
