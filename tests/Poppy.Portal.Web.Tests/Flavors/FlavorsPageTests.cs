using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.Flavors;
using Poppy.Portal.Web.Tests.Providers;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Flavors;

/// <summary>The flavors admin page (bUnit on a real portal): create and edit with ordered provider rows, delete behind a dialog.</summary>
public sealed class FlavorsPageTests : AccountPageTest
{
    public override async Task InitializeAsync()
    {
        await Portal.CreateAccountAsync("fastly", ProviderKind.Fastly);
        await Portal.CreateAccountAsync("akamai", ProviderKind.Akamai);
        await base.InitializeAsync();
    }

    [Fact]
    public async Task An_admin_creates_a_flavor_with_providers_in_the_order_chosen()
    {
        var page = await OpenAsync<FlavorsPage>();
        Assert.Contains("No flavors yet", page.Find("[data-testid=empty-state]").TextContent, StringComparison.Ordinal);

        await ClickAsync(page, "[data-testid=new-flavor]");
        Type(page, "[data-testid=flavor-id]", "premium");
        await ChooseAsync(page, "Provider 1", "akamai");
        InputOf(page.FindAll("[data-testid=provider-row]")[0].QuerySelector("[data-testid=provider-url]")!).Change("www.akamai.com");
        await ClickAsync(page, "[data-testid=add-row]");
        Assert.Equal(2, page.FindAll("[data-testid=provider-row]").Count);
        await ChooseAsync(page, "Provider 2", "fastly");
        InputOf(page.FindAll("[data-testid=provider-row]")[1].QuerySelector("[data-testid=provider-url]")!).Change("www.fastly.com");
        // Fastly first: the order is the flavor's.
        await page.FindAll("[data-testid=provider-row]")[1].QuerySelector("[data-testid=move-up]")!.ClickAsync(new());
        await ChooseAsync(page, "When a vendor cannot express a setting", "refuse");
        await ClickAsync(page, "[data-testid=save-flavor]");

        var flavor = await FindAsync("premium");
        Assert.Equal([("fastly", "www.fastly.com"), ("akamai", "www.akamai.com")], flavor!.Providers.Select(p => (p.Provider, p.ProviderUrl)));
        Assert.Equal(UnsupportedSettingsPolicy.Refuse, flavor.UnsupportedSettings);
        WaitForSnackbar("Flavor premium was created.");
        Assert.Empty(page.FindAll("[data-testid=flavor-form]"));
        Assert.Equal("refuse", page.Find("[data-flavor=premium]").ParentElement!.QuerySelector("[data-testid=unsupported-settings]")!.TextContent.Trim());
    }

    [Fact]
    public async Task The_rules_are_shown_at_their_fields_and_nothing_is_created()
    {
        var page = await OpenAsync<FlavorsPage>();
        await ClickAsync(page, "[data-testid=new-flavor]");
        Type(page, "[data-testid=flavor-id]", "x");
        await ClickAsync(page, "[data-testid=remove-row]");

        await ClickAsync(page, "[data-testid=save-flavor]");

        Assert.Contains("The flavor id has 3–64 characters.", TextOf(page), StringComparison.Ordinal);
        Assert.Equal("A flavor needs at least one provider.", page.Find("[data-testid=providers-error]").TextContent.Trim());
        Assert.Empty(await ListAsync());
        WaitForSnackbar("The flavor was not saved");
    }

    [Fact]
    public async Task An_admin_changes_a_flavors_providers_and_policy()
    {
        await Portal.SeedFlavorAsync("cdn", "fastly");
        var page = await OpenAsync<FlavorsPage>();

        await ClickAsync(page, "[data-testid=edit-flavor]");
        Assert.True(InputOf(page.Find("[data-testid=flavor-id]")).HasAttribute("disabled"));
        await ClickAsync(page, "[data-testid=add-row]");
        await ChooseAsync(page, "Provider 2", "akamai");
        InputOf(page.FindAll("[data-testid=provider-row]")[1].QuerySelector("[data-testid=provider-url]")!).Change("www.akamai.com");
        await page.FindAll("[data-testid=provider-row]")[0].QuerySelector("[data-testid=remove-row]")!.ClickAsync(new());
        await ChooseAsync(page, "When a vendor cannot express a setting", "refuse");
        await ClickAsync(page, "[data-testid=save-flavor]");

        WaitForSnackbar("Flavor cdn was saved.");
        var flavor = await FindAsync("cdn");
        Assert.Equal([("akamai", "www.akamai.com")], flavor!.Providers.Select(p => (p.Provider, p.ProviderUrl)));
        Assert.Equal(UnsupportedSettingsPolicy.Refuse, flavor.UnsupportedSettings);
        // The account that left the flavor is free again.
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var accounts = scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>();
        Assert.Empty((await accounts.FindByNameAsync("fastly", CancellationToken.None))!.FlavorIds);
    }

    [Fact]
    public async Task A_flavor_a_live_service_uses_is_refused_with_the_reason_and_goes_once_its_services_are_archived()
    {
        await Portal.SeedFlavorAsync("cdn", "fastly");
        var serviceId = await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test", "cdn"));
        var page = await OpenAsync<FlavorsPage>();

        await ClickAndConfirmAsync(page.Find("[data-testid=delete-flavor]"), "Delete cdn");

        Assert.Contains("Flavor 'cdn' is used by 1 service", page.Find("[data-testid=delete-refused]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(await FindAsync("cdn"));

        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<CdnService>().Where(s => s.Id == serviceId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ArchivedAt, DateTimeOffset.UnixEpoch));
        }
        await ClickAndConfirmAsync(page.Find("[data-testid=delete-flavor]"), "Delete cdn");

        WaitForSnackbar("Flavor cdn was deleted.");
        Assert.Null(await FindAsync("cdn"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=empty-state]")));
    }

    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    public async Task Viewers_and_operators_get_no_write_action(string role)
    {
        await Portal.SeedFlavorAsync("cdn", "fastly");
        await SignInAsNewUserAsync(role);

        var page = await OpenAsync<FlavorsPage>();

        Assert.NotNull(page.Find("[data-flavor=cdn]"));
        Assert.Empty(page.FindAll("[data-testid=new-flavor]"));
        Assert.Empty(page.FindAll("[data-testid=edit-flavor]"));
        Assert.Empty(page.FindAll("[data-testid=delete-flavor]"));
    }

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
}
