using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Benchmarks;

/// <summary>A service's probe settings as they apply; <see cref="IsDefault"/> when the service has none of its own.</summary>
public sealed record ProbeSettings(TimeSpan Interval, string ProbePath, bool Enabled, bool IsDefault = false);

/// <summary>Reads and changes a service's probe interval (at least 2 s), probe path and whether it is probed at all.</summary>
public sealed class ProbeSettingsService(PortalDbContext db, AccessPolicy access, IOptions<BenchmarkOptions> options, TimeProvider clock)
{
    /// <summary>The settings in force, or null when the project has no such (live) service.</summary>
    public async Task<ProbeSettings?> GetAsync(Guid projectId, Guid serviceId, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Read, cancellationToken);
        if (!await ExistsAsync(projectId, serviceId, cancellationToken))
        {
            return null;
        }
        var own = await db.Set<BenchmarkSettings>().AsNoTracking().FirstOrDefaultAsync(s => s.ServiceId == serviceId, cancellationToken);
        return own is null
            ? new ProbeSettings(options.Value.DefaultInterval, options.Value.DefaultProbePath, true, IsDefault: true)
            : new ProbeSettings(TimeSpan.FromSeconds(own.IntervalSeconds), own.ProbePath, own.Enabled);
    }

    public async Task<ChangeResult> SetAsync(Guid projectId, Guid serviceId, ProbeSettings settings, CancellationToken cancellationToken)
    {
        await access.RequireProjectAsync(projectId, ProjectRight.Change, cancellationToken);
        if (!await ExistsAsync(projectId, serviceId, cancellationToken))
        {
            return ChangeResult.NotFound;
        }
        var errors = new List<ValidationError>();
        if (settings.Interval < BenchmarkOptions.MinimumInterval || settings.Interval > TimeSpan.FromDays(1) || settings.Interval.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            errors.Add(new("interval", $"Whole seconds from {BenchmarkOptions.MinimumInterval.TotalSeconds:0} to 86400."));
        }
        if (!settings.ProbePath.StartsWith('/') || settings.ProbePath.Length > 1024 || settings.ProbePath.Any(char.IsControl) || settings.ProbePath.Contains(' '))
        {
            errors.Add(new("probe_path", "A path starting with '/', without spaces or control characters, up to 1024 characters."));
        }
        if (errors.Count > 0)
        {
            return ChangeResult.Invalid(errors);
        }
        var own = await db.Set<BenchmarkSettings>().FirstOrDefaultAsync(s => s.ServiceId == serviceId, cancellationToken);
        if (own is null)
        {
            own = new BenchmarkSettings { ServiceId = serviceId };
            db.Add(own);
        }
        own.IntervalSeconds = (int)settings.Interval.TotalSeconds;
        own.ProbePath = settings.ProbePath;
        own.Enabled = settings.Enabled;
        own.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return ChangeResult.Ok;
    }

    private Task<bool> ExistsAsync(Guid projectId, Guid serviceId, CancellationToken cancellationToken) =>
        db.Set<CdnService>().AnyAsync(s => s.Id == serviceId && s.ProjectId == projectId && s.ArchivedAt == null, cancellationToken);
}
