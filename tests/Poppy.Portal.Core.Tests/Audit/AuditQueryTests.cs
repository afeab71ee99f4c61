using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Core.Tests.Audit;

/// <summary>The audit query on both databases the portal runs on: filters, who sees what, and keyset paging.</summary>
public sealed class AuditQueryTests(PostgresServer postgres) : IClassFixture<PostgresServer>, IDisposable
{
    private static readonly DateTimeOffset Day0 = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly Guid Alpha = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000001");
    private static readonly Guid Beta = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000002");
    private const string OperatorId = "operator-in-alpha";
    private const string LonerId = "operator-in-no-project";

    private readonly TempDirectory temp = new("poppy-audit-query");

    public void Dispose() => temp.Dispose();

    public static TheoryData<DatabaseProvider, string, string[]> Filters()
    {
        var data = new TheoryData<DatabaseProvider, string, string[]>();
        foreach (var provider in new[] { DatabaseProvider.Sqlite, DatabaseProvider.PostgreSQL })
        {
            data.Add(provider, "none", ["user-role", "blog-update", "shop-create"]);
            data.Add(provider, "project", ["shop-create"]);
            data.Add(provider, "entity type", ["blog-update", "shop-create"]);
            data.Add(provider, "entity id", ["blog-update"]);
            data.Add(provider, "action", ["user-role"]);
            data.Add(provider, "actor", ["user-role", "shop-create"]);
            data.Add(provider, "text", ["blog-update"]);
            data.Add(provider, "from", ["user-role", "blog-update"]);
            data.Add(provider, "until", ["shop-create"]);
            data.Add(provider, "from and until", ["blog-update"]);
            data.Add(provider, "nothing matches", []);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Each_filter_narrows_the_list(DatabaseProvider provider, string filterName, string[] expected)
    {
        await using var db = await OpenAsync(provider);
        await SeedThreeEntriesAsync(db);
        var filter = filterName switch
        {
            "none" => new AuditFilter(),
            "project" => new AuditFilter { ProjectId = Alpha },
            "entity type" => new AuditFilter { EntityType = AuditEntityTypes.Service },
            "entity id" => new AuditFilter { EntityId = "s-blog" },
            "action" => new AuditFilter { Action = "set-role" },
            "actor" => new AuditFilter { Actor = " ANN@" },
            "text" => new AuditFilter { Text = "blog" },
            "from" => new AuditFilter { From = Day0.AddDays(1) },
            "until" => new AuditFilter { Until = Day0.AddDays(1) },
            "from and until" => new AuditFilter { From = Day0.AddDays(1), Until = Day0.AddDays(2) },
            "nothing matches" => new AuditFilter { EntityType = AuditEntityTypes.Service, Action = "set-role" },
            _ => throw new ArgumentOutOfRangeException(nameof(filterName)),
        };

        var page = await Query(db, Reader(PortalRoles.Admin, "admin")).ListAsync(filter, CancellationToken.None);

        Assert.Equal(expected, page.Entries.Select(e => e.Summary));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSQL)]
    public async Task Members_see_their_projects_entries_and_admins_see_everything(DatabaseProvider provider)
    {
        await using var db = await OpenAsync(provider);
        var ids = await SeedThreeEntriesAsync(db);
        var member = Reader(PortalRoles.Operator, OperatorId);

        var asMember = await Query(db, member).ListAsync(new AuditFilter(), CancellationToken.None);
        var askingForBeta = await Query(db, member).ListAsync(new AuditFilter { ProjectId = Beta }, CancellationToken.None);
        var asLoner = await Query(db, Reader(PortalRoles.Viewer, LonerId)).ListAsync(new AuditFilter(), CancellationToken.None);
        var asAdmin = await Query(db, Reader(PortalRoles.Admin, "admin")).ListAsync(new AuditFilter(), CancellationToken.None);

        Assert.Equal(["shop-create"], asMember.Entries.Select(e => e.Summary));
        Assert.Equal("alpha", asMember.Entries[0].ProjectName);
        Assert.Empty(askingForBeta.Entries);
        Assert.Empty(asLoner.Entries);
        Assert.Equal(3, asAdmin.Entries.Count);
        Assert.Null(asAdmin.Entries.Single(e => e.Summary == "user-role").ProjectName);

        Assert.NotNull(await Query(db, member).GetAsync(ids["shop-create"], CancellationToken.None));
        Assert.Null(await Query(db, member).GetAsync(ids["blog-update"], CancellationToken.None));
        Assert.Null(await Query(db, member).GetAsync(ids["user-role"], CancellationToken.None));
        var global = await Query(db, Reader(PortalRoles.Admin, "admin")).GetAsync(ids["user-role"], CancellationToken.None);
        Assert.Equal("""{"role":"Viewer"}""", global?.Before);
        Assert.Equal("""{"role":"Operator"}""", global?.After);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSQL)]
    public async Task Keyset_pages_walk_older_and_back_newer_without_gaps_or_repeats(DatabaseProvider provider)
    {
        await using var db = await OpenAsync(provider);
        // 120 entries, three per second, so ties in time must be broken by id.
        for (var i = 0; i < 120; i++)
        {
            db.Add(Entry($"entry {i:000}", Alpha, Day0.AddSeconds(i / 3)));
        }
        await db.SaveChangesAsync();
        var admin = Reader(PortalRoles.Admin, "admin");
        var expected = await db.Set<AuditEntry>().OrderByDescending(e => e.Id).Select(e => e.Summary).ToListAsync();

        var first = await Query(db, admin).ListAsync(new AuditFilter(), CancellationToken.None);
        var second = await Query(db, admin).ListAsync(new AuditFilter { OlderThan = first.OlderCursor }, CancellationToken.None);
        var third = await Query(db, admin).ListAsync(new AuditFilter { OlderThan = second.OlderCursor }, CancellationToken.None);
        var backToSecond = await Query(db, admin).ListAsync(new AuditFilter { NewerThan = third.NewerCursor }, CancellationToken.None);
        var backToFirst = await Query(db, admin).ListAsync(new AuditFilter { NewerThan = backToSecond.NewerCursor }, CancellationToken.None);

        Assert.Equal(expected, first.Entries.Concat(second.Entries).Concat(third.Entries).Select(e => e.Summary));
        Assert.Equal([50, 50, 20], new[] { first, second, third }.Select(p => p.Entries.Count));
        Assert.Null(first.NewerCursor);
        Assert.NotNull(second.NewerCursor);
        Assert.Null(third.OlderCursor);
        Assert.Equal(second.Entries.Select(e => e.Id), backToSecond.Entries.Select(e => e.Id));
        Assert.Equal((second.OlderCursor, second.NewerCursor), (backToSecond.OlderCursor, backToSecond.NewerCursor));
        Assert.Equal(first.Entries.Select(e => e.Id), backToFirst.Entries.Select(e => e.Id));
        Assert.Null(backToFirst.NewerCursor);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSQL)]
    public async Task Paging_keeps_the_filter(DatabaseProvider provider)
    {
        await using var db = await OpenAsync(provider);
        for (var i = 0; i < 130; i++)
        {
            db.Add(Entry($"entry {i:000}", i % 2 == 0 ? Alpha : Beta, Day0.AddMinutes(i)));
        }
        await db.SaveChangesAsync();
        var admin = Reader(PortalRoles.Admin, "admin");

        var first = await Query(db, admin).ListAsync(new AuditFilter { ProjectId = Beta }, CancellationToken.None);
        var second = await Query(db, admin).ListAsync(new AuditFilter { ProjectId = Beta, OlderThan = first.OlderCursor }, CancellationToken.None);

        Assert.Equal(65, first.Entries.Count + second.Entries.Count);
        Assert.All(first.Entries.Concat(second.Entries), e => Assert.Equal(Beta, e.ProjectId));
        Assert.Null(second.OlderCursor);
    }

    /// <summary>Alpha and beta, an operator in alpha, and one entry each in alpha, in beta and global (newest last).</summary>
    private static async Task<Dictionary<string, long>> SeedThreeEntriesAsync(PortalDbContext db)
    {
        db.Add(new AuditEntry
        {
            At = Day0, ActorName = "ann@x.test", ProjectId = Alpha, EntityType = AuditEntityTypes.Service, EntityId = "s-shop",
            Action = "create", Summary = "shop-create",
        });
        db.Add(new AuditEntry
        {
            At = Day0.AddDays(1), ActorName = "bob@x.test", ProjectId = Beta, EntityType = AuditEntityTypes.Service, EntityId = "s-blog",
            Action = "update", Summary = "blog-update",
        });
        db.Add(new AuditEntry
        {
            At = Day0.AddDays(2), ActorName = "Ann@X.test", ProjectId = null, EntityType = AuditEntityTypes.User, EntityId = "u-1",
            Action = "set-role", Summary = "user-role", Before = """{"role":"Viewer"}""", After = """{"role":"Operator"}""",
        });
        await db.SaveChangesAsync();
        return await db.Set<AuditEntry>().ToDictionaryAsync(e => e.Summary, e => e.Id);
    }

    private static AuditEntry Entry(string summary, Guid projectId, DateTimeOffset at) => new()
    {
        At = at, ActorName = "system", ProjectId = projectId, EntityType = AuditEntityTypes.Service, EntityId = summary,
        Action = "update", Summary = summary,
    };

    private static Actor Reader(string role, string userId) => Actor.User(userId, $"{userId}@test.local", role);

    private static AuditQuery Query(PortalDbContext db, Actor reader)
    {
        var current = new CurrentActor();
        current.Set(reader);
        return new AuditQuery(db, new AccessPolicy(db, current));
    }

    private async Task<PortalDbContext> OpenAsync(DatabaseProvider provider)
    {
        var connectionString = provider == DatabaseProvider.Sqlite
            ? $"Data Source={temp.File(Guid.NewGuid().ToString("N") + ".db")}"
            : await postgres.CreateDatabaseAsync("audit");
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        DataServiceCollectionExtensions.ConfigureProvider(options, provider, connectionString);
        var db = new PortalDbContext(options.Options);
        await db.Database.MigrateAsync();

        db.Projects.AddRange(
            new Project { Id = Alpha, Name = "alpha", CreatedAt = Day0 },
            new Project { Id = Beta, Name = "beta", CreatedAt = Day0 });
        foreach (var userId in new[] { OperatorId, LonerId })
        {
            db.Users.Add(new PortalUser { Id = userId, UserName = userId, Email = $"{userId}@x.test", CreatedAt = Day0 });
        }
        db.ProjectMemberships.Add(new ProjectMembership { ProjectId = Alpha, UserId = OperatorId, AddedAt = Day0 });
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
        return db;
    }
}
