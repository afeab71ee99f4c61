using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Providers;

namespace Poppy.Portal.Web.Tests.Providers;

/// <summary>What the database and the audit log hold of an account's credentials: the protected form and the hint, never a secret.</summary>
public sealed class ProviderAccountStorageTests : PortalTest
{
    [Fact]
    public async Task The_database_holds_only_protected_credentials_and_the_audit_only_the_hint()
    {
        var id = await Portal.CreateAccountAsync("aws", ProviderKind.CloudFront, "http://127.0.0.1:18081/");
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System()))
        {
            var renamed = await scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>().UpdateAsync(id,
                new ProviderAccountSpec("aws-main", ProviderKind.CloudFront, "http://127.0.0.1:18081/", new Dictionary<string, string?>()), CancellationToken.None);
            Assert.True(renamed.Succeeded);
        }

        var rows = await Portal.ReadAllTextAsync("SELECT * FROM \"ProviderAccounts\"", "SELECT \"Before\", \"After\", \"Summary\" FROM \"AuditEntries\" WHERE \"EntityType\" = 'provider-account'");

        Assert.NotEmpty(rows);
        foreach (var secret in ProviderAccountForms.Secrets(ProviderKind.CloudFront))
        {
            Assert.DoesNotContain(rows, value => value.Contains(secret, StringComparison.Ordinal));
        }
        Assert.Contains(rows, value => value.Contains("secret_access_key ••••ffff", StringComparison.Ordinal));
        Assert.Equal(ProviderAccountForms.SampleCredentials(ProviderKind.CloudFront), await Portal.CredentialsAsync(id));
    }
}
