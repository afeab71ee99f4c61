using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components;

namespace Poppy.Portal.Web.Components.Shared;

/// <summary>
/// A MudBlazor icon (<c>Icons.Material.*</c> are SVG path strings) as markup with MudIcon's own classes, for the shell's
/// always-present icons: a <c>MudIcon</c> is a component, and each component costs every open page (circuit) its state
/// and two render-tree buffers (bench/ui README). The markup is built once per icon and class and shared by every
/// circuit.
/// </summary>
public static class SvgIcon
{
    private static readonly ConcurrentDictionary<(string Icon, string Classes), MarkupString> Cache = new();

    /// <summary>The icon as MudIcon renders it: <paramref name="size"/> is small, medium or large; <paramref name="classes"/> are added.</summary>
    public static MarkupString Markup(string icon, string size = "medium", string? classes = null) =>
        Cache.GetOrAdd((icon, $"mud-icon-root mud-svg-icon mud-icon-size-{size}{(classes is null ? "" : " " + classes)}"),
            key => new MarkupString($"""<svg class="{key.Classes}" focusable="false" viewBox="0 0 24 24" aria-hidden="true" role="img">{key.Icon}</svg>"""));
}
