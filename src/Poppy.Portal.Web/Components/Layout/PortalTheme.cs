using MudBlazor;

namespace Poppy.Portal.Web.Components.Layout;

/// <summary>The portal's colours, light and dark; charts take theirs from the same palette (ApexChart).</summary>
public static class PortalTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#c2185b",
            Secondary = "#5c6bc0",
            AppbarBackground = "#ad1457",
            DrawerBackground = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#f06292",
            Secondary = "#9fa8da",
            AppbarBackground = "#27272f",
        },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "240px" },
    };
}
