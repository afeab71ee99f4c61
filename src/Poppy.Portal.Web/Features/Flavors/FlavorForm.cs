using Poppy.Portal.Core.Features.Flavors;

namespace Poppy.Portal.Web.Features.Flavors;

/// <summary>What the flavor form holds while it is edited: the id, the provider rows in order and the policy.</summary>
public sealed class FlavorForm
{
    /// <summary>More rows than any real flavor needs.</summary>
    public const int MaxRows = 50;

    public string? Id { get; set; }

    public List<FlavorProviderRow> Providers { get; set; } = [];

    /// <summary>"warn" or "refuse": what a service gets when a vendor of the flavor cannot express one of its settings.</summary>
    public string UnsupportedSettings { get; set; } = UnsupportedSettingsPolicy.Warn.WireName();

    /// <summary>A blank form starts with one row to fill in.</summary>
    public static FlavorForm WithOneRow() => new() { Providers = [new()] };

    /// <summary>An existing flavor, to change.</summary>
    public static FlavorForm From(FlavorDetails flavor) => new()
    {
        Id = flavor.Id,
        Providers = flavor.Providers.Select(p => new FlavorProviderRow { Provider = p.Provider, ProviderUrl = p.ProviderUrl }).ToList(),
        UnsupportedSettings = flavor.UnsupportedSettings.WireName(),
    };

    public FlavorSpec ToSpec() => new(
        Id?.Trim(),
        Providers.Select(p => FlavorProviderSpec.WithProviderUrl(p.Provider?.Trim(), p.ProviderUrl?.Trim())).ToList(),
        UnsupportedSettings);

    public void Add()
    {
        if (Providers.Count < MaxRows)
        {
            Providers.Add(new FlavorProviderRow());
        }
    }

    /// <summary>Moves row <paramref name="index"/> one place up (-1) or down (+1); the order is the flavor's priority.</summary>
    public void Move(int index, int by)
    {
        var target = index + by;
        if (index < 0 || index >= Providers.Count || target < 0 || target >= Providers.Count)
        {
            return;
        }
        (Providers[index], Providers[target]) = (Providers[target], Providers[index]);
    }
}

public sealed class FlavorProviderRow
{
    public string? Provider { get; set; }

    public string? ProviderUrl { get; set; }
}
