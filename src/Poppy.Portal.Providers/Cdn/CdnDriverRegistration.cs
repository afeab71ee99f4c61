using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Providers.Cdn.Akamai;
using Poppy.Portal.Providers.Cdn.CloudFront;
using Poppy.Portal.Providers.Cdn.Fastly;
using Poppy.Portal.Providers.Cdn.MaxCdn;

namespace Poppy.Portal.Providers.Cdn;

/// <summary>Registers one <see cref="ICdnDriver"/> per vendor; provisioning picks the one matching an account's kind.</summary>
public static class CdnDriverRegistration
{
    /// <summary>Adds the Fastly, CloudFront, Akamai and MaxCDN drivers (stateless, so singletons).</summary>
    public static IServiceCollection AddCdnDrivers(this IServiceCollection services)
    {
        services.AddSingleton<ICdnDriver, FastlyDriver>();
        services.AddSingleton<ICdnDriver, CloudFrontDriver>();
        services.AddSingleton<ICdnDriver>(new AkamaiDriver());
        services.AddSingleton<ICdnDriver, MaxCdnDriver>();
        return services;
    }
}
