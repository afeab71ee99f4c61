using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Poppy.Portal.Web.Tests.Components;

/// <summary>A rendered page with the MudBlazor providers it opens dialogs and menus in, so tests can answer them.</summary>
public sealed record PageWithProviders<TPage>(IRenderedComponent<TPage> Page, IRenderedComponent<MudDialogProvider> Dialogs, IRenderedComponent<MudPopoverProvider> Popovers)
    where TPage : IComponent
{
    /// <summary>Clicks the button labelled <paramref name="text"/> in the open dialog (a confirmation's answer, say).</summary>
    public async Task AnswerDialogAsync(string text)
    {
        var button = Dialogs.WaitForElement(".mud-dialog", TimeSpan.FromSeconds(10)).QuerySelectorAll("button").Single(b => b.TextContent.Trim() == text);
        await button.ClickAsync(new());
    }
}

public static class PageWithProvidersExtensions
{
    /// <summary>Renders the providers, then the page inside the cascaded working context (as the layout does).</summary>
    public static PageWithProviders<TPage> RenderWithProviders<TPage>(this BunitContext context, Poppy.Portal.Core.Features.Users.WorkingContext working,
        Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null) where TPage : IComponent
    {
        var popovers = context.Render<MudPopoverProvider>();
        var dialogs = context.Render<MudDialogProvider>();
        context.Render<MudSnackbarProvider>();
        var page = context.Render<TPage>(builder =>
        {
            builder.AddCascadingValue(working);
            parameters?.Invoke(builder);
        });
        return new(page, dialogs, popovers);
    }
}
