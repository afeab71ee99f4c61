using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Configuration;
using Poppy.Portal.Core.Data;
using Quartz;

namespace Poppy.Portal.Core.Jobs;

public static class PortalJobs
{
    /// <summary>The scheduler's name; every portal process on one database shares it, which is what makes them one cluster.</summary>
    public const string SchedulerName = "Poppy.Portal";

    /// <summary>Quartz's tables in the portal database, created by the QuartzTables migration.</summary>
    public const string TablePrefix = "qrtz_";

    /// <summary>
    /// Registers Quartz with its job store in the portal's own database (the one <see cref="PortalDbContext"/> uses), and
    /// the hosted service that runs it unless <c>Portal:Jobs:Enabled</c> is false. <see cref="ISchedulerFactory"/> is
    /// registered either way, so code can always schedule jobs; they run in whichever process has jobs enabled.
    /// The tables must exist before the scheduler starts: the web host migrates before it runs.
    /// </summary>
    public static IServiceCollection AddPortalJobs(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        var section = configuration.GetSection(JobOptions.Section);
        services.AddOptions<JobOptions>().Bind(section).ValidateSettings(JobOptions.Section, JobOptions.Check);
        var jobs = JobOptions.Read(configuration);
        // Quartz's thread pool is sized here, before the container exists: the same check, at once.
        var check = new SettingChecks(JobOptions.Section);
        JobOptions.Check(jobs, check);
        if (check.Failures.Count > 0)
        {
            throw new OptionsValidationException(JobOptions.Section, typeof(JobOptions), check.Failures);
        }
        var database = DataServiceCollectionExtensions.ResolveDatabase(configuration, contentRoot);

        // No UseTimeProvider call: a scheduler not handed a clock takes the TimeProvider registered in the container
        // (AddPortalCore registers one; tests replace it), which is the one the rest of the portal uses.
        services.AddQuartz(quartz =>
        {
            quartz.ConfigureScheduler(scheduler =>
            {
                scheduler.InstanceName = SchedulerName;
                // "AUTO": each node makes up its own id; only a clustered store uses it (SQLite stays NON_CLUSTERED).
                scheduler.GenerateInstanceId = true;
                // Up to 32 due triggers are taken from the store per transaction rather than one (never more than there
                // are workers to run them), so a burst of changes is not picked up one store round trip at a time.
                scheduler.MaxBatchSize = Math.Min(32, jobs.MaxConcurrency);
            });
            quartz.UseDefaultThreadPool(jobs.MaxConcurrency);
            quartz.UsePersistentStore(store =>
            {
                store.ConfigureStore(options =>
                {
                    options.TablePrefix = TablePrefix;
                    // Job data as name/value strings: readable in the database and free of .NET type names.
                    options.StoreJobDataAsStrings = true;
                    // Refuse to start on a database whose qrtz_ tables do not match (a missing migration), rather than
                    // failing later inside a job; the migration, not Quartz, creates them.
                    options.SchemaProvisioning = SchemaProvisioning.Validate;
                    // A trigger waiting in a backlog (a burst of changes) is not a misfire worth handling: every trigger
                    // of ours fires "now" anyway, and handling thousands of misfires at once stalls the store.
                    options.MisfireThreshold = TimeSpan.FromMinutes(10);
                });
                store.UseSystemTextJsonSerializer();
                switch (database.Provider)
                {
                    case DatabaseProvider.Sqlite:
                        store.UseSqlite(SqliteConnectionTuning.QuartzFactory.Instance, SqliteForQuartz(database.ConnectionString));
                        // No UseLockHandler: with no handler set, the store picks its internal SqliteLockHandler on
                        // SQLite (one in-process gate for all of Quartz's work, taken before a connection is opened),
                        // which is what keeps its own transactions from colliding with "database is locked". Quartz
                        // also forces serializable transactions on SQLite and retries SQLite BUSY/LOCKED as transient.
                        break;
                    case DatabaseProvider.PostgreSQL:
                        store.UsePostgres(database.ConnectionString);
                        // Several portal processes share the work; row locks in qrtz_locks and check-ins in
                        // qrtz_scheduler_state let a live node take over the jobs of one that died.
                        store.UseClustering();
                        break;
                    default:
                        throw new InvalidOperationException($"Unknown Database:Provider '{database.Provider}'.");
                }
            });
        });

        if (jobs.Enabled)
        {
            services.AddQuartzHostedService(options =>
            {
                options.WaitForJobsToComplete = true;
                // Start after the host has started, i.e. after Program.cs migrated the database.
                options.AwaitApplicationStarted = true;
            });
        }
        return services;
    }

    /// <summary>
    /// EF (in WAL mode) and Quartz write to the same SQLite file. A connection that finds the file locked waits for it
    /// (inside SQLite, see <see cref="SqliteConnectionTuning"/>; after that Microsoft.Data.Sqlite retries a busy database
    /// until the command timeout) instead of failing at once.
    /// </summary>
    private static string SqliteForQuartz(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        builder.DefaultTimeout = Math.Max(builder.DefaultTimeout, BusyTimeoutSeconds);
        return builder.ToString();
    }

    private const int BusyTimeoutSeconds = 30;
}
