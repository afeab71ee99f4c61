using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Components.Circuits;

/// <summary>
/// Keeps the circuit scope's <see cref="CurrentActor"/> equal to its authentication state, for anything resolved from the
/// circuit's own scope; a revalidation that signs the user out makes it anonymous at once. (Components call the services
/// through <see cref="PortalCalls"/>, which reads the same state for each call.)
/// </summary>
public sealed class CircuitActorHandler(AuthenticationStateProvider authentication, CurrentActor actor) : CircuitHandler, IDisposable
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        authentication.AuthenticationStateChanged += OnAuthenticationStateChanged;
        actor.Set(PrincipalActor.From((await authentication.GetAuthenticationStateAsync()).User));
    }

    private async void OnAuthenticationStateChanged(Task<AuthenticationState> state)
    {
        try
        {
            actor.Set(PrincipalActor.From((await state).User));
        }
        catch (Exception)
        {
            // A failed revalidation counts as signed out.
            actor.Set(Actor.Anonymous);
        }
    }

    public void Dispose() => authentication.AuthenticationStateChanged -= OnAuthenticationStateChanged;
}
