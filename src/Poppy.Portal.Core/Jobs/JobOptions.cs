using Microsoft.Extensions.Configuration;
using Poppy.Portal.Core.Configuration;

namespace Poppy.Portal.Core.Jobs;

/// <summary>The background job scheduler (Quartz). Bound from the <c>Portal:Jobs</c> configuration section.</summary>
public sealed class JobOptions
{
    public const string Section = "Portal:Jobs";

    /// <summary>The options as configured, for registration code that must decide before the container is built.</summary>
    public static JobOptions Read(IConfiguration configuration) => configuration.GetSection(Section).Get<JobOptions>() ?? new JobOptions();

    /// <summary>
    /// Whether this process runs jobs. When off, jobs can still be scheduled into the database; a process with jobs on
    /// runs them. Lets web-only nodes (and tests) stay out of the work.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How many jobs this process runs at the same time.</summary>
    public int MaxConcurrency { get; set; } = 64;

    public static void Check(JobOptions o, SettingChecks check) => check.Between(nameof(MaxConcurrency), o.MaxConcurrency, 1, 1000);
}
