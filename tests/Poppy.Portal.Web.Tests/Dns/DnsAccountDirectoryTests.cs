using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Dns;

/// <summary>
/// DNS accounts through the application service, in scopes with an actor (as a page or a job would call it): the
/// credentials are stored protected under their own purpose and shown only as a hint; only global admins change them.
/// </summary>
public sealed class DnsAccountDirectoryTests : PortalTest
{
    private const string Secret = "route53-secret-key-0123456789-abcd";
    private const string KeyId = "AKIAROUTE53TEST0001";

    private static readonly Actor Admin = Actor.User("dns-admin", "dns-admin", PortalRoles.Admin);

    [Fact]
    public async Task An_admin_creates_an_account_whose_credentials_are_stored_protected_and_shown_only_as_a_hint()
    {
        var created = await AsAsync(Admin, d => d.CreateAsync(Route53Spec("route53-main"), CancellationToken.None));
        Assert.True(created.Succeeded, string.Join(" ", created.Errors));
        var account = created.Value!;
        Assert.Equal(("route53-main", DnsProviderKind.Route53, "cdn.operator.test", 30), (account.Name, account.Kind, account.Zone, account.TtlSeconds));
        Assert.Equal("access_key_id ••••0001, secret_access_key ••••abcd", account.CredentialsHint);

        // What the drivers get: the credentials in full, the account's endpoint and zone.
        using var http = new HttpClient();
        var call = await AsAsync(Admin, d => d.CallForAsync(account.Id, http, CancellationToken.None));
        Assert.NotNull(call);
        Assert.Equal((new Uri("http://127.0.0.1:18099/route53/"), "cdn.operator.test"), (call.ApiEndpoint, call.Zone));
        Assert.Equal(new Dictionary<string, string> { ["access_key_id"] = KeyId, ["secret_access_key"] = Secret }, call.Credentials);
        Assert.DoesNotContain(Secret, call.ToString(), StringComparison.Ordinal);

        // The database and the audit log hold the protected form and the hint, never the secret.
        var rows = await Portal.ReadAllTextAsync("SELECT * FROM \"DnsAccounts\"",
            $"SELECT \"Before\", \"After\", \"Summary\" FROM \"AuditEntries\" WHERE \"EntityType\" = '{AuditEntityTypes.DnsAccount}'");
        Assert.Contains(rows, v => v.Contains("Created Amazon Route 53 DNS account route53-main", StringComparison.Ordinal));
        Assert.Contains(rows, v => v.Contains("secret_access_key ••••abcd", StringComparison.Ordinal));
        Assert.DoesNotContain(rows, v => v.Contains(Secret, StringComparison.Ordinal) || v.Contains(KeyId, StringComparison.Ordinal));

        // Protected under the DNS accounts' own purpose: the provider accounts' protector cannot read it.
        var stored = rows.Single(v => v.StartsWith("CfDJ8", StringComparison.Ordinal));
        var protection = Portal.Services.GetRequiredService<IDataProtectionProvider>();
        Assert.Contains(Secret, protection.CreateProtector(DnsAccountDirectory.CredentialsPurpose).Unprotect(stored), StringComparison.Ordinal);
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() =>
            protection.CreateProtector(ProviderAccountDirectory.CredentialsPurpose).Unprotect(stored));
    }

    [Fact]
    public async Task An_update_with_empty_secrets_keeps_them_and_a_delete_removes_the_account()
    {
        var id = (await AsAsync(Admin, d => d.CreateAsync(Route53Spec("r53"), CancellationToken.None))).Value!.Id;

        var updated = await AsAsync(Admin, d => d.UpdateAsync(id, Route53Spec("r53-renamed", ttl: 60) with
        {
            Credentials = new Dictionary<string, string?> { ["access_key_id"] = "", ["secret_access_key"] = null },
        }, CancellationToken.None));
        Assert.True(updated.Succeeded, string.Join(" ", updated.Errors));
        Assert.Equal(("r53-renamed", 60), (updated.Value!.Name, updated.Value.TtlSeconds));
        using var http = new HttpClient();
        Assert.Equal(Secret, (await AsAsync(Admin, d => d.CallForAsync(id, http, CancellationToken.None)))!.Credentials["secret_access_key"]);

        Assert.True((await AsAsync(Admin, d => d.DeleteAsync(id, CancellationToken.None))).Succeeded);
        Assert.Empty(await AsAsync(Admin, d => d.ListAsync(CancellationToken.None)));
        Assert.True((await AsAsync(Admin, d => d.DeleteAsync(id, CancellationToken.None))).IsNotFound);
    }

    [Fact]
    public async Task Invalid_entries_are_refused_with_a_message_per_field()
    {
        await AsAsync(Admin, d => d.CreateAsync(Route53Spec("taken"), CancellationToken.None));

        var result = await AsAsync(Admin, d => d.CreateAsync(
            new DnsAccountSpec("taken", DnsProviderKind.RackspaceDns, "ftp://x", "not a zone", 30, new Dictionary<string, string?> { ["api_key"] = "k" }),
            CancellationToken.None));

        Assert.False(result.Succeeded);
        Assert.Equal(["apiEndpoint", "credentials.identity_url", "credentials.username", "name", "ttlSeconds", "zone"],
            result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Contains(result.Errors, e => e.Message == "Rackspace Cloud DNS takes no TTL below 300 seconds.");
        Assert.Contains(result.Errors, e => e.Message == "A DNS account named 'taken' already exists.");
    }

    [Theory]
    [InlineData(PortalRoles.Operator)]
    [InlineData(PortalRoles.Viewer)]
    public async Task Only_global_admins_change_accounts_or_read_credentials_and_everyone_signed_in_lists_them(string role)
    {
        var id = (await AsAsync(Admin, d => d.CreateAsync(Route53Spec("r53"), CancellationToken.None))).Value!.Id;
        var user = Actor.User("someone", "someone", role);
        var restrictedAdmin = Actor.ApiToken("dns-admin", "dns-admin", PortalRoles.Admin, Guid.NewGuid());
        using var http = new HttpClient();

        foreach (var actor in new[] { user, restrictedAdmin })
        {
            await Assert.ThrowsAsync<AccessDeniedException>(() => AsAsync(actor, d => d.CreateAsync(Route53Spec("x"), CancellationToken.None)));
            await Assert.ThrowsAsync<AccessDeniedException>(() => AsAsync(actor, d => d.UpdateAsync(id, Route53Spec("x"), CancellationToken.None)));
            await Assert.ThrowsAsync<AccessDeniedException>(() => AsAsync(actor, d => d.DeleteAsync(id, CancellationToken.None)));
            await Assert.ThrowsAsync<AccessDeniedException>(() => AsAsync(actor, d => d.CallForAsync(id, http, CancellationToken.None)));
            await Assert.ThrowsAsync<AccessDeniedException>(() => AsAsync(actor, d => d.GetVisibleCredentialsAsync(id, CancellationToken.None)));
            var listed = Assert.Single(await AsAsync(actor, d => d.ListAsync(CancellationToken.None)));
            Assert.Equal("access_key_id ••••0001, secret_access_key ••••abcd", listed.CredentialsHint);
        }

        await Assert.ThrowsAsync<AccessDeniedException>(() => AsAsync(Actor.Anonymous, d => d.ListAsync(CancellationToken.None)));
        Assert.Equal("r53", Assert.Single(await AsAsync(Admin, d => d.ListAsync(CancellationToken.None))).Name);
    }

    private static DnsAccountSpec Route53Spec(string name, int? ttl = null) =>
        new(name, DnsProviderKind.Route53, "http://127.0.0.1:18099/route53", "CDN.Operator.Test.", ttl,
            new Dictionary<string, string?> { ["access_key_id"] = KeyId, ["secret_access_key"] = Secret });

    private async Task<T> AsAsync<T>(Actor actor, Func<DnsAccountDirectory, Task<T>> call)
    {
        await using var scope = Portal.Services.CreateAsyncScope(actor);
        return await call(scope.ServiceProvider.GetRequiredService<DnsAccountDirectory>());
    }
}
