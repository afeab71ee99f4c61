using Microsoft.Extensions.Logging;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Dns;

/// <summary>
/// Test connection for DNS accounts, as <see cref="Providers.ProviderConnectionTester"/> is for CDN accounts: one cheap
/// authenticated read through the account's driver (finding its zone), so a wrong endpoint, credentials or zone show up
/// before steering depends on them. The outcome is returned, not stored (DNS accounts have no column for it yet).
/// Nothing at the vendor changes, so it is not audited.
/// </summary>
public sealed partial class DnsConnectionTester(
    AccessPolicy access,
    DnsAccountDirectory accounts,
    IEnumerable<IDnsDriver> drivers,
    ProviderResilience resilience,
    ILogger<DnsConnectionTester> logger)
{
    /// <summary>Tests the account's connection now; NotFound for an unknown account.</summary>
    public async Task<ChangeResult<ConnectionTestResult>> TestAsync(Guid accountId, CancellationToken cancellationToken)
    {
        // It reads the account's credentials and calls out with them: global administrators only.
        access.RequireGlobalAdmin();
        var account = await accounts.FindAsync(accountId, cancellationToken);
        if (account is null)
        {
            return ChangeResult.NotFound;
        }

        var result = await RunAsync(account, cancellationToken);
        LogTested(account.Name, result.Outcome, result.Message);
        return ChangeResult.Success(result);
    }

    private async Task<ConnectionTestResult> RunAsync(DnsAccountSummary account, CancellationToken cancellationToken)
    {
        var driver = drivers.FirstOrDefault(d => d.Kind == account.Kind);
        if (driver is null)
        {
            return new(ConnectionTestOutcome.Unexpected, $"The portal has no driver for {DnsCredentialFields.DisplayName(account.Kind)}.");
        }
        // The diagnostic client: the shared pool with a short timeout and no retries, so the answer is the vendor's as of now.
        if (await accounts.CallForAsync(account.Id, resilience.DiagnosticHttpClient, cancellationToken) is not { } call)
        {
            return new(ConnectionTestOutcome.BadCredentials,
                "The stored credentials can no longer be read (the Data Protection keys changed): enter every field again.");
        }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection test of DNS account {Account}: {Outcome}. {Detail}")]
    private partial void LogTested(string account, ConnectionTestOutcome outcome, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection test of DNS account {Account} failed unexpectedly")]
    private partial void LogUnexpected(Exception exception, string account);
}
