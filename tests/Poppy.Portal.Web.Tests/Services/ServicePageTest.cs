using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Poppy.Portal.Web.Tests.Components;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>The service pages rendered as the layout renders them, keeping the dialog and snackbar providers to look into.</summary>
public abstract class ServicePageTest : PortalComponentTest
{
    protected IRenderedComponent<MudPopoverProvider> PopoverProvider { get; private set; } = null!;
    protected IRenderedComponent<MudDialogProvider> DialogProvider { get; private set; } = null!;
    protected IRenderedComponent<MudSnackbarProvider> SnackbarProvider { get; private set; } = null!;

    protected NavigationManager Navigation => Services.GetRequiredService<NavigationManager>();

    protected async Task<IRenderedComponent<TPage>> RenderWithProvidersAsync<TPage>(Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : IComponent
    {
        var working = await WorkingAsync();
        PopoverProvider = Render<MudPopoverProvider>();
        DialogProvider = Render<MudDialogProvider>();
        SnackbarProvider = Render<MudSnackbarProvider>();
        return Render<TPage>(builder =>
        {
            builder.AddCascadingValue(working);
            parameters?.Invoke(builder);
        });
    }

    /// <summary>The snackbar messages shown so far.</summary>
    protected IReadOnlyList<string> Snackbars() =>
        [.. SnackbarProvider.FindAll(".mud-snackbar-content-message").Select(m => m.TextContent.Trim())];

    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
}
