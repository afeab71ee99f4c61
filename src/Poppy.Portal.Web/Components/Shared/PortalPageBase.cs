using Microsoft.AspNetCore.Components;
using MudBlazor;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Components.Circuits;

namespace Poppy.Portal.Web.Components.Shared;

/// <summary>
/// What an interactive portal page works with: the signed-in user and project (cascaded by the layout), calls to the
/// application services (each in its own scope, see <see cref="PortalCalls"/>), snackbars and confirmation dialogs,
/// and a token that is cancelled when the page goes away.
/// </summary>
public abstract class PortalPageBase : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource disposed = new();

    protected PortalPageBase() => Aborted = disposed.Token;

    [Inject] protected PortalCalls Calls { get; set; } = default!;
    [Inject] protected ISnackbar Snackbar { get; set; } = default!;
    [Inject] protected IDialogService Dialogs { get; set; } = default!;
    [Inject] protected NavigationManager Navigation { get; set; } = default!;

    /// <summary>Who acts and in which project; a project switch re-creates the page (MainLayout keys it).</summary>
    [CascadingParameter] protected WorkingContext Working { get; set; } = WorkingContext.None;

    protected Guid? ProjectId => Working.Current?.Id;

    /// <summary>Whether write actions are offered. The services check again: this only hides what would be refused.</summary>
    protected bool MayChange => Working.MayChange;

    /// <summary>Cancelled when the page is left or the circuit ends (and still readable by work that finishes after).</summary>
    protected CancellationToken Aborted { get; }

    /// <summary>
    /// Runs a user's action: on success shows <paramref name="success"/>; a refusal by the services shows their message.
    /// Returns whether it succeeded. Other failures propagate to the layout's error boundary.
    /// </summary>
    protected async Task<bool> TryAsync(Func<CancellationToken, Task> action, string? success = null)
    {
        try
        {
            await action(Aborted);
        }
        catch (AccessDeniedException denied)
        {
            Snackbar.Add(denied.Message, Severity.Error);
            return false;
        }
        if (success is not null)
        {
            Snackbar.Add(success, Severity.Success);
        }
        return true;
    }

    /// <summary>Asks before something that cannot be undone; true only when the user confirmed.</summary>
    protected async Task<bool> ConfirmAsync(string title, string message, string confirm = "Delete", Color color = Color.Error)
    {
        var answer = await Dialogs.ShowMessageBoxAsync(new MessageBoxOptions
        {
            Title = title,
            Message = message,
            YesText = confirm,
            CancelText = "Cancel",
        }, new DialogOptions { CloseOnEscapeKey = true, MaxWidth = MaxWidth.Small, FullWidth = true });
        return answer == true;
    }

    public void Dispose()
    {
        disposed.Cancel();
        disposed.Dispose();
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
