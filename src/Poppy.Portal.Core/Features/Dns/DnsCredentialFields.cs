using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;

namespace Poppy.Portal.Core.Features.Dns;

/// <summary>
/// Which credentials each DNS vendor's driver needs (vendor-apis.md §5). Every field is required; the keys are the
/// ones the drivers in <c>Poppy.Portal.Providers/Dns</c> read.
/// </summary>
public static class DnsCredentialFields
{
    private static readonly IReadOnlyDictionary<DnsProviderKind, IReadOnlyList<CredentialField>> Fields =
        new Dictionary<DnsProviderKind, IReadOnlyList<CredentialField>>
        {
            // Sent as X-API-Key; the endpoint is the API base, e.g. http://127.0.0.1:8081/api/v1.
            [DnsProviderKind.PowerDns] =
            [
                new("api_key", "API key", IsSecret: true, "The server's api-key setting (sent as X-API-Key)."),
            ],
            // Keystone v3 password method, scoped to the project that owns the zone.
            [DnsProviderKind.Designate] =
            [
                new("auth_url", "Keystone URL", IsSecret: false, "Keystone's v3 base, e.g. https://keystone.example:5000/v3."),
                new("username", "User", IsSecret: false, "The Keystone user (domain Default)."),
                new("password", "Password", IsSecret: true, "The Keystone user's password."),
                new("project", "Project", IsSecret: false, "The project that owns the zone."),
            ],
            // Identity v2.0 RAX-KSKEY apiKeyCredentials; the endpoint includes the tenant: …/v1.0/{tenant}.
            [DnsProviderKind.RackspaceDns] =
            [
                new("identity_url", "Identity URL", IsSecret: false, "Rackspace Identity's v2.0 base.", Suggested: "https://identity.api.rackspacecloud.com/v2.0"),
                new("username", "User", IsSecret: false, "The Rackspace cloud user."),
                new("api_key", "API key", IsSecret: true, "The user's API key."),
            ],
            // SigV4 for us-east-1/route53; the hosted zone is found by the account's zone name.
            [DnsProviderKind.Route53] =
            [
                new("access_key_id", "Access key ID", IsSecret: true, "The IAM user's access key ID (AKIA…)."),
                new("secret_access_key", "Secret access key", IsSecret: true, "The IAM user's secret access key."),
            ],
        };

    public static IReadOnlyList<CredentialField> For(DnsProviderKind kind) => Fields.TryGetValue(kind, out var fields) ? fields : [];

    public static string DisplayName(DnsProviderKind kind) => kind switch
    {
        DnsProviderKind.PowerDns => "PowerDNS",
        DnsProviderKind.Designate => "OpenStack Designate",
        DnsProviderKind.RackspaceDns => "Rackspace Cloud DNS",
        DnsProviderKind.Route53 => "Amazon Route 53",
        _ => kind.ToString(),
    };
}
