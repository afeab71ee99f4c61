using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using Poppy.Portal.Core.Features.Audit;

namespace Poppy.Portal.Web.Features.Audit;

/// <summary>
/// The audit list's filters and page as they stand in its URL (<c>/audit?project=…&amp;actor=…&amp;older=…</c>), so a
/// filtered view is a link that can be bookmarked or shared, and Back returns to the previous filter. Values stay strings
/// until <see cref="ToFilter"/>: a hand-edited link gets a message rather than an error page.
/// </summary>
public sealed record AuditListQuery
{
    public const string Path = "/audit";

    public string? Project { get; init; }
    public string? EntityType { get; init; }
    public string? EntityId { get; init; }
    public string? Action { get; init; }
    public string? Actor { get; init; }
    public string? Text { get; init; }

    /// <summary>First UTC day shown, <c>yyyy-MM-dd</c>.</summary>
    public string? From { get; init; }

    /// <summary>Last UTC day shown (inclusive), <c>yyyy-MM-dd</c>.</summary>
    public string? To { get; init; }

    public long? Older { get; init; }
    public long? Newer { get; init; }

    public bool IsFiltered => FilterValues().Count > 0;

    public static AuditListQuery Parse(string uri)
    {
        var query = QueryHelpers.ParseQuery(new Uri(uri, UriKind.Absolute).Query);
        string? Get(string key) => query.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value.ToString()) ? value.ToString().Trim() : null;
        long? Cursor(string key) => long.TryParse(Get(key), NumberStyles.None, CultureInfo.InvariantCulture, out var cursor) ? cursor : null;
        return new AuditListQuery
        {
            Project = Get("project"), EntityType = Get("type"), EntityId = Get("entity"), Action = Get("action"),
            Actor = Get("actor"), Text = Get("q"), From = Get("from"), To = Get("to"), Older = Cursor("older"), Newer = Cursor("newer"),
        };
    }

    /// <summary>The link to this view: filters first, then at most one cursor.</summary>
    public string ToUrl()
    {
        var values = FilterValues();
        if (Older is { } older)
        {
            values["older"] = older.ToString(CultureInfo.InvariantCulture);
        }
        else if (Newer is { } newer)
        {
            values["newer"] = newer.ToString(CultureInfo.InvariantCulture);
        }
        return QueryHelpers.AddQueryString(Path, values);
    }

    /// <summary>The same filters from the first (newest) page.</summary>
    public AuditListQuery FirstPage() => this with { Older = null, Newer = null };

    /// <summary>What <see cref="AuditQuery"/> is asked, or null with <paramref name="problems"/> when a value cannot be read.</summary>
    public AuditFilter? ToFilter(List<string> problems)
    {
        Guid? projectId = null;
        if (Project is not null)
        {
            if (Guid.TryParse(Project, out var id))
            {
                projectId = id;
            }
            else
            {
                problems.Add("Project: choose one from the list.");
            }
        }
        var from = ParseDay(From, "From", problems);
        var to = ParseDay(To, "To", problems);
        // A filter we cannot read must not widen the list to everything.
        return problems.Count > 0 ? null : new AuditFilter
        {
            ProjectId = projectId,
            EntityType = EntityType,
            EntityId = EntityId,
            Action = Action,
            Actor = Actor,
            Text = Text,
            From = from,
            Until = to?.AddDays(1),
            OlderThan = Older,
            NewerThan = Older is null ? Newer : null,
        };
    }

    public static DateOnly? Day(string? value) =>
        DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;

    public static string? DayText(DateOnly? day) => day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTimeOffset? ParseDay(string? value, string label, List<string> problems)
    {
        if (value is null)
        {
            return null;
        }
        if (Day(value) is { } day)
        {
            return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        }
        problems.Add($"{label}: write the day as YYYY-MM-DD.");
        return null;
    }

    private Dictionary<string, string?> FilterValues()
    {
        var values = new Dictionary<string, string?>
        {
            ["project"] = Project, ["type"] = EntityType, ["entity"] = EntityId, ["action"] = Action,
            ["actor"] = Actor, ["q"] = Text, ["from"] = From, ["to"] = To,
        };
        return values.Where(v => !string.IsNullOrWhiteSpace(v.Value)).ToDictionary(v => v.Key, v => v.Value?.Trim());
    }
}
