namespace Poppy.Portal.Core.Features.Providers;

/// <summary>One credential a vendor's API needs, e.g. Fastly's API token or CloudFront's secret access key.</summary>
/// <param name="Key">The key in the stored credentials and in the drivers' dictionary, e.g. <c>api_key</c>.</param>
/// <param name="Label">What the form calls it.</param>
/// <param name="IsSecret">Secrets are never shown again (only their last characters in the hint); the others are shown as typed.</param>
/// <param name="Help">One line under the input.</param>
/// <param name="Suggested">Pre-filled on a new account.</param>
/// <param name="Multiline">Entered in a text area (a cache tier's node list, one node a line).</param>
public sealed record CredentialField(string Key, string Label, bool IsSecret, string Help, string? Suggested = null, bool Multiline = false);

/// <summary>
/// Which credentials each vendor needs (the auth section of each vendor in vendor-apis.md). Every field is required;
/// the table is the one place that knows them, for the forms, the validation and the drivers.
/// </summary>
public static class ProviderCredentialFields
{
    private static readonly IReadOnlyDictionary<ProviderKind, IReadOnlyList<CredentialField>> Fields =
        new Dictionary<ProviderKind, IReadOnlyList<CredentialField>>
        {
            // EdgeGrid: the .edgerc triple; its "host" is the account's API endpoint.
            [ProviderKind.Akamai] =
            [
                new("client_token", "Client token", IsSecret: true, "From the API client's .edgerc (client_token)."),
                new("client_secret", "Client secret", IsSecret: true, "From the API client's .edgerc (client_secret)."),
                new("access_token", "Access token", IsSecret: true, "From the API client's .edgerc (access_token)."),
            ],
            // Sent as the Fastly-Key header.
            [ProviderKind.Fastly] =
            [
                new("api_key", "API token", IsSecret: true, "A Fastly API token with engineer rights (sent as Fastly-Key)."),
            ],
            // SigV4; CloudFront signs for us-east-1 whatever the distribution's edge locations.
            [ProviderKind.CloudFront] =
            [
                new("access_key_id", "Access key ID", IsSecret: true, "The IAM user's access key ID (AKIA…)."),
                new("secret_access_key", "Secret access key", IsSecret: true, "The IAM user's secret access key."),
                new("region", "Signing region", IsSecret: false, "The SigV4 signing region; CloudFront uses us-east-1.", Suggested: "us-east-1"),
            ],
            // MaxCDN RWS: two-legged OAuth 1.0a under https://rws.maxcdn.com/{company_alias}/.
            [ProviderKind.MaxCdn] =
            [
                new("company_alias", "Company alias", IsSecret: false, "The account's alias, the first path segment of the RWS API."),
                new("consumer_key", "Consumer key", IsSecret: true, "The OAuth consumer key of the API application."),
                new("consumer_secret", "Consumer secret", IsSecret: true, "The OAuth consumer secret of the API application."),
            ],
            // The cache-tier agents' own API: one line per node, each with its own token (CacheTierNodes). Secret as a
            // whole, so the list is never put back into a form; the hint shows each node with its token masked.
            [ProviderKind.CacheTier] =
            [
                new(CacheTierNodes.CredentialKey, "Nodes", IsSecret: true,
                    "One node a line: agent URL, node token, public host name (e.g. http://10.0.0.5:8081 3f9a…c2d1 cache1.example.net). " +
                    "Write * as a node's token to keep the one stored for its agent URL.", Multiline: true),
            ],
        };

    public static IReadOnlyList<ProviderKind> Kinds { get; } = Enum.GetValues<ProviderKind>();

    public static IReadOnlyList<CredentialField> For(ProviderKind kind) =>
        Fields.TryGetValue(kind, out var fields) ? fields : throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown provider kind.");

    /// <summary>The vendor's name as people write it.</summary>
    public static string DisplayName(ProviderKind kind) => kind switch
    {
        ProviderKind.Akamai => "Akamai",
        ProviderKind.Fastly => "Fastly",
        ProviderKind.CloudFront => "Amazon CloudFront",
        ProviderKind.MaxCdn => "MaxCDN",
        ProviderKind.CacheTier => "Cache tier",
        _ => kind.ToString(),
    };
}
