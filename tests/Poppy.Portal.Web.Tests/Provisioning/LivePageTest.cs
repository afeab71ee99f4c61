using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Web.Tests.Components;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>
/// bUnit tests of the live provisioning pages (service page, jobs page): the portal's own ProvisioningEvents are the
/// page's, so a change that provisioning (or a test through it) reports reaches the page as it reaches a circuit; the
/// pages' poll for other nodes' changes runs only when the test ticks <see cref="Timers"/>. The dialog and snackbar providers are kept, so tests can answer dialogs and read outcomes.
/// </summary>
public abstract class LivePageTest : PortalComponentTest
{
    protected LivePageTest()
    {
        // Resolved lazily: the portal's host starts on first use, after the test has set its settings.
        Services.AddSingleton(_ => Portal.Services.GetRequiredService<ProvisioningEvents>());
        // The pages' 2 s poll runs on timers the test fires (Timers.Tick), so a test knows which path brought a change.
        Services.AddSingleton<TimeProvider>(Timers);
        // The service page's performance chart imports the chart module; its calls are not what these tests check.
        JSInterop.SetupModule(Web.Components.Charts.ApexChart.ModulePath).Mode = JSRuntimeMode.Loose;
    }

    /// <summary>The live pages' clock: their poll only happens when a test calls <see cref="ManualTimers.Tick"/>.</summary>
    protected ManualTimers Timers { get; } = new();

    /// <summary>How long a test waits for a page to show something (generous: the machine may be busy).</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    protected IRenderedComponent<MudDialogProvider> DialogHost { get; private set; } = null!;

    protected IRenderedComponent<MudSnackbarProvider> SnackbarHost { get; private set; } = null!;

    /// <summary>Renders a page as the layout would (cascaded working context, MudBlazor's providers kept for the test).</summary>
    protected async Task<IRenderedComponent<TPage>> RenderLiveAsync<TPage>(Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : IComponent
    {
        var working = await WorkingAsync();
        Render<MudPopoverProvider>();
        DialogHost = Render<MudDialogProvider>();
        SnackbarHost = Render<MudSnackbarProvider>();
        return Render<TPage>(builder =>
        {
            builder.AddCascadingValue(working);
            parameters?.Invoke(builder);
        });
    }

    /// <summary>Clicks the button of the open dialog whose text is <paramref name="text"/>.</summary>
    protected async Task AnswerDialogAsync(string text)
    {
        DialogHost.WaitForAssertion(() => Assert.Single(DialogHost.FindAll(".mud-dialog button"), b => b.TextContent.Trim() == text), Patience);
        var match = DialogHost.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == text);
        await match.ClickAsync(new());
    }

    /// <summary>Waits until a snackbar says <paramref name="text"/>.</summary>
    protected void WaitForSnackbar(string text) =>
        SnackbarHost.WaitForAssertion(() => Assert.Contains(text, SnackbarHost.Markup), Patience);
}
