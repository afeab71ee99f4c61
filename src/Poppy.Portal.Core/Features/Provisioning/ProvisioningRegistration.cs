using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Configuration;
using Poppy.Portal.Core.Jobs;

namespace Poppy.Portal.Core.Features.Provisioning;

public static class ProvisioningRegistration
{
    /// <summary>
    /// Provisioning's services. The drivers come from the Providers project (<c>AddCdnDrivers</c>) and the Quartz
    /// scheduler from <c>AddPortalJobs</c>; the recovery sweep runs only where jobs run.
    /// </summary>
    public static IServiceCollection AddProvisioning(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ProvisioningOptions>().Bind(configuration.GetSection(ProvisioningOptions.Section))
            .ValidateSettings(ProvisioningOptions.Section, ProvisioningOptions.Check);
        services.AddSingleton<ProviderResilience>();
        services.AddSingleton<ProvisioningEvents>();
        services.AddSingleton<ProvisioningScheduler>();
        services.AddScoped<ServiceProvisioner>();
        services.AddScoped<ProviderOperationRunner>();
        services.AddScoped<ProvisioningOperations>();
        services.AddScoped<Dashboard.DashboardQuery>();
        services.AddSingleton<ProvisioningRecovery>();
        if (JobOptions.Read(configuration).Enabled)
        {
            services.AddHostedService(sp => sp.GetRequiredService<ProvisioningRecovery>());
        }
        return services;
    }
}
