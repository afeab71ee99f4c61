using Microsoft.AspNetCore.Components.Authorization;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Components.Circuits;

/// <summary>
/// How a component calls the application services: each call in a scope of its own, so with a DbContext of its own that
/// lives as long as the call (a circuit lives for hours; a context that long would serve stale rows and grow without
/// end), acting as the user of the circuit's authentication state. The services decide what that user may do.
/// </summary>
public sealed class PortalCalls(IServiceScopeFactory scopes, AuthenticationStateProvider authentication)
{
    /// <summary>The signed-in user as the services see them, from the circuit's (revalidated) authentication state.</summary>
    public async Task<Actor> ActorAsync() => PrincipalActor.From((await authentication.GetAuthenticationStateAsync()).User);

    public async Task<TResult> RunAsync<TService, TResult>(Func<TService, CancellationToken, Task<TResult>> call, CancellationToken cancellationToken)
        where TService : notnull
    {
        await using var scope = scopes.CreateAsyncScope(await ActorAsync());
        return await call(scope.ServiceProvider.GetRequiredService<TService>(), cancellationToken);
    }

    public async Task RunAsync<TService>(Func<TService, CancellationToken, Task> call, CancellationToken cancellationToken)
        where TService : notnull
    {
        await using var scope = scopes.CreateAsyncScope(await ActorAsync());
        await call(scope.ServiceProvider.GetRequiredService<TService>(), cancellationToken);
    }

    /// <summary>Several services in one scope (they then share one DbContext), for an operation that needs them together.</summary>
    public async Task<TResult> RunInScopeAsync<TResult>(Func<IServiceProvider, CancellationToken, Task<TResult>> call, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope(await ActorAsync());
        return await call(scope.ServiceProvider, cancellationToken);
    }
}
