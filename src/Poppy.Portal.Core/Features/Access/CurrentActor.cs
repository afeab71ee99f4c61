using Microsoft.Extensions.DependencyInjection;

namespace Poppy.Portal.Core.Features.Access;

/// <summary>The actor of the current unit of work (an HTTP request, a circuit, a job, a command).</summary>
public interface ICurrentActor
{
    Actor Actor { get; }
}

/// <summary>
/// The scoped holder that the host fills once it knows who is acting. It starts as <see cref="Actor.Anonymous"/>, so a
/// scope nobody filled can do nothing rather than everything.
/// </summary>
public sealed class CurrentActor : ICurrentActor
{
    public Actor Actor { get; private set; } = Actor.Anonymous;

    public void Set(Actor actor) => Actor = actor;
}

public static class ActorScopes
{
    /// <summary>A service scope whose unit of work is done by <paramref name="actor"/> (a job, a tool, start-up seeding).</summary>
    public static AsyncServiceScope CreateAsyncScope(this IServiceScopeFactory scopes, Actor actor)
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().Set(actor);
        return scope;
    }

    /// <inheritdoc cref="CreateAsyncScope(IServiceScopeFactory, Actor)"/>
    public static AsyncServiceScope CreateAsyncScope(this IServiceProvider services, Actor actor) =>
        services.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope(actor);
}
