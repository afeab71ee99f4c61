using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace Poppy.Portal.Web.Components.Layout;

/// <summary>
/// MudThemeProvider whose stylesheets are shared by every circuit. MudThemeProvider builds its theme's CSS variables (a
/// ~12,000-character style element) into a new string at each render, and every open page (circuit) keeps the last two
/// renders: ~50 KB per circuit for the same few texts (bench/ui README). This renders what MudThemeProvider renders (its
/// scrollbar style, the charts' hover style, the theme), each theme text kept once for the process.
/// </summary>
public sealed class SharedThemeProvider : MudThemeProvider
{
    // A theme's text for each palette shown (light, dark): a handful. The bound only guards against a theme built per user.
    private const int MaxThemes = 16;
    private static readonly ConcurrentDictionary<string, MarkupString> Themes = new(StringComparer.Ordinal);
    private static readonly MarkupString Scrollbar = new(BuildMudBlazorScrollbar());

    private static readonly MarkupString ChartStyle = new("""
        <style>
            .mud-chart-serie:hover {
                filter: url(#lighten);
            }

            .mud-chart-serie-hovered 
            {
                filter: url(#lighten);
            }
        </style>
        """);

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        if (!DefaultScrollbar)
        {
            builder.AddContent(0, Scrollbar);
        }
        builder.AddContent(1, ChartStyle);
        var theme = BuildTheme();
        builder.AddContent(2, Themes.TryGetValue(theme, out var shared) ? shared
            : Themes.Count < MaxThemes ? Themes.GetOrAdd(theme, text => new MarkupString(text)) : new MarkupString(theme));
    }
}
