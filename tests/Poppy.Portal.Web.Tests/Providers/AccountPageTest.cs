using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using Poppy.Portal.Web.Tests.Components;

namespace Poppy.Portal.Web.Tests.Providers;

/// <summary>
/// bUnit helpers of the account pages (providers, flavors, DNS): the page rendered as the layout would, with the
/// dialog and snackbar providers kept so a test can answer a confirmation and read what the page said.
/// </summary>
public abstract class AccountPageTest : PortalComponentTest
{
    protected IRenderedComponent<MudDialogProvider> Dialogs { get; private set; } = null!;


    protected IRenderedComponent<MudSnackbarProvider> Snackbars { get; private set; } = null!;

    protected async Task<IRenderedComponent<TPage>> OpenAsync<TPage>(Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : class, IComponent
    {
        var working = await WorkingAsync();
        if (Dialogs is null)
        {
            // Once per test: a second page in the same test shares them, as pages in one circuit do.
            Render<MudPopoverProvider>();
            Dialogs = Render<MudDialogProvider>();
            Snackbars = Render<MudSnackbarProvider>();
        }
        return Render<TPage>(builder =>
        {
            builder.AddCascadingValue(working);
            parameters?.Invoke(builder);
        });
    }

    /// <summary>The input (or text area) of the element marked <paramref name="selector"/>, wherever MudBlazor put the attribute.</summary>
    protected static IElement InputOf(IElement marked) =>
        marked.TagName is "INPUT" or "TEXTAREA" ? marked : marked.QuerySelector("input, textarea") ?? throw new InvalidOperationException($"No input in {marked.OuterHtml}");

    protected static void Type<TPage>(IRenderedComponent<TPage> page, string selector, string value) where TPage : class, IComponent =>
        InputOf(page.Find(selector)).Change(value);

    /// <summary>Chooses <paramref name="value"/> in the select labelled <paramref name="label"/> as a user's pick does (its ValueChanged).</summary>
    protected static async Task ChooseAsync<TPage, T>(IRenderedComponent<TPage> page, string label, T value) where TPage : class, IComponent
    {
        var select = page.FindComponents<MudSelect<T>>().Single(s => s.Instance.Label == label);
        await page.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(value));
    }

    /// <summary>
    /// Finds and clicks in one step on the renderer's thread, so a re-render in between (a live page's refresh) cannot
    /// leave the click aimed at an event handler that is gone; then waits for the handler.
    /// </summary>
    protected static async Task ClickAsync<TPage>(IRenderedComponent<TPage> page, string selector) where TPage : class, IComponent
    {
        Task clicked = Task.CompletedTask;
        await page.InvokeAsync(() => clicked = page.Find(selector).ClickAsync(new MouseEventArgs()));
        await clicked;
    }

    /// <summary>Clicks a button that asks for confirmation, confirms with <paramref name="confirm"/>, and waits for the action to end.</summary>
    protected async Task ClickAndConfirmAsync(IElement button, string confirm)
    {
        var clicked = button.ClickAsync(new MouseEventArgs());
        Dialogs.WaitForAssertion(() => Assert.Contains(Dialogs.FindAll("button"), b => b.TextContent.Trim() == confirm));
        await Dialogs.FindAll("button").Single(b => b.TextContent.Trim() == confirm).ClickAsync(new MouseEventArgs());
        await clicked;
    }

    protected static string TextOf<TPage>(IRenderedComponent<TPage> page) where TPage : class, IComponent => string.Concat(page.Nodes.Select(n => n.TextContent));

    protected string SnackbarText => string.Concat(Snackbars.Nodes.Select(n => n.TextContent));

    protected void WaitForSnackbar(string text) => Snackbars.WaitForAssertion(() => Assert.Contains(text, SnackbarText, StringComparison.Ordinal));
}
