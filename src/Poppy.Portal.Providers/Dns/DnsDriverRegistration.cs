using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Providers.Dns.Designate;
using Poppy.Portal.Providers.Dns.PowerDns;
using Poppy.Portal.Providers.Dns.Rackspace;
using Poppy.Portal.Providers.Dns.Route53;

namespace Poppy.Portal.Providers.Dns;

/// <summary>Registers one <see cref="IDnsDriver"/> per DNS vendor; steering picks the one matching a DNS account's kind.</summary>
public static class DnsDriverRegistration
{
    /// <summary>Adds the PowerDNS, Designate, Rackspace Cloud DNS and Route 53 drivers (stateless, so singletons).</summary>
    public static IServiceCollection AddDnsDrivers(this IServiceCollection services)
    {
        services.AddSingleton<IDnsDriver, PowerDnsDriver>();
        services.AddSingleton<IDnsDriver, DesignateDriver>();
        services.AddSingleton<IDnsDriver, RackspaceDnsDriver>();
        services.AddSingleton<IDnsDriver, Route53Driver>();
        return services;
    }
}
