using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>
/// Renders nothing; placed in a grid's pager, it re-renders in the same render batch as the grid's new rows. When its
/// <see cref="Generation"/> changes it posts <see cref="Rendered"/> to the circuit's dispatcher, which runs it once
/// the current work item — the whole render batch — is done, so the callback marks the batch's end on the server
/// (OnAfterRender would wait for the browser to acknowledge the batch). Once interactive it also leaves a hidden
/// <c>data-testid="grid-loaded"</c> marker with the load's number, so a browser can tell the circuit's rows from the
/// prerendered grid, which holds no services yet.
/// </summary>
public sealed class RenderedProbe : ComponentBase
{
    private int seen;

    [Parameter] public int Generation { get; set; }

    [Parameter] public Action<int>? Rendered { get; set; }

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        if (RendererInfo.IsInteractive && Generation > 0)
        {
            builder.OpenElement(0, "span");
            builder.AddAttribute(1, "hidden", true);
            builder.AddAttribute(2, "data-testid", "grid-loaded");
            builder.AddAttribute(3, "data-generation", Generation);
            builder.CloseElement();
        }
    }

    protected override void OnParametersSet()
    {
        if (Generation == seen || Rendered is not { } rendered || !RendererInfo.IsInteractive)
        {
            return;
        }
        seen = Generation;
        var generation = Generation;
        if (SynchronizationContext.Current is { } dispatcher)
        {
            dispatcher.Post(_ => rendered(generation), null);
        }
    }
}
