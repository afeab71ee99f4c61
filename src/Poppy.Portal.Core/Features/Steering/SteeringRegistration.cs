using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Configuration;
using Poppy.Portal.Core.Jobs;

namespace Poppy.Portal.Core.Features.Steering;

public static class SteeringRegistration
{
    /// <summary>Service DNS records (a provisioning step) and steering. The DNS drivers come from the Providers project (<c>AddDnsDrivers</c>).</summary>
    public static IServiceCollection AddSteering(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ServiceDnsOptions>().Bind(configuration.GetSection(ServiceDnsOptions.Section))
            .ValidateSettings(ServiceDnsOptions.Section, ServiceDnsOptions.Check);
        services.AddOptions<SteeringOptions>().Bind(configuration.GetSection(SteeringOptions.Section))
            .ValidateSettings(SteeringOptions.Section, SteeringOptions.Check);
        services.AddSingleton<DnsRecordWriter>();
        services.AddSingleton<SteeringEvents>();
        services.AddScoped<ServiceDnsStep>();
        services.AddScoped<SteeringSwitcher>();
        services.AddScoped<SteeringService>();
        services.AddSingleton<SteeringRound>();
        if (JobOptions.Read(configuration).Enabled)
        {
            services.AddHostedService<SteeringSchedule>();
        }
        return services;
    }
}
