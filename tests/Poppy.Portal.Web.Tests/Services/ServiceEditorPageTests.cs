using AngleSharp.Dom;
using Bunit;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.Services;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>The one service form for create and edit: row editing, the catalog's messages at their fields, the JSON view.</summary>
public sealed class ServiceEditorPageTests : ServicePageTest
{
    public override async Task InitializeAsync()
    {
        await Portal.SeedFlavorAsync();
        await base.InitializeAsync();
    }

    private static IElement Input(IRenderedComponent<ServiceEditorPage> page, string path) =>
        page.FindAll($"[data-field='{FormPath.ToFieldName(path)}'] input").FirstOrDefault()
        ?? throw new InvalidOperationException($"No input for {path}; fields: {string.Join(", ", page.FindAll("[data-field]").Select(e => e.GetAttribute("data-field")))}");

    /// <summary>Types a value as a browser reports it: on change, or on input for the fields that follow every keystroke.</summary>
    private static async Task SetAsync(IRenderedComponent<ServiceEditorPage> page, string path, string value)
    {
        try
        {
            await Input(page, path).ChangeAsync(new() { Value = value });
        }
        catch (MissingEventHandlerException)
        {
            await Input(page, path).InputAsync(new() { Value = value });
        }
    }

    private static async Task ClickAsync(IRenderedComponent<ServiceEditorPage> page, string action) =>
        await page.Find($"[data-action='{action}']").ClickAsync(new());

    private static void AssertMessageAt(IRenderedComponent<ServiceEditorPage> page, string path, string message)
    {
        var field = FormPath.ToFieldName(path);
        var at = page.FindAll($"[data-field='{field}']").Select(e => e.TextContent).ToList();
        Assert.True(at.Any(t => t.Contains(message, StringComparison.Ordinal)),
            $"expected '{message}' at {field}; the form shows: {string.Join(" | ", page.FindAll("[data-summary-field]").Select(e => e.TextContent))}");
        var summary = page.Find("[data-testid=error-summary]");
        Assert.Contains(message, summary.TextContent, StringComparison.Ordinal);
        Assert.NotNull(summary.QuerySelector($"a[href$='#{FormPath.ToId(field)}']"));
        Assert.NotNull(page.Find($"#{FormPath.ToId(field)}"));
    }

    private async Task<Guid> ServiceAsync(bool deployed)
    {
        var spec = ServiceTestData.Spec("Shop", "www.shop.test");
        spec.Domains.Add(new DomainSpec { Domain = "static.shop.test" });
        spec.Caching.Add(new CachingRuleSpec { Name = "all", Ttl = 3600, Rules = [new RuleSpec { Name = "everything", RequestUrl = "/*" }] });
        var id = await Portal.CreateServiceAsync(spec);
        if (deployed)
        {
            await Portal.SetServiceStatusAsync(id, ProviderStatus.Deployed);
        }
        return id;
    }

    [Fact]
    public async Task Creating_with_two_domains_two_origins_a_caching_rule_and_a_restriction_stores_the_service()
    {
        var page = await RenderWithProvidersAsync<ServiceEditorPage>();

        await SetAsync(page, "name", "Shop");
        await SetAsync(page, "domains[0].domain", "www.shop.test");
        await ClickAsync(page, "add-domain");
        await SetAsync(page, "domains[1].domain", "static.shop.test");
        await SetAsync(page, "origins[0].origin", "origin.shop.test");
        await ClickAsync(page, "add-origin");
        await SetAsync(page, "origins[1].origin", "images.shop.test");
        await ClickAsync(page, "add-origin-rule:1");
        await SetAsync(page, "origins[1].rules[0].name", "images");
        await SetAsync(page, "origins[1].rules[0].request_url", "/images/*");
        await ClickAsync(page, "add-caching");
        await SetAsync(page, "caching[0].name", "everything");
        await SetAsync(page, "caching[0].ttl", "3600");
        await ClickAsync(page, "add-restriction");
        await SetAsync(page, "restrictions[0].name", "only-us");
        await SetAsync(page, "restrictions[0].rules[0].value", "USA");
        await SetAsync(page, "restrictions[0].rules[0].request_url", "/*");
        // Every rule row keeps its label once filled.
        Assert.Equal("Request URL", Input(page, "origins[1].rules[0].request_url").Closest(".mud-input-control")!.QuerySelector("label")!.TextContent.Trim());
        Assert.Equal("geo-zones", Input(page, "restrictions[0].rules[0].value").GetAttribute("list"));

        await page.Find("[data-testid=save-service]").ClickAsync(new());

        var stored = Assert.Single(await Portal.AllServicesAsync());
        page.WaitForAssertion(() => Assert.EndsWith($"/services/{stored.Id}", Navigation.Uri, StringComparison.Ordinal), Patience);
        Assert.Contains(Snackbars(), s => s.Contains("Service Shop was created", StringComparison.Ordinal));
        var service = await AsSystemAsync<ServiceCatalog, CdnService?>(catalog => catalog.FindAsync(stored.ProjectId, stored.Id, default));
        var spec = service!.ReadSpec();
        Assert.Equal("Shop", spec.Name);
        Assert.Equal(["static.shop.test", "www.shop.test"], spec.Domains.Select(d => d.Domain).Order());
        Assert.Equal(["origin.shop.test", "images.shop.test"], spec.Origins.Select(o => o.Origin));
        Assert.Equal("/images/*", spec.Origins[1].Rules.Single().RequestUrl);
        Assert.Equal(3600, spec.Caching.Single().Ttl);
        var restriction = spec.Restrictions.Single();
        Assert.Equal(("only-us", RestrictionAccess.Whitelist, "USA"), (restriction.Name, restriction.Access, restriction.Rules.Single().Geography));
    }

    [Fact]
    public async Task An_invalid_save_shows_the_catalogs_messages_at_their_fields_and_in_the_summary_and_keeps_the_input()
    {
        var page = await RenderWithProvidersAsync<ServiceEditorPage>();
        await SetAsync(page, "name", "Shop");
        await SetAsync(page, "domains[0].domain", "www.shop.test");
        await SetAsync(page, "origins[0].origin", "origin.shop.test");
        await SetAsync(page, "origins[0].port", "8080");
        foreach (var url in new[] { "/images/*", "/img/*", "/images/*" })
        {
            await ClickAsync(page, "add-origin-rule:0");
            var r = page.FindAll("[data-rules='origins[0].rules'] [data-row]").Count - 1;
            await SetAsync(page, $"origins[0].rules[{r}].name", $"rule{r}");
            await SetAsync(page, $"origins[0].rules[{r}].request_url", url);
        }

        await page.Find("[data-testid=save-service]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=error-summary]")), Patience);
        AssertMessageAt(page, "origins[0].rules[2].request_url", "'/images/*' is already routed by");
        AssertMessageAt(page, "origins[0].port", "Port 8080 is not allowed");
        Assert.Equal("Shop", Input(page, "name").GetAttribute("value"));
        Assert.Equal("/images/*", Input(page, "origins[0].rules[2].request_url").GetAttribute("value"));
        Assert.DoesNotContain("/services/", Navigation.Uri, StringComparison.Ordinal);
        Assert.Empty(await Portal.AllServicesAsync());
    }

    [Fact]
    public async Task A_field_that_is_not_a_number_is_reported_with_the_validators_other_messages()
    {
        var page = await RenderWithProvidersAsync<ServiceEditorPage>();
        await SetAsync(page, "name", "Shop");
        await SetAsync(page, "domains[0].domain", "Bad_Domain.test");
        await SetAsync(page, "origins[0].origin", "origin.shop.test");
        await SetAsync(page, "origins[0].port", "abc");

        await page.Find("[data-testid=save-service]").ClickAsync(new());

        AssertMessageAt(page, "origins[0].port", "'abc' is not a whole number");
        AssertMessageAt(page, "domains[0].domain", "is not a valid domain name");
        Assert.Empty(await Portal.AllServicesAsync());
    }

    [Fact]
    public async Task The_empty_form_reports_what_is_missing_and_no_bogus_origin_message()
    {
        var page = await RenderWithProvidersAsync<ServiceEditorPage>();

        await page.Find("[data-testid=save-service]").ClickAsync(new());

        var summary = page.WaitForElement("[data-testid=error-summary]", Patience).TextContent;
        Assert.DoesNotContain("is also an origin", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("''", summary, StringComparison.Ordinal);
        Assert.NotEmpty(page.FindAll($"[data-field='{FormPath.ToFieldName("name")}'] .mud-input-error"));
        Assert.Empty(await Portal.AllServicesAsync());
    }

    [Fact]
    public async Task Editing_loads_the_stored_values_and_saves_a_change()
    {
        var id = await ServiceAsync(deployed: true);
        var page = await RenderWithProvidersAsync<ServiceEditorPage>(p => p.Add(e => e.Id, id));

        Assert.Equal("Shop", Input(page, "name").GetAttribute("value"));
        Assert.Equal("static.shop.test", Input(page, "domains[1].domain").GetAttribute("value"));
        Assert.Equal("3600", Input(page, "caching[0].ttl").GetAttribute("value"));
        Assert.Equal("/*", Input(page, "caching[0].rules[0].request_url").GetAttribute("value"));
        await SetAsync(page, "caching[0].ttl", "7200");
        await ClickAsync(page, "remove-domain:1");

        await page.Find("[data-testid=save-service]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.EndsWith($"/services/{id}", Navigation.Uri, StringComparison.Ordinal), Patience);
        var stored = (await Portal.FindServiceAsync(id))!;
        Assert.Equal(ServiceStatus.UpdateInProgress, stored.Status);
        Assert.Equal(["www.shop.test"], stored.Domains.Select(d => d.Domain));
        Assert.Equal(7200, stored.ReadSpec().Caching.Single().Ttl);
        Assert.Contains(Snackbars(), s => s.Contains("Service Shop was saved", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Saving_an_unchanged_service_says_nothing_changed()
    {
        var id = await ServiceAsync(deployed: true);
        var before = (await Portal.FindServiceAsync(id))!;
        var page = await RenderWithProvidersAsync<ServiceEditorPage>(p => p.Add(e => e.Id, id));

        await page.Find("[data-testid=save-service]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains(Snackbars(), s => s.StartsWith("Nothing changed", StringComparison.Ordinal)), Patience);
        var after = (await Portal.FindServiceAsync(id))!;
        Assert.Equal((before.Status, before.Version), (after.Status, after.Version));
    }

    [Fact]
    public async Task A_service_being_created_cannot_be_edited_and_the_form_says_why()
    {
        var id = await ServiceAsync(deployed: false);

        var page = await RenderWithProvidersAsync<ServiceEditorPage>(p => p.Add(e => e.Id, id));

        Assert.Contains("create_in_progress; it can be changed once it is deployed or has failed", page.Find("[data-testid=edit-blocked]").TextContent, StringComparison.Ordinal);
        Assert.True(page.Find("[data-testid=save-service]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task The_json_view_shows_the_document_the_form_describes()
    {
        var page = await RenderWithProvidersAsync<ServiceEditorPage>();
        await SetAsync(page, "name", "Shop");
        await SetAsync(page, "domains[0].domain", "www.shop.test");

        await page.Find("[data-testid=json-panel] .mud-expand-panel-header").ClickAsync(new());

        var json = page.WaitForElement("[data-testid=json-document]", Patience).TextContent;
        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("Shop", document.RootElement.GetProperty("name").GetString());
        Assert.Equal("www.shop.test", document.RootElement.GetProperty("domains")[0].GetProperty("domain").GetString());
        Assert.Equal(ServiceTestData.Flavor, document.RootElement.GetProperty("flavor_id").GetString());
    }

    [Fact]
    public async Task A_viewer_gets_no_form()
    {
        await SignInAsNewUserAsync(PortalRoles.Viewer);

        var page = await RenderWithProvidersAsync<ServiceEditorPage>();

        Assert.NotNull(page.Find("[data-testid=access-denied]"));
        Assert.Empty(page.FindAll("[data-testid=save-service]"));
    }
}
