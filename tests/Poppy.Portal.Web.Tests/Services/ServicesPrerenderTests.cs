using System.Net;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>The Services page as the server first sends it (prerendered), before the circuit starts.</summary>
public sealed class ServicesPrerenderTests : PortalTest
{
    public override Task InitializeAsync() => Portal.SeedFlavorAsync();

    [Fact]
    public async Task The_prerendered_list_says_it_is_loading_not_that_nothing_matches()
    {
        await Portal.CreateServiceAsync(ServiceTestData.Spec("Shop", "www.shop.test"), "alpha");
        using var admin = await Portal.CreateAdminClientAsync();

        using var response = await admin.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/services") { Headers = { { "Accept", "text/html" } } });
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("data-testid=\"services-grid\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid=\"no-match\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"grid-loading\"", html, StringComparison.Ordinal);
    }
}
