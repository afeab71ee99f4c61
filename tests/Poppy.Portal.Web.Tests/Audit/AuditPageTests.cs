using System.Net;
using AngleSharp.Html.Dom;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Audit;

/// <summary>The /audit list and /audit/{id} detail: filters in the query string, paging, and who sees what.</summary>
public sealed class AuditPageTests : PortalTest
{
    private static readonly DateTimeOffset Jan1 = new(2020, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string[]> Filters() => new()
    {
        { "type=service", ["blog-update", "shop-create"] },
        { "project={beta}", ["Created project beta", "blog-update"] },
        { "entity=s-blog", ["blog-update"] },
        { "action=set-role", ["user-role"] },
        { "actor=ANN%40", ["user-role", "shop-create"] },
        { "q=Blog", ["blog-update"] },
        { "from=2020-01-02&to=2020-01-02", ["blog-update"] },
        { "to=2020-01-01", ["shop-create"] },
        { "type=service&actor=ann", ["shop-create"] },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Each_filter_in_the_query_string_narrows_the_list_and_the_form_shows_it(string query, string[] expected)
    {
        var beta = await Portal.CreateProjectAsync("beta");
        await SeedThreeEntriesAsync(beta);
        using var admin = await Portal.CreateAdminClientAsync();

        var page = await admin.GetPageAsync("/audit?" + query.Replace("{beta}", beta.ToString()));

        Assert.Equal(expected, AuditPages.Rows(page).Select(r => r.Summary));
        var form = page.QuerySelector<IHtmlFormElement>("[data-testid=audit-filter]")!;
        foreach (var (name, value) in query.Split('&').Select(p => p.Split('=')).Select(p => (p[0], Uri.UnescapeDataString(p[1]))))
        {
            var field = form.Elements[name];
            var shown = field is IHtmlSelectElement select ? select.Value : (field as IHtmlInputElement)?.Value;
            Assert.Equal(value.Replace("{beta}", beta.ToString()), shown);
        }
    }

    [Fact]
    public async Task Without_filters_every_entry_is_listed_newest_first_and_a_miss_shows_the_empty_state()
    {
        var beta = await Portal.CreateProjectAsync("beta");
        await SeedThreeEntriesAsync(beta);
        using var admin = await Portal.CreateAdminClientAsync();

        var all = AuditPages.Rows(await admin.GetPageAsync("/audit"));
        var none = await admin.GetPageAsync("/audit?type=service&action=set-role");

        // The first start's entries (project alpha, the admin, project beta) are newer than the seeded 2020 ones.
        Assert.Equal(["Created project beta", "Created user admin@test.local (Admin) in alpha", "Created project alpha", "user-role", "blog-update", "shop-create"],
            all.Select(r => r.Summary));
        Assert.Equal("2020-01-03T12:00:00Z", all[3].Time);
        Assert.Empty(AuditPages.Rows(none));
        Assert.Contains("No entries match", none.Body!.TextContent);
    }

    [Theory]
    [InlineData("from=yesterday", "From: write the day as YYYY-MM-DD.")]
    [InlineData("to=2020-13-01", "To: write the day as YYYY-MM-DD.")]
    [InlineData("project=not-a-guid", "Project: choose one from the list.")]
    public async Task A_filter_that_cannot_be_read_says_so_and_lists_nothing(string query, string message)
    {
        using var admin = await Portal.CreateAdminClientAsync();

        var page = await admin.GetPageAsync("/audit?" + query);

        Assert.Contains(message, page.QuerySelector(".alert-danger")?.TextContent);
        Assert.Empty(AuditPages.Rows(page));
    }

    [Fact]
    public async Task Older_and_newer_links_page_through_fifty_at_a_time_and_keep_the_filter()
    {
        var alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        await SeedAsync(Enumerable.Range(0, 60).Select(i => Entry($"service {i:00}", alpha, AuditEntityTypes.Service, Jan1.AddMinutes(i))));
        using var admin = await Portal.CreateAdminClientAsync();

        var first = await admin.GetPageAsync("/audit?type=service");
        var olderHref = Link(first, "next")!;
        var second = await admin.GetPageAsync(olderHref);
        var newerHref = Link(second, "prev")!;
        var backToFirst = await admin.GetPageAsync(newerHref);

        Assert.Equal(Enumerable.Range(10, 50).Reverse().Select(i => $"service {i:00}"), AuditPages.Rows(first).Select(r => r.Summary));
        Assert.Null(Link(first, "prev"));
        Assert.Contains("type=service", olderHref);
        Assert.Equal(Enumerable.Range(0, 10).Reverse().Select(i => $"service {i:00}"), AuditPages.Rows(second).Select(r => r.Summary));
        Assert.Null(Link(second, "next"));
        Assert.Contains("type=service", newerHref);
        Assert.Equal(AuditPages.Rows(first), AuditPages.Rows(backToFirst));
    }

    [Fact]
    public async Task An_operator_sees_only_their_projects_entries_and_gets_404_for_the_others()
    {
        using var admin = await Portal.CreateAdminClientAsync();
        using var created = await admin.SubmitFormAsync("/admin/projects", new Dictionary<string, string> { ["Input.Name"] = "beta" }, "create-project");
        var password = await Portal.CreateUserAsync("op@test.local", PortalRoles.Operator, PortalFactory.FirstProject);
        using var op = Portal.CreatePortalClient();
        await op.SignInOrFailAsync("op@test.local", password);
        var everything = AuditPages.Rows(await admin.GetPageAsync("/audit"));
        var alphaEntry = everything.Single(r => r.Summary == "Created project alpha");
        var betaEntry = everything.Single(r => r.Summary == "Created project beta");
        var userEntry = everything.First(r => r.EntityType == AuditEntityTypes.User);

        var seen = AuditPages.Rows(await op.GetPageAsync("/audit"));
        var askingForBeta = await op.GetPageAsync($"/audit?project={await Portal.ProjectIdAsync("beta")}");
        var askingForUsers = await op.GetPageAsync("/audit?type=user");

        Assert.Equal([alphaEntry.Id], seen.Select(r => r.Id));
        Assert.Empty(AuditPages.Rows(askingForBeta));
        Assert.Empty(AuditPages.Rows(askingForUsers));
        Assert.DoesNotContain(askingForBeta.QuerySelectorAll("#audit-project option"), o => o.TextContent == "beta");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(op, $"/audit/{alphaEntry.Id}"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(op, $"/audit/{betaEntry.Id}"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(op, $"/audit/{userEntry.Id}"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(admin, $"/audit/{betaEntry.Id}"));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(admin, "/audit/999999"));
    }

    [Fact]
    public async Task A_viewer_without_entries_in_reach_sees_the_empty_state()
    {
        var beta = await Portal.CreateProjectAsync("beta");
        var password = await Portal.CreateUserAsync("viewer@test.local", PortalRoles.Viewer, "beta");
        using var viewer = Portal.CreatePortalClient();
        await viewer.SignInOrFailAsync("viewer@test.local", password);
        await SeedAsync([Entry("alpha only", await Portal.ProjectIdAsync(PortalFactory.FirstProject), AuditEntityTypes.Service, Jan1)]);

        var page = await viewer.GetPageAsync("/audit");

        Assert.Equal(["Created project beta"], AuditPages.Rows(page).Select(r => r.Summary));
        Assert.Equal(beta, (await Portal.StoredEntriesAsync()).Single(e => e.Summary == "Created project beta").ProjectId);
        var filtered = await viewer.GetPageAsync("/audit?q=nothing-like-this");
        Assert.Contains("No entries match", filtered.Body!.TextContent);
    }

    private static async Task<HttpStatusCode> StatusAsync(PortalClient client, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await client.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static string? Link(IHtmlDocument page, string rel) =>
        page.QuerySelector($"[data-testid=audit-paging] a[rel={rel}]")?.GetAttribute("href");

    /// <summary>One entry each in alpha, in beta and global, on 1, 2 and 3 January 2020.</summary>
    private async Task SeedThreeEntriesAsync(Guid beta)
    {
        var alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        await SeedAsync(
        [
            Entry("shop-create", alpha, AuditEntityTypes.Service, Jan1, "ann@x.test", "s-shop", "create"),
            Entry("blog-update", beta, AuditEntityTypes.Service, Jan1.AddDays(1), "bob@x.test", "s-blog", "update"),
            Entry("user-role", null, AuditEntityTypes.User, Jan1.AddDays(2), "Ann@X.test", "u-1", "set-role"),
        ]);
    }

    private async Task SeedAsync(IEnumerable<AuditEntry> entries)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        db.AddRange(entries);
        await db.SaveChangesAsync();
    }

    private static AuditEntry Entry(string summary, Guid? projectId, string entityType, DateTimeOffset at,
        string actor = "seed@x.test", string? entityId = null, string action = "update") => new()
    {
        At = at, ActorName = actor, ProjectId = projectId, EntityType = entityType, EntityId = entityId ?? summary,
        Action = action, Summary = summary,
    };
}
