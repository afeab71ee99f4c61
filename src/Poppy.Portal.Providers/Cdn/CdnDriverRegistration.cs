using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Providers.Cdn.Akamai;
using Poppy.Portal.Providers.Cdn.CacheTier;
using Poppy.Portal.Providers.Cdn.CloudFront;
using Poppy.Portal.Providers.Cdn.Fastly;
using Poppy.Portal.Providers.Cdn.MaxCdn;

namespace Poppy.Portal.Providers.Cdn;

/// <summary>Registers one <see cref="ICdnDriver"/> per vendor; provisioning picks the one matching an account's kind.</summary>
public static class CdnDriverRegistration
{
    /// <summary>
    /// Adds the Fastly, CloudFront, Akamai, MaxCDN and cache-tier drivers (stateless, so singletons), and the cache-tier
    /// node health the Providers page shows.
    /// </summary>
    public static IServiceCollection AddCdnDrivers(this IServiceCollection services)
    {
        services.AddSingleton<ICdnDriver, FastlyDriver>();
        services.AddSingleton<ICdnDriver, CloudFrontDriver>();
        services.AddSingleton<ICdnDriver>(new AkamaiDriver());
        services.AddSingleton<ICdnDriver, MaxCdnDriver>();
        services.AddSingleton<CacheTierNodeMonitor>();
        services.AddSingleton<ICdnDriver, CacheTierDriver>();
        services.AddScoped<CacheTierHealth>();
        return services;
    }
}
