using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using Poppy.Portal.Core.Features.Audit;

namespace Poppy.Portal.Web.Features.Audit;

/// <summary>How the audit pages write times, projects and links, the same on the list and the detail page.</summary>
public static class AuditFormat
{
    /// <summary>UTC, ISO 8601, to the second: sortable and unambiguous across time zones.</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static string Project(AuditEntrySummary entry) => entry switch
    {
        { ProjectId: null } => "— (global)",
        { ProjectName: { } name } => name,
        _ => entry.ProjectId.Value.ToString(),
    };

    /// <summary>The list filtered to every change of the entry's entity.</summary>
    public static string EntityHistoryUrl(AuditEntrySummary entry) =>
        QueryHelpers.AddQueryString("/audit", new Dictionary<string, string?> { ["type"] = entry.EntityType, ["entity"] = entry.EntityId });
}
