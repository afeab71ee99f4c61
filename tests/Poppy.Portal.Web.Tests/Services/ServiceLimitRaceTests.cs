using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Tests.Api;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>
/// A project's service limit holds under concurrent creates on both databases: the count and the insert share one
/// transaction that holds the project's lock (before, 60 simultaneous posts against a limit of 5 got 6 to 8 in).
/// </summary>
public sealed class ServiceLimitRaceTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private const int Limit = 5;
    private const int Requests = 60;

    [Theory]
    [InlineData("Sqlite")]
    [InlineData("PostgreSQL")]
    public async Task Sixty_simultaneous_creates_never_exceed_the_limit(string database)
    {
        var connectionString = database == "PostgreSQL" ? await postgres.CreateDatabaseAsync("limit") : null;
        await using var portal = new PortalFactory(null, connectionString);
        await portal.SeedFlavorAsync(ApiFixture.Flavor);
        await portal.SetServiceLimitAsync(Limit);
        using var admin = await portal.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, PortalFactory.FirstProject);

        using var start = new SemaphoreSlim(0);
        var posts = Enumerable.Range(0, Requests).Select(async _ =>
        {
            await start.WaitAsync();
            using var response = await admin.PostAsJsonAsync("/v1.0/services", ApiFixture.NewService());
            return response.StatusCode;
        }).ToList();
        start.Release(Requests);
        var answers = await Task.WhenAll(posts);

        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        var stored = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<CdnService>().CountAsync();
        Assert.Equal(Limit, answers.Count(a => a == HttpStatusCode.Accepted));
        Assert.Equal(Requests - Limit, answers.Count(a => a == HttpStatusCode.Forbidden));
        Assert.Equal(Limit, stored);
    }
}
