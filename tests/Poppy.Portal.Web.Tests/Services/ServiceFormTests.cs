using System.Net;
using AngleSharp.Html.Dom;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>The create and edit form, posted as a browser posts it (real antiforgery token, real field names).</summary>
public sealed class ServiceFormTests : PortalTest
{
    private const string Action = "Input.Action";

    public override Task InitializeAsync() => Portal.SeedFlavorAsync();

    [Fact]
    public async Task Creating_through_the_form_redirects_to_the_new_service_and_stores_it()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var page = await admin.GetPageAsync("/services/new");
        // The second domain and origin come from the add-row buttons, as a user gets them.
        page = await NewServiceForm(page, "Shop", "www.shop.test", "origin.shop.test").SubmitForPageAsync(admin, Action, "add-domain");
        page = await BrowserForm.From(page, "#service-form").Set("Input.Domains[1].Domain", "static.shop.test")
            .SubmitForPageAsync(admin, Action, "add-origin");
        page = await BrowserForm.From(page, "#service-form").Set("Input.Origins[1].Origin", "images.shop.test")
            .SubmitForPageAsync(admin, Action, "add-origin-rule:1");
        page = await BrowserForm.From(page, "#service-form")
            .Set("Input.Origins[1].Rules[0].Name", "images").Set("Input.Origins[1].Rules[0].RequestUrl", "/images/*")
            .SubmitForPageAsync(admin, Action, "add-caching");

        using var response = await BrowserForm.From(page, "#service-form")
            .Set("Input.Caching[0].Name", "everything").Set("Input.Caching[0].Ttl", "3600")
            .SubmitAsync(admin, Action, "save");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = LocalPath(response);
        Assert.Matches("^/services/[0-9a-f-]{36}\\?created=1$", location);
        var stored = Assert.Single(await Portal.AllServicesAsync());
        Assert.Equal($"/services/{stored.Id}?created=1", location);
        Assert.Equal("Shop", stored.Name);
        Assert.Equal(ServiceStatus.CreateInProgress, stored.Status);
        Assert.Equal(["static.shop.test", "www.shop.test"], stored.Domains.Select(d => d.Domain).Order());
        var spec = stored.ReadSpec();
        Assert.Equal(["origin.shop.test", "images.shop.test"], spec.Origins.Select(o => o.Origin));
        Assert.Equal("/images/*", spec.Origins[1].Rules.Single().RequestUrl);
        Assert.Equal(3600, spec.Caching.Single().Ttl);

        var detail = await admin.GetPageAsync(location);
        Assert.Contains("was created", detail.QuerySelector("[data-testid=notice]")!.TextContent);
        Assert.Equal("create_in_progress", detail.QuerySelector("h1 [data-status]")!.TextContent);
    }

    /// <summary>The redirect target as a local path (Blazor answers with an absolute URL).</summary>
    private static string LocalPath(HttpResponseMessage response)
    {
        var location = response.Headers.Location ?? throw new InvalidOperationException("No Location header.");
        return location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
    }

    private static BrowserForm NewServiceForm(IHtmlDocument page, string name, string domain, string origin) =>
        BrowserForm.From(page, "#service-form")
            .Set("Input.Name", name)
            .Set("Input.Domains[0].Domain", domain)
            .Set("Input.Origins[0].Origin", origin);
}
