using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Web.Tests.Providers;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Flavors;

/// <summary>The flavors admin page: Poppy's rules shown next to the fields, provider rows added and removed, delete.</summary>
public sealed class FlavorAdminTests : PortalTest
{
    private PortalClient admin = null!;

    public override async Task InitializeAsync()
    {
        admin = await Portal.CreateAdminClientAsync();
        await admin.CreateAccountAsync("fastly", ProviderKind.Fastly);
        await admin.CreateAccountAsync("akamai", ProviderKind.Akamai);
    }

    [Fact]
    public async Task An_admin_creates_a_flavor_with_two_providers_in_order()
    {
        using var response = await CreateFlavorAsync("cdn", ("fastly", "www.fastly.com"), ("akamai", "www.akamai.com"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = PortalClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("Flavor cdn was created.", page.QuerySelector(".alert-success")!.TextContent);
        var cells = page.QuerySelectorAll("[data-testid=flavors-table] tbody tr").Single().QuerySelectorAll("td");
        Assert.Equal("cdn", cells[0].TextContent.Trim());
        Assert.Equal(["fastly www.fastly.com", "akamai www.akamai.com"], cells[1].QuerySelectorAll("div").Select(d => Normalize(d.TextContent)));
        Assert.Equal("", page.QuerySelector<IHtmlInputElement>("input[name='Input.Id']")!.Value);
        var flavor = await FindAsync("cdn");
        Assert.Equal([("fastly", "www.fastly.com"), ("akamai", "www.akamai.com")], flavor!.Providers.Select(p => (p.Provider, p.ProviderUrl)));
        Assert.Equal([ProviderKind.Fastly, ProviderKind.Akamai], flavor.Providers.Select(p => p.Kind));
        Assert.Equal("Created flavor cdn", Assert.Single(await AuditAsync("cdn")).Summary);
    }

    [Theory]
    [InlineData("ab", "fastly", "www.fastly.com", "Input.Id", "The flavor id has 3–64 characters.")]
    [InlineData("cdn", "genie", "www.genie.com", "Input.Providers[0].Provider", "Provider 'genie' is not configured.")]
    [InlineData("cdn", "", "www.fastly.com", "Input.Providers[0].Provider", "Enter the provider: the name of a provider account.")]
    [InlineData("cdn", "fastly", "a", "Input.Providers[0].ProviderUrl", "Enter the provider URL (2 characters or more).")]
    [InlineData("cdn", "akamai", "www.akamai.com", "Input.Providers[1].Provider", "Provider 'akamai' is listed twice; a flavor names each provider once.")]
    public async Task Each_rule_is_shown_next_to_its_field_and_the_form_keeps_what_was_typed(
        string id, string provider, string url, string field, string message)
    {
        // The second row always names akamai: a first row of akamai makes it a duplicate.
        using var response = await CreateFlavorAsync(id, (provider, url), ("akamai", "www.akamai.com"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = PortalClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(message, PortalClient.MessagesNextTo(page, field));
        Assert.Single(page.QuerySelectorAll(".invalid-feedback"));
        Assert.Contains("is-invalid", page.QuerySelector($"[name='{field}']")!.ClassName);
        Assert.Equal(id, page.QuerySelector<IHtmlInputElement>("input[name='Input.Id']")!.Value);
        Assert.Equal(url, page.QuerySelector<IHtmlInputElement>("input[name='Input.Providers[0].ProviderUrl']")!.Value);
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task A_taken_flavor_id_is_refused_next_to_the_id()
    {
        using var first = await CreateFlavorAsync("cdn", ("fastly", "www.fastly.com"));

        using var second = await CreateFlavorAsync("cdn", ("akamai", "www.akamai.com"));

        var page = PortalClient.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal("A flavor with id 'cdn' already exists.", PortalClient.MessagesNextTo(page, "Input.Id"));
        Assert.Equal(["fastly"], (await FindAsync("cdn"))!.Providers.Select(p => p.Provider));
    }

    [Fact]
    public async Task A_flavor_without_providers_is_refused_under_the_rows()
    {
        using var response = await CreateFlavorAsync("cdn");

        var page = PortalClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("A flavor needs at least one provider.", page.QuerySelector("#provider-rows > .invalid-feedback")!.TextContent);
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task The_row_buttons_fetch_the_rows_fragment_with_the_current_rows()
    {
        var page = await admin.GetPageAsync("/admin/flavors");
        var buttons = page.QuerySelectorAll("#provider-rows button").ToList();
        Assert.Equal([("remove", "0"), ("add", "true")], buttons.Select(b => (b.GetAttribute("name"), b.GetAttribute("value"))));
        Assert.All(buttons, button =>
        {
            Assert.Equal("submit", button.GetAttribute("type"));
            Assert.Equal("/ui/flavors/provider-rows", button.GetAttribute("hx-get"));
            Assert.Equal("#provider-rows", button.GetAttribute("hx-include"));
            Assert.Equal("#provider-rows", button.GetAttribute("hx-target"));
            Assert.Equal("outerHTML", button.GetAttribute("hx-swap"));
        });
        Assert.Equal(["akamai", "fastly"], page.QuerySelectorAll("datalist#provider-account-names option").Select(o => o.GetAttribute("value")));

        var added = await admin.GetFragmentAsync("/ui/flavors/provider-rows?Input.Providers[0].Provider=fastly&Input.Providers[0].ProviderUrl=www.fastly.com&add=true");
        var removed = await admin.GetFragmentAsync("/ui/flavors/provider-rows?" +
            "Input.Providers[0].Provider=fastly&Input.Providers[0].ProviderUrl=www.fastly.com&" +
            "Input.Providers[1].Provider=akamai&Input.Providers[1].ProviderUrl=www.akamai.com&" +
            "Input.Providers[2].Provider=cache&Input.Providers[2].ProviderUrl=cache.example.com&remove=1");

        Assert.Equal([("Input.Providers[0].Provider", "fastly"), ("Input.Providers[0].ProviderUrl", "www.fastly.com"),
                      ("Input.Providers[1].Provider", ""), ("Input.Providers[1].ProviderUrl", "")], Inputs(added));
        Assert.Equal([("Input.Providers[0].Provider", "fastly"), ("Input.Providers[0].ProviderUrl", "www.fastly.com"),
                      ("Input.Providers[1].Provider", "cache"), ("Input.Providers[1].ProviderUrl", "cache.example.com")], Inputs(removed));
        Assert.Equal(["0", "1"], removed.QuerySelectorAll("button[name=remove]").Select(b => b.GetAttribute("value")));
    }

    [Fact]
    public async Task Without_javascript_the_row_buttons_post_the_form_and_nothing_is_created()
    {
        using var added = await admin.SubmitFormAsync("/admin/flavors", new Dictionary<string, string>
        {
            ["Input.Id"] = "cdn", ["Input.Providers[0].Provider"] = "fastly", ["Input.Providers[0].ProviderUrl"] = "www.fastly.com", ["add"] = "true",
        }, "create-flavor");
        using var removed = await admin.SubmitFormAsync("/admin/flavors", new Dictionary<string, string>
        {
            ["Input.Id"] = "cdn",
            ["Input.Providers[0].Provider"] = "fastly", ["Input.Providers[0].ProviderUrl"] = "www.fastly.com",
            ["Input.Providers[1].Provider"] = "akamai", ["Input.Providers[1].ProviderUrl"] = "www.akamai.com",
            ["remove"] = "0",
        }, "create-flavor");

        var afterAdd = PortalClient.Parse(await added.Content.ReadAsStringAsync());
        var afterRemove = PortalClient.Parse(await removed.Content.ReadAsStringAsync());
        Assert.Equal([("Input.Providers[0].Provider", "fastly"), ("Input.Providers[0].ProviderUrl", "www.fastly.com"),
                      ("Input.Providers[1].Provider", ""), ("Input.Providers[1].ProviderUrl", "")], Inputs(afterAdd));
        Assert.Equal([("Input.Providers[0].Provider", "akamai"), ("Input.Providers[0].ProviderUrl", "www.akamai.com")], Inputs(afterRemove));
        Assert.Equal("cdn", afterRemove.QuerySelector<IHtmlInputElement>("input[name='Input.Id']")!.Value);
        Assert.Empty(afterAdd.QuerySelectorAll(".invalid-feedback"));
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task An_admin_deletes_a_flavor_after_confirming()
    {
        using (await CreateFlavorAsync("cdn", ("fastly", "www.fastly.com")))
        {
        }
        var list = await admin.GetPageAsync("/admin/flavors");
        Assert.Equal("/admin/flavors?delete=cdn", list.QuerySelector("[data-testid=flavors-table] a")!.GetAttribute("href"));
        Assert.Null(list.QuerySelector("[data-testid=confirm-delete]"));

        using var response = await admin.SubmitFormAsync("/admin/flavors?delete=cdn", new Dictionary<string, string>(), "delete-flavor");

        var page = PortalClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Flavor cdn was deleted.", page.QuerySelector(".alert-success")!.TextContent);
        Assert.Null(page.QuerySelector("[data-testid=flavors-table]"));
        Assert.Null(await FindAsync("cdn"));
        Assert.Equal(["create", "delete"], (await AuditAsync("cdn")).Select(e => e.Action));
        // The account it used is free again.
        Assert.Empty((await ProviderAsync("fastly"))!.FlavorIds);
    }

    [Fact]
    public async Task A_flavor_a_live_service_uses_is_refused_with_a_message_and_once_only_archived_services_name_it_it_goes_and_frees_its_account()
    {
        using (await CreateFlavorAsync("cdn", ("fastly", "www.fastly.com")))
        {
        }
        var serviceId = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test", "cdn"));

        using var refused = await admin.SubmitFormAsync("/admin/flavors?delete=cdn", new Dictionary<string, string>(), "delete-flavor");

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        var page = PortalClient.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Contains("Flavor 'cdn' is used by 1 service", page.QuerySelector(".alert-danger")!.TextContent);
        Assert.NotNull(await FindAsync("cdn"));

        // Deleted from every provider: archived, as provisioning leaves it. It still names the flavor.
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<CdnService>().Where(s => s.Id == serviceId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ArchivedAt, DateTimeOffset.UnixEpoch));
        }
        using var deleted = await admin.SubmitFormAsync("/admin/flavors?delete=cdn", new Dictionary<string, string>(), "delete-flavor");

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Contains("Flavor cdn was deleted.", PortalClient.Parse(await deleted.Content.ReadAsStringAsync()).QuerySelector(".alert-success")!.TextContent);
        Assert.Null(await FindAsync("cdn"));
        Assert.Equal("cdn", (await Portal.AllServicesAsync()).Single(s => s.Id == serviceId).FlavorId);
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var accounts = scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>();
            var fastly = (await accounts.FindByNameAsync("fastly", CancellationToken.None))!;
            var removed = await accounts.DeleteAsync(fastly.Id, CancellationToken.None);
            Assert.True(removed.Succeeded, string.Join("; ", removed.Errors));
        }
    }

    [Fact]
    public async Task Deleting_a_flavor_that_no_longer_exists_says_it_is_not_found()
    {
        using (await CreateFlavorAsync("cdn", ("fastly", "www.fastly.com")))
        {
        }
        var confirmation = await admin.GetPageAsync("/admin/flavors?delete=cdn");
        var token = confirmation.QuerySelector<IHtmlInputElement>("[data-testid=confirm-delete] input[name=__RequestVerificationToken]")!.Value;
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().DeleteAsync("cdn", CancellationToken.None)).Succeeded);
        }

        using var response = await admin.PostAsync("/admin/flavors?delete=cdn",
            [new("__RequestVerificationToken", token), new("_handler", "delete-flavor"), new("FlavorId", "cdn")]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("There is no flavor 'cdn'", PortalClient.Parse(await response.Content.ReadAsStringAsync()).QuerySelector(".alert-danger")!.TextContent);
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().DeleteAsync("never-existed", CancellationToken.None)).IsNotFound);
        }
        Assert.Single(await AuditAsync("cdn"), e => e.Action == "delete");
    }

    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    public async Task Only_admins_open_or_post_to_the_flavors_page(string role)
    {
        using var client = await Portal.CreateSignedInClientAsync(role);
        var token = await client.AntiforgeryTokenAsync();

        using var page = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/admin/flavors") { Headers = { { "Accept", "text/html" } } });
        using var post = await client.PostAsync("/admin/flavors",
        [
            new("__RequestVerificationToken", token), new("_handler", "create-flavor"), new("Input.Id", "sneaky"),
            new("Input.Providers[0].Provider", "fastly"), new("Input.Providers[0].ProviderUrl", "www.fastly.com"),
        ]);
        using var fragment = await client.Http.GetAsync("/ui/flavors/provider-rows?add=true");

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("/account/access-denied", page.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, fragment.StatusCode);
        Assert.Empty(await ListAsync());
    }

    private async Task<HttpResponseMessage> CreateFlavorAsync(string id, params (string Provider, string Url)[] providers)
    {
        var fields = new Dictionary<string, string> { ["Input.Id"] = id };
        for (var i = 0; i < providers.Length; i++)
        {
            fields[$"Input.Providers[{i}].Provider"] = providers[i].Provider;
            fields[$"Input.Providers[{i}].ProviderUrl"] = providers[i].Url;
        }
        return await admin.SubmitFormAsync("/admin/flavors", fields, "create-flavor");
    }

    private static List<(string?, string)> Inputs(IHtmlDocument page) =>
        page.QuerySelectorAll<IHtmlInputElement>("#provider-rows input").Select(i => (i.Name, i.Value)).ToList();

    private static string Normalize(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private async Task<FlavorDetails?> FindAsync(string id)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().FindAsync(id, CancellationToken.None);
    }

    private async Task<IReadOnlyList<FlavorDetails>> ListAsync()
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().ListAsync(CancellationToken.None);
    }

    private async Task<ProviderAccountSummary?> ProviderAsync(string name)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().FindByNameAsync(name, CancellationToken.None);
    }

    private async Task<List<AuditEntry>> AuditAsync(string flavorId)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<AuditEntry>()
            .Where(e => e.EntityType == AuditEntityTypes.Flavor && e.EntityId == flavorId).OrderBy(e => e.Id).ToListAsync();
    }
}
