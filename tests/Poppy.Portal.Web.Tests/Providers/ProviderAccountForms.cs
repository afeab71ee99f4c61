using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Providers;

namespace Poppy.Portal.Web.Tests.Providers;

/// <summary>Sample provider accounts of each kind, and reading back what was stored.</summary>
internal static class ProviderAccountForms
{
    /// <summary>Credentials of each kind; every secret is long, distinct and easy to search for in markup and rows.</summary>
    public static Dictionary<string, string> SampleCredentials(ProviderKind kind) => kind switch
    {
        ProviderKind.Akamai => new()
        {
            ["client_token"] = "akab-client-token-SECRET-1111aaaa",
            ["client_secret"] = "akamai-client-SECRET-2222bbbb=",
            ["access_token"] = "akab-access-token-SECRET-3333cccc",
        },
        ProviderKind.Fastly => new() { ["api_key"] = "fastly-token-SECRET-4444dddd3f9a" },
        ProviderKind.CloudFront => new()
        {
            ["access_key_id"] = "AKIA-SECRET-5555eeee",
            ["secret_access_key"] = "aws-secret-key-SECRET-6666ffff",
            ["region"] = "us-east-1",
        },
        ProviderKind.MaxCdn => new()
        {
            ["company_alias"] = "poppy-co",
            ["consumer_key"] = "maxcdn-consumer-key-SECRET-7777",
            ["consumer_secret"] = "maxcdn-consumer-secret-SECRET-8888",
        },
        // Port 9 on loopback refuses at once, so the Providers page's health probe does not wait.
        ProviderKind.CacheTier => new() { ["nodes"] = $"http://127.0.0.1:9/ {CacheTierToken} cache1.example.net" },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public const string CacheTierToken = "cache-tier-agent-key-SECRET-9999";

    /// <summary>The secret values only (not region or alias; of a cache tier's node list, the token).</summary>
    public static IEnumerable<string> Secrets(ProviderKind kind) => kind == ProviderKind.CacheTier
        ? [CacheTierToken]
        : ProviderCredentialFields.For(kind).Where(f => f.IsSecret).Select(f => SampleCredentials(kind)[f.Key]);

    /// <summary>Creates an account through <see cref="ProviderAccountDirectory"/> (as the system) and returns its id.</summary>
    public static async Task<Guid> CreateAccountAsync(this PortalFactory portal, string name, ProviderKind kind, string endpoint = "http://127.0.0.1:9/",
        IDictionary<string, string>? credentials = null)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        var created = await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().CreateAsync(new ProviderAccountSpec(name, kind, endpoint,
            (credentials ?? SampleCredentials(kind)).ToDictionary(c => c.Key, c => (string?)c.Value)), CancellationToken.None);
        Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        return created.Value!.Id;
    }

    public static async Task<IReadOnlyDictionary<string, string>?> CredentialsAsync(this PortalFactory portal, Guid accountId)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().GetCredentialsAsync(accountId, CancellationToken.None);
    }

    public static async Task<ProviderAccountSummary?> AccountAsync(this PortalFactory portal, Guid accountId)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().FindAsync(accountId, CancellationToken.None);
    }

    public static async Task<IReadOnlyList<ProviderAccountSummary>> ListAccountsAsync(this PortalFactory portal)
    {
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        return await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().ListAsync(CancellationToken.None);
    }
}
