using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Providers;

/// <summary>Provider accounts through the pages: credentials go in, are stored protected, and never come out in full.</summary>
public sealed class ProviderAccountTests : PortalTest
{
    [Theory]
    [InlineData(ProviderKind.Akamai, "akamai", "http://127.0.0.1:18082/akamai/", "client_token ••••aaaa, client_secret ••••bbb=, access_token ••••cccc")]
    [InlineData(ProviderKind.Fastly, "fastly", "http://127.0.0.1:18082/fastly/", "api_key ••••3f9a")]
    [InlineData(ProviderKind.CloudFront, "cloudfront", "http://127.0.0.1:18082/cloudfront/", "access_key_id ••••eeee, secret_access_key ••••ffff, region us-east-1")]
    [InlineData(ProviderKind.MaxCdn, "maxcdn", "http://127.0.0.1:18082/maxcdn/", "company_alias poppy-co, consumer_key ••••7777, consumer_secret ••••8888")]
    [InlineData(ProviderKind.CacheTier, "cache-tier", "http://127.0.0.1:18090", "nodes 127.0.0.1:9 ••••9999 cache1.example.net")]
    public async Task An_admin_creates_an_account_of_each_kind_and_no_page_shows_its_secrets(ProviderKind kind, string name, string endpoint, string hint)
    {
        using var admin = await Portal.CreateAdminClientAsync();

        var id = await admin.CreateAccountAsync(name, kind, endpoint);

        var list = await admin.GetPageAsync("/providers");
        var row = list.QuerySelectorAll("[data-testid=providers-table] tbody tr").Single();
        // Every save tests the connection; nothing answers on these loopback endpoints (nor on the cache tier's node).
        Assert.Equal([name, ProviderCredentialFields.DisplayName(kind), endpoint, hint, "Enabled", "Unreachable", "—", "Closed"],
            row.QuerySelectorAll("td").Select(td => td.TextContent.Trim()));
        var edit = await admin.GetPageAsync($"/providers/{id}?created=true");
        Assert.Contains($"Provider account {name} was created.", edit.Body!.TextContent);
        Assert.Equal(hint, edit.QuerySelector("[data-testid=credentials-hint]")!.TextContent);
        foreach (var secret in ProviderAccountForms.Secrets(kind))
        {
            Assert.DoesNotContain(secret, list.DocumentElement.OuterHtml);
            Assert.DoesNotContain(secret, edit.DocumentElement.OuterHtml);
        }
        Assert.Equal(ProviderAccountForms.SampleCredentials(kind), await Portal.CredentialsAsync(id));
    }

    [Fact]
    public async Task The_database_holds_only_protected_credentials_and_the_audit_only_the_hint()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var id = await admin.CreateAccountAsync("aws", ProviderKind.CloudFront);
        using (var rename = await admin.SubmitFormAsync($"/providers/{id}",
                   ProviderAccountForms.FormFields("aws-main", ProviderKind.CloudFront, "http://127.0.0.1:18081/", new Dictionary<string, string>()), "save-account"))
        {
            Assert.Equal(HttpStatusCode.OK, rename.StatusCode);
        }

        var rows = await ReadAllTextAsync("SELECT * FROM \"ProviderAccounts\"", "SELECT \"Before\", \"After\", \"Summary\" FROM \"AuditEntries\" WHERE \"EntityType\" = 'provider-account'");

        Assert.NotEmpty(rows);
        foreach (var secret in ProviderAccountForms.Secrets(ProviderKind.CloudFront))
        {
            Assert.DoesNotContain(rows, value => value.Contains(secret, StringComparison.Ordinal));
        }
        Assert.Contains(rows, value => value.Contains("secret_access_key ••••ffff", StringComparison.Ordinal));
        Assert.Equal(ProviderAccountForms.SampleCredentials(ProviderKind.CloudFront), await Portal.CredentialsAsync(id));
    }

    [Fact]
    public async Task Editing_with_empty_secret_inputs_keeps_the_stored_secrets_and_replaces_the_typed_ones()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var id = await admin.CreateAccountAsync("aws", ProviderKind.CloudFront);

        var form = await admin.GetPageAsync($"/providers/{id}");
        var secretInputs = form.QuerySelectorAll<IHtmlInputElement>("input[type=password]").ToList();
        Assert.Equal(["Input.Credentials[access_key_id]", "Input.Credentials[secret_access_key]"], secretInputs.Select(i => i.Name));
        Assert.All(secretInputs, input =>
        {
            Assert.False(input.HasAttribute("value"));
            Assert.Equal("leave empty to keep", input.Placeholder);
        });
        Assert.Equal("us-east-1", form.QuerySelector<IHtmlInputElement>("input[name='Input.Credentials[region]']")!.Value);

        using var saved = await admin.SubmitFormAsync($"/providers/{id}", ProviderAccountForms.FormFields("aws", ProviderKind.CloudFront, "http://127.0.0.1:18083/",
            new Dictionary<string, string> { ["access_key_id"] = "AKIA-NEW-KEY-000011112222", ["secret_access_key"] = "", ["region"] = "" }), "save-account");

        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Contains("Saved.", await saved.Content.ReadAsStringAsync());
        var credentials = await Portal.CredentialsAsync(id);
        Assert.Equal("AKIA-NEW-KEY-000011112222", credentials!["access_key_id"]);
        Assert.Equal(ProviderAccountForms.SampleCredentials(ProviderKind.CloudFront)["secret_access_key"], credentials["secret_access_key"]);
        Assert.Equal("us-east-1", credentials["region"]);
        Assert.Equal("http://127.0.0.1:18083/", (await Portal.AccountAsync(id))!.ApiEndpoint);
    }

    [Fact]
    public async Task A_refused_create_names_the_wrong_fields_and_does_not_echo_the_secret()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        using var response = await admin.SubmitFormAsync("/providers/new", ProviderAccountForms.FormFields("Not Valid", ProviderKind.Fastly, "api.fastly.com",
            new Dictionary<string, string> { ["api_key"] = "fastly-typed-SECRET-abcdef123456" }), "save-account");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("fastly-typed-SECRET-abcdef123456", html);
        var page = PortalClient.Parse(html);
        Assert.Contains("Name: 1–64 characters", PortalClient.MessagesNextTo(page, "Input.Name"));
        Assert.Contains("absolute http:// or https:// URL", PortalClient.MessagesNextTo(page, "Input.ApiEndpoint"));
        Assert.Equal("Not Valid", page.QuerySelector<IHtmlInputElement>("input[name='Input.Name']")!.Value);
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task A_missing_credential_and_a_taken_name_are_shown_next_to_their_fields()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        await admin.CreateAccountAsync("edge", ProviderKind.Fastly);

        using var response = await admin.SubmitFormAsync("/providers/new", ProviderAccountForms.FormFields("edge", ProviderKind.Akamai, "https://akab.luna.akamaiapis.net",
            new Dictionary<string, string> { ["client_token"] = "akab-token-1234567890", ["client_secret"] = "", ["access_token"] = "akab-access-1234567890" }), "save-account");

        var page = PortalClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("A provider account named 'edge' already exists.", PortalClient.MessagesNextTo(page, "Input.Name"));
        Assert.Contains("Enter the client secret.", PortalClient.MessagesNextTo(page, "Input.Credentials[client_secret]"));
        Assert.Single(await ListAsync());
    }

    [Fact]
    public async Task Changing_the_kind_without_javascript_shows_that_kinds_fields_and_saves_nothing()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var fields = ProviderAccountForms.FormFields("maxcdn", ProviderKind.MaxCdn, "https://rws.maxcdn.com", new Dictionary<string, string>());
        fields["show-fields"] = "true";

        using var response = await admin.SubmitFormAsync("/providers/new", fields, "save-account");

        var page = PortalClient.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["Input.Credentials[company_alias]", "Input.Credentials[consumer_key]", "Input.Credentials[consumer_secret]"],
            page.QuerySelectorAll<IHtmlInputElement>("#credential-fields input").Select(i => i.Name));
        Assert.Empty(page.QuerySelectorAll(".invalid-feedback"));
        Assert.Equal("maxcdn", page.QuerySelector<IHtmlInputElement>("input[name='Input.Name']")!.Value);
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task The_kind_select_fetches_the_fields_of_the_chosen_kind()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var id = await admin.CreateAccountAsync("aws", ProviderKind.CloudFront);
        var select = (await admin.GetPageAsync($"/providers/{id}")).QuerySelector("select[name='Input.Kind']")!;
        Assert.Equal($"/ui/providers/credential-fields?account={id}", select.GetAttribute("hx-get"));
        Assert.Equal("#credential-fields", select.GetAttribute("hx-target"));

        var forNew = await admin.GetFragmentAsync("/ui/providers/credential-fields?Input.Kind=CloudFront");
        var sameKind = await admin.GetFragmentAsync($"/ui/providers/credential-fields?account={id}&Input.Kind=CloudFront");
        var otherKind = await admin.GetFragmentAsync($"/ui/providers/credential-fields?account={id}&Input.Kind=Fastly");
        using var unknown = await admin.Http.GetAsync("/ui/providers/credential-fields?Input.Kind=Genie");

        Assert.Equal(["access_key_id", "secret_access_key", "region"], forNew.QuerySelectorAll<IHtmlInputElement>("input").Select(i => i.Id!["credential-".Length..]));
        Assert.Equal("us-east-1", forNew.QuerySelector<IHtmlInputElement>("#credential-region")!.Value);
        Assert.Empty(forNew.QuerySelectorAll("input[placeholder='leave empty to keep']"));
        Assert.Equal(2, sameKind.QuerySelectorAll("input[type=password][placeholder='leave empty to keep']").Length);
        Assert.All(ProviderAccountForms.Secrets(ProviderKind.CloudFront), secret => Assert.DoesNotContain(secret, sameKind.DocumentElement.OuterHtml));
        Assert.Equal(["Input.Credentials[api_key]"], otherKind.QuerySelectorAll<IHtmlInputElement>("input").Select(i => i.Name));
        Assert.Empty(otherKind.QuerySelectorAll("input[placeholder='leave empty to keep']"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task A_cache_tier_lists_its_nodes_in_a_text_area_that_never_shows_a_token_and_an_edit_keeps_tokens_written_as_a_star()
    {
        const string tokenA = "node-a-token-SECRET-0123456789aaaa";
        const string tokenB = "node-b-token-SECRET-0123456789bbbb";
        using var admin = await Portal.CreateAdminClientAsync();
        // No API endpoint: the first node's agent stands for it.
        using (var created = await admin.SubmitFormAsync("/providers/new", ProviderAccountForms.FormFields("edge-nodes", ProviderKind.CacheTier, "",
                   new Dictionary<string, string> { ["nodes"] = $"http://127.0.0.1:9 {tokenA} cache1.example.net" }), "save-account"))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        }
        var account = Assert.Single(await ListAsync());
        Assert.Equal("http://127.0.0.1:9/", account.ApiEndpoint);

        var form = await admin.GetPageAsync($"/providers/{account.Id}");
        var nodes = form.QuerySelector<IHtmlTextAreaElement>("textarea[name='Input.Credentials[nodes]']")!;
        Assert.Equal("", nodes.Value);
        Assert.Equal("leave empty to keep", nodes.Placeholder);
        Assert.Equal("nodes 127.0.0.1:9 ••••aaaa cache1.example.net", form.QuerySelector("[data-testid=credentials-hint]")!.TextContent);
        Assert.DoesNotContain(tokenA, form.DocumentElement.OuterHtml);

        // A second node; the first keeps its token ("*") and moves to another public host name.
        using (var saved = await admin.SubmitFormAsync($"/providers/{account.Id}", ProviderAccountForms.FormFields("edge-nodes", ProviderKind.CacheTier, "",
                   new Dictionary<string, string> { ["nodes"] = $"http://127.0.0.1:9 * cache-one.example.net\nhttp://127.0.0.1:7 {tokenB} cache2.example.net" }), "save-account"))
        {
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
            var html = await saved.Content.ReadAsStringAsync();
            Assert.True(html.Contains("Saved.", StringComparison.Ordinal), string.Join(" | ", PortalClient.Parse(html).QuerySelectorAll(".invalid-feedback, .alert").Select(e => e.TextContent.Trim())));
            Assert.DoesNotContain(tokenA, html);
            Assert.DoesNotContain(tokenB, html);
        }
        Assert.Equal($"http://127.0.0.1:9/ {tokenA} cache-one.example.net\nhttp://127.0.0.1:7/ {tokenB} cache2.example.net",
            (await Portal.CredentialsAsync(account.Id))!["nodes"]);

        // Nodes that cannot be used are refused next to the field, with the line at fault.
        using var refused = await admin.SubmitFormAsync($"/providers/{account.Id}", ProviderAccountForms.FormFields("edge-nodes", ProviderKind.CacheTier, "",
            new Dictionary<string, string> { ["nodes"] = "http://127.0.0.1:5 * cache5.example.net" }), "save-account");
        Assert.Contains("Line 1: no token is stored for http://127.0.0.1:5/; type it.",
            PortalClient.MessagesNextTo(PortalClient.Parse(await refused.Content.ReadAsStringAsync()), "Input.Credentials[nodes]"));
    }

    [Fact]
    public async Task An_admin_disables_and_enables_an_account()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var id = await admin.CreateAccountAsync("fastly", ProviderKind.Fastly);

        using var disabled = await admin.SubmitFormAsync($"/providers/{id}", new Dictionary<string, string>(), "toggle-enabled");
        var afterDisable = (await Portal.AccountAsync(id))!.IsEnabled;
        using var enabled = await admin.SubmitFormAsync($"/providers/{id}", new Dictionary<string, string>(), "toggle-enabled");

        Assert.False(afterDisable);
        Assert.Contains("Account disabled.", await disabled.Content.ReadAsStringAsync());
        Assert.True((await Portal.AccountAsync(id))!.IsEnabled);
        Assert.Contains("Account enabled.", await enabled.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Deleting_an_account_a_flavor_uses_is_refused_until_the_flavor_is_gone()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var id = await admin.CreateAccountAsync("fastly", ProviderKind.Fastly);
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var created = await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().CreateAsync(
                new FlavorSpec("cdn", [FlavorProviderSpec.WithProviderUrl("fastly", "www.fastly.com")]), CancellationToken.None);
            Assert.True(created.Succeeded);
        }

        var confirmation = await admin.GetPageAsync($"/providers/{id}?delete=confirm");
        Assert.Contains("Flavors cdn use it", confirmation.QuerySelector("[data-testid=confirm-delete]")!.TextContent);
        using var refused = await admin.SubmitFormAsync($"/providers/{id}?delete=confirm", new Dictionary<string, string>(), "delete-account");

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("Provider account 'fastly' is used by flavor cdn; remove it from that flavor first.",
            PortalClient.Parse(await refused.Content.ReadAsStringAsync()).QuerySelector(".alert-danger")!.TextContent);
        Assert.NotNull(await Portal.AccountAsync(id));
        Assert.Equal("cdn", Assert.Single((await admin.GetPageAsync("/providers")).QuerySelectorAll("[data-testid=providers-table] tbody td")[6].TextContent.Split(", ")));

        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<FlavorCatalog>().DeleteAsync("cdn", CancellationToken.None)).Succeeded);
        }
        using var deleted = await admin.SubmitFormAsync($"/providers/{id}?delete=confirm", new Dictionary<string, string>(), "delete-account");

        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Equal("/providers", new Uri(new Uri("http://localhost"), deleted.Headers.Location!).PathAndQuery);
        Assert.Null(await Portal.AccountAsync(id));
        Assert.Contains("No provider accounts yet", (await admin.GetPageAsync("/providers")).Body!.TextContent);
    }

    [Theory]
    [InlineData(PortalRoles.Viewer)]
    [InlineData(PortalRoles.Operator)]
    public async Task Operators_and_viewers_see_the_list_read_only_and_their_posts_are_refused(string role)
    {
        using var admin = await Portal.CreateAdminClientAsync();
        var id = await admin.CreateAccountAsync("fastly", ProviderKind.Fastly);
        using var client = await Portal.CreateSignedInClientAsync(role);
        var token = await client.AntiforgeryTokenAsync();

        var list = await client.GetPageAsync("/providers");
        using var create = await client.PostAsync("/providers/new",
            [new("__RequestVerificationToken", token), new("_handler", "save-account"), .. ProviderAccountForms.FormFields("sneaky", ProviderKind.Fastly, "https://x.test", ProviderAccountForms.SampleCredentials(ProviderKind.Fastly))]);
        using var toggle = await client.PostAsync($"/providers/{id}", [new("__RequestVerificationToken", token), new("_handler", "toggle-enabled")]);
        using var delete = await client.PostAsync($"/providers/{id}?delete=confirm", [new("__RequestVerificationToken", token), new("_handler", "delete-account")]);
        using var editPage = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/providers/{id}") { Headers = { { "Accept", "text/html" } } });
        using var fragment = await client.Http.GetAsync("/ui/providers/credential-fields?Input.Kind=Fastly");

        Assert.Equal("fastly", list.QuerySelector("[data-testid=providers-table] tbody td")!.TextContent.Trim());
        Assert.Empty(list.QuerySelectorAll("a[href^='/providers/']"));
        Assert.DoesNotContain("Add provider account", list.Body!.TextContent);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, toggle.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, editPage.StatusCode);
        Assert.Contains("/account/access-denied", editPage.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, fragment.StatusCode);
        var after = await ListAsync();
        Assert.Equal(["fastly"], after.Select(a => a.Name));
        Assert.True(after[0].IsEnabled);
    }

    [Fact]
    public async Task An_unknown_account_id_is_not_found()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        using var response = await admin.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/providers/{Guid.NewGuid()}") { Headers = { { "Accept", "text/html" } } });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Page not found", await response.Content.ReadAsStringAsync());
    }

    private async Task<IReadOnlyList<ProviderAccountSummary>> ListAsync()
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().ListAsync(CancellationToken.None);
    }

    /// <summary>Every value of every row the queries return, read from the database file without the application's mapping.</summary>
    private async Task<List<string>> ReadAllTextAsync(params string[] queries)
    {
        var values = new List<string>();
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Portal.DataFolder, "portal.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        foreach (var sql in queries)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    values.Add(reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "");
                }
            }
        }
        return values;
    }
}
