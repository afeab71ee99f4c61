using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Poppy.Portal.Core.Data;
using Quartz;

namespace Poppy.Portal.Core.Tests.Jobs;

/// <summary>
/// A portal process without the web part: AddPortalCore (which brings the jobs) on a real database, migrated before it
/// starts, as Program.cs does. Several of them on one database are a restarted process or a cluster.
/// </summary>
internal sealed class JobTestHost : IAsyncDisposable
{
    private JobTestHost(IHost host) => Host = host;

    public IHost Host { get; }

    public static string SqliteConnectionString(string file) => $"Data Source={file};Pooling=False";

    public static async Task<JobTestHost> StartAsync(
        DatabaseProvider provider, string connectionString, IDictionary<string, string?>? settings = null, bool start = true, bool migrate = true)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = "Testing",
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = true,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = provider.ToString(),
            ["Database:ConnectionString"] = connectionString,
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Services.AddPortalCore(builder.Configuration, builder.Environment.ContentRootPath);

        var test = new JobTestHost(builder.Build());
        if (migrate)
        {
            using var scope = test.Host.Services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Database.MigrateAsync();
        }
        if (start)
        {
            await test.Host.StartAsync();
        }
        return test;
    }

    public async Task<IScheduler> SchedulerAsync() =>
        await Host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Host.StopAsync();
        }
        finally
        {
            Host.Dispose();
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing the test after <paramref name="within"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan within, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < within, $"Timed out after {within.TotalSeconds:0.#} s waiting until {what}.");
            await Task.Delay(25);
        }
    }
}
