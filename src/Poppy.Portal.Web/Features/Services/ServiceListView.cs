using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>
/// The list's view as the query string holds it (<c>?q=&amp;status=&amp;flavor=&amp;sort=&amp;desc=&amp;page=</c>), so every
/// view is a link. Unknown or malformed values fall back to the defaults instead of failing the page.
/// </summary>
public sealed record ServiceListView(string? Text, ServiceStatus? Status, string? FlavorId, ServiceSort Sort, bool Descending, int Page)
{
    public const string Path = "/services";
    public const int PageSize = 25;

    public static readonly IReadOnlyList<(ServiceSort Sort, string Name)> SortNames =
    [
        (ServiceSort.Created, "created"), (ServiceSort.Name, "name"), (ServiceSort.Status, "status"),
        (ServiceSort.Flavor, "flavor"), (ServiceSort.Updated, "updated"),
    ];

    /// <summary>Newest first, like the API's listing order reversed.</summary>
    public static ServiceListView Default { get; } = new(null, null, null, ServiceSort.Created, true, 1);

    public bool IsFiltered => !string.IsNullOrWhiteSpace(Text) || Status is not null || !string.IsNullOrEmpty(FlavorId);

    public static ServiceListView Parse(string? text, string? status, string? flavor, string? sort, string? desc, string? page)
    {
        var sortBy = SortNames.FirstOrDefault(s => s.Name == sort);
        var known = sortBy.Name is not null;
        return new ServiceListView(
            string.IsNullOrWhiteSpace(text) ? null : text.Trim(),
            ServiceStatuses.Parse(status),
            string.IsNullOrWhiteSpace(flavor) ? null : flavor.Trim(),
            known ? sortBy.Sort : ServiceSort.Created,
            // Without a known sort the default (newest first) applies; with one, ascending unless desc=true.
            known ? desc is "true" or "1" : desc is not ("false" or "0"),
            int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0 ? number : 1);
    }

    public ServiceQuery ToQuery() => new(Text, Status, FlavorId, Sort, Descending, Page, PageSize);

    /// <summary>The link for a column header: the same filters, sorted by <paramref name="sort"/>, reversed if it already is.</summary>
    public string SortLink(ServiceSort sort) => (this with { Sort = sort, Descending = Sort == sort && !Descending, Page = 1 }).Url();

    public string PageLink(int page) => (this with { Page = page }).Url();

    public string SortName => SortNames.First(s => s.Sort == Sort).Name;

    public string Url()
    {
        var query = new Dictionary<string, string?>();
        if (Text is not null)
        {
            query["q"] = Text;
        }
        if (Status is { } status)
        {
            query["status"] = status.WireName();
        }
        if (FlavorId is not null)
        {
            query["flavor"] = FlavorId;
        }
        if (Sort != Default.Sort || Descending != Default.Descending)
        {
            query["sort"] = SortName;
            query["desc"] = Descending ? "true" : "false";
        }
        if (Page > 1)
        {
            query["page"] = Page.ToString(CultureInfo.InvariantCulture);
        }
        return QueryHelpers.AddQueryString(Path, query);
    }

    /// <summary>Page numbers to offer: all of them up to 9, otherwise the first, the last and two around the current one (0 = a gap).</summary>
    public static IReadOnlyList<int> PageNumbers(int current, int count)
    {
        if (count <= 9)
        {
            return Enumerable.Range(1, count).ToList();
        }
        var pages = new SortedSet<int> { 1, count };
        for (var p = Math.Max(1, current - 2); p <= Math.Min(count, current + 2); p++)
        {
            pages.Add(p);
        }
        var withGaps = new List<int>();
        foreach (var page in pages)
        {
            if (withGaps.Count > 0 && page - withGaps[^1] > 1)
            {
                withGaps.Add(0);
            }
            withGaps.Add(page);
        }
        return withGaps;
    }
}
