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

    }

    public static TheoryData<string, string[], string, string> FieldErrors => new()
    {
        { "bad domain", ["Input.Domains[0].Domain=Bad_Domain.test"], "Input.Domains[0].Domain", "is not a valid domain name" },
        { "root domain", ["Input.Domains[0].Domain=example.com"], "Input.Domains[0].Domain", "is a root domain" },
        { "port text", ["Input.Origins[0].Port=abc"], "Input.Origins[0].Port", "'abc' is not a whole number" },
        { "port not 80/443", ["Input.Origins[0].Port=8080"], "Input.Origins[0].Port", "Port 8080 is not allowed" },
        { "TTL out of range", ["Input.Caching[0].Name=all", "Input.Caching[0].Ttl=40000000"], "Input.Caching[0].Ttl", "TTL 40000000 is out of range" },
        { "TTL text", ["Input.Caching[0].Name=all", "Input.Caching[0].Ttl=1h"], "Input.Caching[0].Ttl", "'1h' is not a whole number" },
        {
            "whitelist and blacklist on one path",
            [
                "Input.Restrictions[0].Name=allow-us", "Input.Restrictions[0].Access=whitelist",
                "Input.Restrictions[0].Rules[0].Kind=geography", "Input.Restrictions[0].Rules[0].Value=USA", "Input.Restrictions[0].Rules[0].RequestUrl=/*",
                "Input.Restrictions[1].Name=block-mx", "Input.Restrictions[1].Access=blacklist",
                "Input.Restrictions[1].Rules[0].Kind=geography", "Input.Restrictions[1].Rules[0].Value=Mexico", "Input.Restrictions[1].Rules[0].RequestUrl=/*",
            ],
            "Input.Restrictions[1].Rules[0]", "Cannot blacklist and whitelist geography on the same path"
        },
        { "unknown country", ["Input.Restrictions[0].Name=geo", "Input.Restrictions[0].Rules[0].Kind=geography", "Input.Restrictions[0].Rules[0].Value=Atlantis"],
            "Input.Restrictions[0].Rules[0].Value", "'Atlantis' is not a known country or region" },
        { "missing certificate", ["Input.Domains[0].Protocol=https"], "Input.Domains[0].Certificate", "An https domain needs a certificate type" },
        { "custom host header without value", ["Input.Origins[0].HostHeaderType=custom"], "Input.Origins[0].HostHeaderValue", "A custom host header needs a value" },
        { "delivery TTL order", ["Input.Delivery.MinTtl=600", "Input.Delivery.DefaultTtl=60"], "Input.Delivery.DefaultTtl", "min_ttl <= default_ttl <= max_ttl" },
    };

    [Theory]
    [MemberData(nameof(FieldErrors))]
    public async Task Each_kind_of_error_is_shown_next_to_its_field_and_nothing_is_saved(string kind, string[] fields, string field, string message)
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var form = NewServiceForm(await admin.GetPageAsync("/services/new"), "Shop", "www.shop.test", "origin.shop.test");
        foreach (var pair in fields)
        {
            var (name, value) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
            form.Set(name, value);
        }

        var page = await form.SubmitForPageAsync(admin, Action, "save");

        AssertFieldError(page, field, message, kind);
        Assert.Empty(await Portal.AllServicesAsync());
    }

    [Fact]
    public async Task A_domain_of_a_service_in_another_project_is_reported_at_the_domain()
    {
        await Portal.CreateProjectAsync("beta");
        await Portal.CreateServiceAsync(ServiceTestData.Spec("Theirs", "www.taken.test"), "beta");
        using var admin = await Portal.CreateAdminClientAsync();
        var page = await admin.GetPageAsync("/services/new");
        page = await NewServiceForm(page, "Ours", "www.ours.test", "origin.ours.test").SubmitForPageAsync(admin, Action, "add-domain");

        page = await BrowserForm.From(page, "#service-form").Set("Input.Domains[1].Domain", "www.taken.test").SubmitForPageAsync(admin, Action, "save");

        AssertFieldError(page, "Input.Domains[1].Domain", "Domain www.taken.test has already been taken", "taken domain");
        Assert.Empty(page.QuerySelectorAll("[data-field='Input.Domains[0].Domain']"));
        Assert.Single(await Portal.AllServicesAsync());
    }

    [Fact]
    public async Task The_projects_service_limit_is_reported_above_the_form()
    {
        await Portal.SetServiceLimitAsync(0);
        using var admin = await Portal.CreateAdminClientAsync();
        var form = NewServiceForm(await admin.GetPageAsync("/services/new"), "Shop", "www.shop.test", "origin.shop.test");

        var page = await form.SubmitForPageAsync(admin, Action, "save");

        Assert.Equal("Maximum Services Limit of 0 reached!", page.QuerySelector("[data-testid=form-message]")!.TextContent.Trim());
        Assert.Equal("Shop", BrowserForm.From(page, "#service-form")["Input.Name"]);
        Assert.Empty(await Portal.AllServicesAsync());
    }

    [Fact]
    public async Task Row_buttons_add_and_remove_rows_and_keep_what_was_typed()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var form = NewServiceForm(await admin.GetPageAsync("/services/new"), "Shop", "www.shop.test", "origin.shop.test");

        var added = BrowserForm.From(await form.SubmitForPageAsync(admin, Action, "add-domain"), "#service-form");
        Assert.Equal("Shop", added["Input.Name"]);
        Assert.Equal("www.shop.test", added["Input.Domains[0].Domain"]);
        Assert.Equal("", added["Input.Domains[1].Domain"]);

        var removed = BrowserForm.From(await added.Set("Input.Domains[1].Domain", "cdn.shop.test").SubmitForPageAsync(admin, Action, "remove-domain:0"), "#service-form");
        Assert.Equal("cdn.shop.test", removed["Input.Domains[0].Domain"]);
        Assert.Null(removed["Input.Domains[1].Domain"]);

        var withRule = BrowserForm.From(await removed.SubmitForPageAsync(admin, Action, "add-origin-rule:0"), "#service-form");
        Assert.Equal("", withRule["Input.Origins[0].Rules[0].RequestUrl"]);
        var withRestriction = BrowserForm.From(await withRule.SubmitForPageAsync(admin, Action, "add-restriction"), "#service-form");
        Assert.Equal("geography", withRestriction["Input.Restrictions[0].Rules[0].Kind"]);
        var twoRules = BrowserForm.From(await withRestriction.SubmitForPageAsync(admin, Action, "add-restriction-rule:0"), "#service-form");
        Assert.NotNull(twoRules["Input.Restrictions[0].Rules[1].Kind"]);
        var withCaching = BrowserForm.From(await twoRules.SubmitForPageAsync(admin, Action, "add-caching"), "#service-form");
        var cachingRule = BrowserForm.From(await withCaching.SubmitForPageAsync(admin, Action, "add-caching-rule:0"), "#service-form");
        Assert.Equal("", cachingRule["Input.Caching[0].Rules[0].Name"]);

        var cleared = BrowserForm.From(await BrowserForm.From(await cachingRule.SubmitForPageAsync(admin, Action, "remove-restriction:0"), "#service-form")
            .SubmitForPageAsync(admin, Action, "remove-origin-rule:0:0"), "#service-form");
        Assert.Null(cleared["Input.Restrictions[0].Name"]);
        Assert.Null(cleared["Input.Origins[0].Rules[0].Name"]);
        Assert.Equal("", cleared["Input.Caching[0].Rules[0].Name"]);
        // Nothing of this was saved: row buttons only re-render the form.
        Assert.Empty(await Portal.AllServicesAsync());
    }

    [Fact]
    public async Task Row_buttons_carry_htmx_attributes_that_swap_only_the_form()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var page = await admin.GetPageAsync("/services/new");
        var addDomain = page.QuerySelector("#service-form button[value='add-domain']")!;
        Assert.Equal("/services/new", addDomain.GetAttribute("hx-post"));
        Assert.Equal("#service-form", addDomain.GetAttribute("hx-select"));
        Assert.Equal("#service-form", addDomain.GetAttribute("hx-target"));
        Assert.Equal("outerHTML", addDomain.GetAttribute("hx-swap"));
        Assert.Equal("Input.Action", addDomain.GetAttribute("name"));

        // What htmx posts: the whole form plus the button, with its request headers; the answer holds the new form.
        var values = BrowserForm.From(page, "#service-form").Values.Append(new("Input.Action", "add-domain"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/services/new") { Content = new FormUrlEncodedContent(values) };
        request.Headers.Add("HX-Request", "true");
        request.Headers.Add("HX-Source", "button");
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await admin.Http.SendAsync(request);
        var swapped = PortalClient.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, swapped.QuerySelectorAll("#service-form .domain-row").Length);
    }

    [Fact]
    public async Task Choosing_geography_offers_the_zone_names_and_other_kinds_do_not()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var form = BrowserForm.From(await admin.GetPageAsync("/services/new"), "#service-form");
        var page = await form.SubmitForPageAsync(admin, Action, "add-restriction");
        page = await BrowserForm.From(page, "#service-form").SubmitForPageAsync(admin, Action, "add-restriction-rule:0");

        page = await BrowserForm.From(page, "#service-form").Set("Input.Restrictions[0].Rules[1].Kind", "client_ip").SubmitForPageAsync(admin, Action, "refresh");

        Assert.Equal("geo-zones", page.QuerySelector("input[name='Input.Restrictions[0].Rules[0].Value']")!.GetAttribute("list"));
        Assert.Null(page.QuerySelector("input[name='Input.Restrictions[0].Rules[1].Value']")!.GetAttribute("list"));
        var zones = page.QuerySelectorAll("datalist#geo-zones option").Select(o => o.GetAttribute("value")).ToList();
        Assert.Contains("USA", zones);
        Assert.Contains(GeoZones.Emea, zones);
        Assert.Equal("refresh", System.Text.Json.JsonDocument.Parse(page.QuerySelector("select[name='Input.Restrictions[0].Rules[1].Kind']")!.GetAttribute("hx-vals")!)
            .RootElement.GetProperty("Input.Action").GetString());
    }

    private static void AssertFieldError(IHtmlDocument page, string field, string message, string because)
    {
        var messages = page.QuerySelectorAll($"[data-field='{field}']").Select(e => e.TextContent).ToList();
        Assert.True(messages.Any(m => m.Contains(message, StringComparison.Ordinal)),
            $"{because}: expected '{message}' at {field}; the page shows: {string.Join(" | ", page.QuerySelectorAll("[data-field]").Select(e => $"{e.GetAttribute("data-field")}: {e.TextContent}"))}");
        var summary = page.QuerySelector("[data-testid=error-summary]");
        Assert.NotNull(summary);
        Assert.Contains(message, summary.TextContent);
        // The summary links to the field, and an input (when the message is about one) is marked invalid.
        Assert.NotNull(summary.QuerySelector($"a[href='#{Poppy.Portal.Web.Features.Services.FormPath.ToId(field)}']"));
        var input = page.QuerySelector($"[name='{field}']");
        if (input is not null)
        {
            Assert.Contains("is-invalid", input.ClassName);
        }
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
