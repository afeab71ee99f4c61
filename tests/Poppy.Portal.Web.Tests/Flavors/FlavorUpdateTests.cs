using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Web.Tests.Providers;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Flavors;

/// <summary>FlavorCatalog.UpdateAsync: the create rules apply, the id stays, rows are reordered in place, the change is audited.</summary>
public sealed class FlavorUpdateTests : PortalTest
{
    [Fact]
    public async Task An_update_reorders_and_replaces_providers_and_is_audited()
    {
        await Portal.CreateAccountAsync("akamai", ProviderKind.Akamai);
        await Portal.CreateAccountAsync("maxcdn", ProviderKind.MaxCdn);
        await Portal.SeedFlavorAsync("cdn", "fastly", "akamai");
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var catalog = scope.ServiceProvider.GetRequiredService<FlavorCatalog>();

        var updated = await catalog.UpdateAsync("cdn", new FlavorSpec("ignored", [
            FlavorProviderSpec.WithProviderUrl("akamai", "www.akamai.com"),
            FlavorProviderSpec.WithProviderUrl("fastly", "www.fastly.com"),
            FlavorProviderSpec.WithProviderUrl("maxcdn", "www.maxcdn.com"),
        ], "refuse"), CancellationToken.None);

        Assert.True(updated.Succeeded, string.Join("; ", updated.Errors));
        Assert.Equal("cdn", updated.Value!.Id);
        Assert.Equal(["akamai", "fastly", "maxcdn"], updated.Value.Providers.Select(p => p.Provider));
        Assert.Equal(UnsupportedSettingsPolicy.Refuse, updated.Value.UnsupportedSettings);
        var audit = scope.ServiceProvider.GetRequiredService<Poppy.Portal.Core.Data.PortalDbContext>().Set<AuditEntry>()
            .Single(e => e.EntityType == AuditEntityTypes.Flavor && e.Action == "update");
        Assert.Contains("maxcdn", audit.After, StringComparison.Ordinal);
        Assert.DoesNotContain("maxcdn", audit.Before, StringComparison.Ordinal);

        var shorter = await catalog.UpdateAsync("cdn", new FlavorSpec(null, [FlavorProviderSpec.WithProviderUrl("maxcdn", "www.maxcdn.com")]), CancellationToken.None);
        Assert.True(shorter.Succeeded, string.Join("; ", shorter.Errors));
        Assert.Equal(["maxcdn"], (await catalog.FindAsync("cdn", CancellationToken.None))!.Providers.Select(p => p.Provider));
    }

    [Fact]
    public async Task An_update_with_an_unknown_or_repeated_provider_is_refused_and_changes_nothing()
    {
        await Portal.SeedFlavorAsync("cdn", "fastly");
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var catalog = scope.ServiceProvider.GetRequiredService<FlavorCatalog>();

        var refused = await catalog.UpdateAsync("cdn", new FlavorSpec(null, [
            FlavorProviderSpec.WithProviderUrl("nobody", "www.nobody.com"),
            FlavorProviderSpec.WithProviderUrl("fastly", "www.fastly.com"),
            FlavorProviderSpec.WithProviderUrl("fastly", "www.fastly.com"),
        ]), CancellationToken.None);

        Assert.False(refused.Succeeded);
        Assert.Contains(refused.Errors, e => e.Path == "providers[0].provider" && e.Message == "Provider 'nobody' is not configured.");
        Assert.Contains(refused.Errors, e => e.Path == "providers[2].provider");
        Assert.Equal(["fastly"], (await catalog.FindAsync("cdn", CancellationToken.None))!.Providers.Select(p => p.Provider));
        Assert.True((await catalog.UpdateAsync("gone", new FlavorSpec(null, []), CancellationToken.None)).IsNotFound);
    }
}
