using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Poppy.Portal.Core.Configuration;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.ApiTokens;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Mail;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Setup;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Core.Jobs;

namespace Poppy.Portal.Core;

public static class PortalCoreServiceCollectionExtensions
{
    /// <summary>The database and every feature's application services, for the web host and for tools.</summary>
    public static IServiceCollection AddPortalCore(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddPortalData(configuration, contentRoot);
        services.AddPortalIdentity();

        services.AddOptions<FirstAdminOptions>().Bind(configuration.GetSection(FirstAdminOptions.Section))
            .ValidateSettings(FirstAdminOptions.Section, FirstAdminOptions.Check);
        services.AddOptions<MailOptions>().Bind(configuration.GetSection(MailOptions.Section))
            .PostConfigure(mail =>
            {
                if (!string.IsNullOrWhiteSpace(mail.PickupDirectory))
                {
                    mail.PickupDirectory = Path.GetFullPath(mail.PickupDirectory, contentRoot);
                }
            })
            .ValidateSettings(MailOptions.Section, MailOptions.Check);

        services.AddScoped<CurrentActor>();
        services.AddScoped<ICurrentActor>(provider => provider.GetRequiredService<CurrentActor>());
        services.AddScoped<AccessPolicy>();
        services.AddScoped<ProjectDirectory>();
        services.AddScoped<UserAdministration>();
        services.AddScoped<UserPreferences>();
        services.AddScoped<AccountPasswords>();
        services.AddScoped<PortalDatabaseInitializer>();
        services.AddScoped<AuditLog>();
        services.AddScoped<ServiceCatalog>();
        services.AddOptions<ServiceOptions>().Bind(configuration.GetSection(ServiceOptions.Section))
            .ValidateSettings(ServiceOptions.Section, ServiceOptions.Check);
        services.AddScoped<ProviderAccountDirectory>();
        services.AddScoped<DnsAccountDirectory>();
        services.AddScoped<DnsConnectionTester>();
        services.AddScoped<ProviderConnectionTester>();
        services.AddScoped<FlavorCatalog>();
        services.AddScoped<FlavorLimitations>();
        services.AddScoped<AuditQuery>();
        services.AddScoped<ApiTokenService>();
        services.AddPortalJobs(configuration, contentRoot);
        services.AddProvisioning(configuration);
        services.AddBenchmarks(configuration);
        services.AddSteering(configuration);
        return services;
    }
}
