namespace Poppy.Portal.Core.Features.Steering;

/// <summary>
/// Tells live views in this process that a service's steering changed (a round switched, recorded an event or new health,
/// or an operator changed the settings), so an open panel re-reads at once instead of at its next poll. Changes made by
/// other portal processes reach the panels by that poll.
/// </summary>
public sealed class SteeringEvents
{
    /// <summary>Raised with the service's id; handlers run on the raising thread and must not block.</summary>
    public event Action<Guid>? Changed;

    public void Raise(Guid serviceId)
    {
        foreach (var handler in Changed?.GetInvocationList().Cast<Action<Guid>>() ?? [])
        {
            try
            {
                handler(serviceId);
            }
            catch (ObjectDisposedException)
            {
                // A view closing while it is told: the change is already stored, which is what steering answers for.
            }
            catch (InvalidOperationException)
            {
            }
        }
    }
}
