using Poppy.Portal.Core.Configuration;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>Settings of the service catalog (section <c>Portal:Services</c>).</summary>
public sealed class ServiceOptions
{
    public const string Section = "Portal:Services";

    /// <summary>Services a project may have when an admin set no limit (Poppy's max_services_per_project).</summary>
    public int DefaultServiceLimit { get; set; } = ServiceLimits.DefaultServicesPerProject;

    /// <summary>Shared-certificate domains become <c>name.scdnN.&lt;suffix&gt;</c> (Poppy's shared_ssl_domain_suffix).</summary>
    public string SharedSslDomainSuffix { get; set; } = "secure.poppycdn.net";

    /// <summary>How many shards a shared name may be spread over (Poppy's shared_ssl_num_shards).</summary>
    public int SharedSslShards { get; set; } = 5;

    public static void Check(ServiceOptions o, SettingChecks check) => check
        .AtLeast(nameof(DefaultServiceLimit), o.DefaultServiceLimit, 0)
        .Between(nameof(SharedSslShards), o.SharedSslShards, 1, 100)
        .Require(nameof(SharedSslDomainSuffix), Uri.CheckHostName(o.SharedSslDomainSuffix) == UriHostNameType.Dns && o.SharedSslDomainSuffix.Contains('.'),
            o.SharedSslDomainSuffix, "a DNS domain such as secure.poppycdn.net");
}
