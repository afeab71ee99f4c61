using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Features.Audit;

namespace Poppy.Portal.Web.Tests.Components.Audit;

/// <summary>The audit list (filters in the URL, keyset paging, filters collapsed for phones) and the entry's diff.</summary>
public sealed class AuditPagesTests : PortalComponentTest
{
    private static readonly DateTimeOffset Jan1 = new(2020, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    private async Task<IRenderedComponent<TPage>> RenderAtAsync<TPage>(string url, Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : IComponent
    {
        Navigation.NavigateTo(url);
        return this.RenderWithProviders(await WorkingAsync(), parameters).Page;
    }

    private static List<string> Summaries(IRenderedComponent<AuditPage> page) =>
        page.FindAll("[data-testid=audit-table] tbody tr").Select(r => r.QuerySelectorAll("td")[5].TextContent.Trim()).ToList();

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
    public async Task Each_filter_in_the_url_narrows_the_list_and_the_form_shows_it(string query, string[] expected)
    {
        var beta = await Portal.CreateProjectAsync("beta");
        await SeedThreeEntriesAsync(beta);
        query = query.Replace("{beta}", beta.ToString(), StringComparison.Ordinal);

        var page = await RenderAtAsync<AuditPage>("/audit?" + query);

        Assert.Equal(expected, Summaries(page));
        Assert.Equal(query.Split('&').Length, int.Parse(page.Find("[data-testid=active-filters]").TextContent.Split(' ')[0]));
    }

    [Fact]
    public async Task Applying_the_form_writes_the_filters_into_the_url_and_the_list_follows()
    {
        await SeedThreeEntriesAsync(await Portal.CreateProjectAsync("beta"));
        var page = await RenderAtAsync<AuditPage>("/audit?type=service");
        Assert.Equal("1 active", page.Find("[data-testid=active-filters]").TextContent.Trim());

        page.Find("input[data-testid=filter-actor], [data-testid=filter-actor] input").Change("ann");
        await page.Find("[data-testid=audit-filter]").SubmitAsync();

        var uri = new Uri(Navigation.Uri);
        Assert.Equal("/audit", uri.AbsolutePath);
        Assert.Equal(new AuditListQuery { EntityType = "service", Actor = "ann" }, AuditListQuery.Parse(Navigation.Uri));
        page.WaitForAssertion(() => Assert.Equal(["shop-create"], Summaries(page)));
        Assert.Equal("ann", page.Find("input[data-testid=filter-actor], [data-testid=filter-actor] input").GetAttribute("value"));
        Assert.Equal("2 active", page.Find("[data-testid=active-filters]").TextContent.Trim());
    }

    [Fact]
    public async Task The_url_round_trips_through_the_query_and_a_cursor_is_dropped_when_filters_change()
    {
        var query = AuditListQuery.Parse("http://portal/audit?project=p&type=service&entity=e&action=a&actor=ann&q=t&from=2020-01-01&to=2020-01-02&older=42");

        Assert.Equal("/audit?project=p&type=service&entity=e&action=a&actor=ann&q=t&from=2020-01-01&to=2020-01-02&older=42", query.ToUrl());
        Assert.Equal(query, AuditListQuery.Parse("http://portal" + query.ToUrl()));
        Assert.Equal("/audit?type=service&newer=7", (new AuditListQuery { EntityType = "service" } with { Newer = 7 }).ToUrl());
        Assert.Null(query.FirstPage().Older);
        await Task.CompletedTask;
    }

    [Theory]
    [InlineData("from=yesterday", "From: write the day as YYYY-MM-DD.")]
    [InlineData("project=not-a-guid", "Project: choose one from the list.")]
    public async Task A_filter_that_cannot_be_read_says_so_and_lists_nothing(string query, string message)
    {
        await SeedThreeEntriesAsync(await Portal.CreateProjectAsync("beta"));

        var page = await RenderAtAsync<AuditPage>("/audit?" + query);

        Assert.Contains(message, page.Find("[data-testid=filter-errors]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=audit-table] tbody tr"));
    }

    [Fact]
    public async Task Older_and_newer_page_through_fifty_at_a_time_and_keep_the_filter()
    {
        var alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        await SeedAsync(Enumerable.Range(0, 60).Select(i => Entry($"n{i:00}", alpha, AuditEntityTypes.Service, Jan1.AddMinutes(i))));

        var first = await RenderAtAsync<AuditPage>("/audit?type=service");
        Assert.Equal(AuditQuery.PageSize, Summaries(first).Count);
        Assert.Equal("n59", Summaries(first)[0]);
        Assert.Empty(first.FindAll("[data-testid=newer]"));
        var older = first.Find("[data-testid=older]").GetAttribute("href")!;
        Assert.Contains("type=service", older);

        Navigation.NavigateTo(older);

        first.WaitForAssertion(() => Assert.Equal(Enumerable.Range(0, 10).Reverse().Select(i => $"n{i:00}"), Summaries(first)));
        Assert.Empty(first.FindAll("[data-testid=older]"));
        var newer = first.Find("[data-testid=newer]").GetAttribute("href")!;
        Assert.Contains("type=service", newer);
        Navigation.NavigateTo(newer);
        first.WaitForAssertion(() => Assert.Equal("n59", Summaries(first)[0]));
    }

    [Fact]
    public async Task The_filters_start_collapsed_so_a_phone_sees_results_first()
    {
        await SeedThreeEntriesAsync(await Portal.CreateProjectAsync("beta"));

        var page = await RenderAtAsync<AuditPage>("/audit");

        // bUnit reports no viewport (as a phone before its size is known): the panel stays shut, the rows are there.
        Assert.DoesNotContain("mud-panel-expanded", page.Find("[data-testid=audit-filters-panel]").ClassName ?? "");
        Assert.Equal(4, Summaries(page).Count);
        Assert.Contains("Filters", page.Find("[data-testid=audit-filters]").TextContent);
    }

    [Fact]
    public async Task An_operator_sees_only_their_projects_entries_and_the_empty_state_otherwise()
    {
        var beta = await Portal.CreateProjectAsync("beta");
        await SeedThreeEntriesAsync(beta);
        await SignInAsNewUserAsync(PortalRoles.Operator, "beta");

        var page = await RenderAtAsync<AuditPage>("/audit");
        Assert.Equal(["Created project beta", "blog-update"], Summaries(page));

        Navigation.NavigateTo("/audit?q=nothing-like-this");
        page.WaitForAssertion(() => Assert.Contains("No entries match", page.Find("[data-testid=empty-state]").TextContent));
    }

    [Fact]
    public async Task The_entry_page_highlights_changed_added_and_removed_fields_and_lists_the_rest_as_unchanged()
    {
        var alpha = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        var entry = Entry("edited", alpha, AuditEntityTypes.Service, Jan1);
        entry.Before = """{"name":"shop","origin":"a.example","ttl":60}""";
        entry.After = """{"name":"shop","origin":"b.example","tags":["x"]}""";
        await SeedAsync([entry]);

        var page = await RenderAtAsync<AuditEntryPage>($"/audit/{entry.Id}", p => p.Add(x => x.Id, entry.Id));

        var lines = page.FindAll("[data-testid=audit-diff] tbody tr").Select(r => (
            r.GetAttribute("data-path"), r.GetAttribute("data-change"), r.ClassName,
            r.QuerySelector("code.audit-before")?.TextContent, r.QuerySelector("code.audit-after")?.TextContent)).ToList();
        Assert.Equal(
        [
            ("origin", "changed", "audit-changed", "\"a.example\"", "\"b.example\""),
            ("ttl", "removed", "audit-removed", "60", null),
            ("tags[0]", "added", "audit-added", null, "\"x\""),
        ], lines.OrderBy(l => l.Item2 switch { "changed" => 0, "removed" => 1, _ => 2 }).ToList());
        Assert.Equal(["name"], page.FindAll("[data-testid=audit-unchanged] tr[data-change=unchanged]").Select(r => r.GetAttribute("data-path")));
        Assert.Equal("seed@x.test", page.Find("[data-testid=audit-actor]").TextContent);
    }

    [Fact]
    public async Task An_entry_without_snapshots_says_so()
    {
        var entry = Entry("changed their password", null, AuditEntityTypes.User, Jan1);
        await SeedAsync([entry]);

        var page = await RenderAtAsync<AuditEntryPage>($"/audit/{entry.Id}", p => p.Add(x => x.Id, entry.Id));

        Assert.NotNull(page.Find("[data-testid=audit-no-snapshot]"));
    }

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
        // What setting up left behind (the first project, its admin, beta) must not be in the way of the filters above.
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        db.RemoveRange(db.Set<AuditEntry>().Where(e => e.Summary.StartsWith("Created user")));
        db.RemoveRange(db.Set<AuditEntry>().Where(e => e.Summary == "Created project alpha"));
        await db.SaveChangesAsync();
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
