using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Providers;

/// <summary>
/// Test connection: asks the account's vendor for one cheap authenticated read through the account's driver, so bad
/// credentials or a wrong endpoint show up before a service depends on them, and records the outcome on the account
/// (the Providers list shows it). Administrators run it on demand, and the account form runs it after every save.
/// Nothing at the vendor changes, so it is not audited.
/// </summary>
public sealed partial class ProviderConnectionTester(
    PortalDbContext db,
    AccessPolicy access,
    ProviderAccountDirectory accounts,
    IEnumerable<ICdnDriver> drivers,
    ProviderResilience resilience,
    TimeProvider clock,
    ILogger<ProviderConnectionTester> logger)
{
    /// <summary>Tests the account's connection now and records the outcome; NotFound for an unknown account.</summary>
    public async Task<ChangeResult<ConnectionTestResult>> TestAsync(Guid accountId, CancellationToken cancellationToken)
    {
        // It reads the account's credentials and calls out with them: global administrators only.
        access.RequireGlobalAdmin();
        var account = await db.Set<ProviderAccount>().SingleOrDefaultAsync(a => a.Id == accountId, cancellationToken);
        if (account is null)
        {
            return ChangeResult.NotFound;
        }

        var result = await RunAsync(account, cancellationToken);
        account.RecordConnectionTest(clock.GetUtcNow(), result);
        await db.SaveChangesAsync(cancellationToken);
        LogTested(account.Name, result.Outcome, result.Message);
        return ChangeResult.Success(result);
    }

    private async Task<ConnectionTestResult> RunAsync(ProviderAccount account, CancellationToken cancellationToken)
    {
        var driver = drivers.FirstOrDefault(d => d.Kind == account.Kind);
        if (driver is null)
        {
            return new(ConnectionTestOutcome.Unexpected, $"The portal has no driver for {ProviderCredentialFields.DisplayName(account.Kind)}.");
        }
        if (accounts.CredentialsOf(account) is not { } credentials)
        {
            return new(ConnectionTestOutcome.BadCredentials,
                "The stored credentials can no longer be read (the Data Protection keys changed): enter every field again.");
        }

        // No service: the request is about the account. The diagnostic client skips the account's retries and circuit,
        // so the answer is the vendor's as of now.
        var call = new ProviderCall(Guid.Empty, null, account.ApiBaseUri(), credentials, resilience.DiagnosticHttpClient, clock);
        try
        {
            return await driver.TestConnectionAsync(call, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogUnexpected(e, account.Name);
            return new(ConnectionTestOutcome.Unexpected, $"Unexpected error: {e.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection test of provider account {Account}: {Outcome}. {Detail}")]
    private partial void LogTested(string account, ConnectionTestOutcome outcome, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection test of provider account {Account} failed unexpectedly")]
    private partial void LogUnexpected(Exception exception, string account);
}
