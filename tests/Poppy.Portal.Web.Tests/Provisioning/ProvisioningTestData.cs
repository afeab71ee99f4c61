using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Web.Tests.Provisioning;

/// <summary>Puts provisioning operations and provider states into a given shape, as the engine would have left them.</summary>
public static class ProvisioningTestData
{
    public static async Task<List<ProvisioningOperation>> OperationsAsync(this PortalFactory portal, Guid serviceId)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<ProvisioningOperation>().AsNoTracking()
            .Where(o => o.ServiceId == serviceId).OrderBy(o => o.Id).ToListAsync();
    }

    /// <summary>Changes the latest configuration operation of <paramref name="provider"/> (and its provider state), then tells live views.</summary>
    public static async Task ChangeOperationAsync(this PortalFactory portal, Guid serviceId, string provider,
        Action<ProvisioningOperation> operation, Action<ServiceProviderState>? state = null, Action<CdnService>? service = null)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var row = await db.Set<ProvisioningOperation>()
            .Where(o => o.ServiceId == serviceId && o.ProviderName == provider && o.Kind != OperationKind.Purge).OrderByDescending(o => o.Id).FirstAsync();
        operation(row);
        var stored = await db.Set<CdnService>().Include(s => s.Providers).FirstAsync(s => s.Id == serviceId);
        if (state is not null)
        {
            state(stored.Providers.Single(p => p.ProviderName == provider));
            stored.Status = ServiceStatuses.Derive(stored.Providers.Select(p => p.Status).ToList());
        }
        service?.Invoke(stored);
        await db.SaveChangesAsync();
        scope.ServiceProvider.GetRequiredService<ProvisioningEvents>().Changed();
    }

    public static Task FailAsync(this PortalFactory portal, Guid serviceId, string provider, string error) =>
        portal.ChangeOperationAsync(serviceId, provider, o =>
        {
            o.Start(OperationStep.Applying, o.CreatedAt);
            o.CountAttempts(1);
            o.Fail(error, o.CreatedAt.AddSeconds(3));
        }, s =>
        {
            s.Status = ProviderStatus.Failed;
            s.ErrorMessage = "Create failed: " + error;
        });
}
