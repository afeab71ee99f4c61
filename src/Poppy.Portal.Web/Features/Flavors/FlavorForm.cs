using Poppy.Portal.Core.Features.Flavors;

namespace Poppy.Portal.Web.Features.Flavors;

/// <summary>The new-flavor form: posted as Input.Id, Input.Providers[i].Provider / .ProviderUrl and Input.UnsupportedSettings.</summary>
public sealed class FlavorForm
{
    /// <summary>More rows than any real flavor needs; caps what a crafted fragment request can make us render.</summary>
    public const int MaxRows = 50;

    public string? Id { get; set; }

    /// <summary>The form mapper sets null when no row is posted (the last one was removed).</summary>
    public List<FlavorProviderRow> Providers { get; set => field = value ?? []; } = [];

    /// <summary>A blank form starts with one row to fill in.</summary>
    public static FlavorForm WithOneRow() => new() { Providers = [new()] };

    /// <summary>"warn" or "refuse": what a service gets when a vendor of the flavor cannot express one of its settings.</summary>
    public string UnsupportedSettings { get; set; } = UnsupportedSettingsPolicy.Warn.WireName();

    public FlavorSpec ToSpec() => new(
        Id?.Trim(),
        Providers.Select(p => FlavorProviderSpec.WithProviderUrl(p.Provider?.Trim(), p.ProviderUrl?.Trim())).ToList(),
        UnsupportedSettings);

    /// <summary>The add/remove buttons of the provider rows, from a no-JavaScript post or the htmx fragment alike.</summary>
    /// <returns>Whether a row was added or removed (the post is then not a create).</returns>
    public static bool ApplyRowCommand(List<FlavorProviderRow> rows, bool add, int? remove)
    {
        if (remove is { } index)
        {
            if (index >= 0 && index < rows.Count)
            {
                rows.RemoveAt(index);
            }
            return true;
        }
        if (add)
        {
            if (rows.Count < MaxRows)
            {
                rows.Add(new FlavorProviderRow());
            }
            return true;
        }
        return false;
    }
}

public sealed class FlavorProviderRow
{
    public string? Provider { get; set; }

    public string? ProviderUrl { get; set; }
}
