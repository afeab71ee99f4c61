using Poppy.Portal.Core.Features.Steering;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Configuration;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Providers.Dns.PowerDns;

namespace Poppy.Portal.Web.Features.Dns;

/// <summary>Settings of the development PowerDNS (section <c>Portal:Dns:Local</c>).</summary>
public sealed class DevelopmentPowerDnsOptions
{
    public const string Section = "Portal:Dns:Local";

    /// <summary>Start a PowerDNS with the portal when it is installed; on in appsettings.Development.json, off elsewhere.</summary>
    public bool Enabled { get; set; }

    /// <summary>The server's folder (configuration, SQLite database, ports and key); relative paths are under the content root.</summary>
    public string Directory { get; set; } = "App_Data/pdns";

    /// <summary>Loopback port for DNS queries (UDP and TCP); 0: the one used last time if it is free, else any free one.</summary>
    public int DnsPort { get; set; }

    /// <summary>Loopback port of the HTTP API; 0: the one used last time if it is free, else any free one.</summary>
    public int ApiPort { get; set; }

    /// <summary>The zone the steering names of the simulators' services go in.</summary>
    public string Zone { get; set; } = "cdn.poppy.test";

    public string Executable { get; set; } = PowerDnsProcessOptions.DefaultExecutable;

    /// <summary>The gsqlite3 backend's schema (package pdns-backend-sqlite3).</summary>
    public string Schema { get; set; } = PowerDnsProcessOptions.DefaultSchema;

    public static void Check(DevelopmentPowerDnsOptions o, SettingChecks check) => check
        .Between(nameof(DnsPort), o.DnsPort, 0, 65535)
        .Between(nameof(ApiPort), o.ApiPort, 0, 65535)
        .Require(nameof(Zone), IsZone(o.Zone), o.Zone, "a zone name such as cdn.poppy.test");

    private static bool IsZone(string zone)
    {
        try
        {
            DnsRecordNames.NormalizeZone(zone);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

public enum LocalPowerDnsState
{
    /// <summary><c>Portal:Dns:Local:Enabled</c> is off.</summary>
    Disabled,

    /// <summary>Enabled, but pdns_server (or its SQLite backend) is not installed: the portal runs without it.</summary>
    NotInstalled,

    Running,

    /// <summary>Installed, but the server did not start or the account could not be added (see the problem).</summary>
    Failed,
}

/// <summary>
/// What the DNS page shows about the local PowerDNS: where it answers when it runs, else why not and how to get it.
/// </summary>
/// <param name="ApiUrl">The API base the account uses (<c>http://127.0.0.1:PORT/api/v1/</c>).</param>
/// <param name="DnsAddress">Where to query it: <c>127.0.0.1:PORT</c> (e.g. <c>dig @127.0.0.1 -p PORT name</c>).</param>
/// <param name="AccountName">The DNS account the portal added for it.</param>
/// <param name="InstallCommand">What to run when it is not installed (then restart the portal).</param>
public sealed record LocalPowerDnsStatus(
    LocalPowerDnsState State, Uri? ApiUrl, string? DnsAddress, string? Zone, string? AccountName, string? Problem, string InstallCommand)
{
    public bool IsRunning => State == LocalPowerDnsState.Running;

    /// <summary>Whether this portal manages a local server at all (Development, enabled); the DNS page says nothing otherwise.</summary>
    public bool IsManaged => State != LocalPowerDnsState.Disabled;
}

/// <summary>
/// In Development, a PowerDNS beside the portal, as <see cref="Providers.DevelopmentSimulators"/> gives it CDN vendors and
/// <see cref="Providers.DevelopmentCacheNode"/> a cache node: pdns_server (<see cref="PowerDnsProcess"/>) with its
/// SQLite database under <c>App_Data/pdns</c>, DNS and API on loopback ports, the zone <c>cdn.poppy.test</c> and a DNS
/// account <see cref="AccountName"/> for it. The API key and the ports are kept in the folder, so a restarted portal
/// finds its server, its records and the account's endpoint as they were. Without pdns_server the portal starts without
/// it and says how to install it (<see cref="Status"/>, the log).
/// </summary>
public sealed partial class DevelopmentPowerDns(
    IServiceScopeFactory scopes, IOptions<DevelopmentPowerDnsOptions> settings, IOptions<ServiceDnsOptions> steeringDns, IHostEnvironment environment, ILogger<DevelopmentPowerDns> logger)
    : IHostedService, IAsyncDisposable, ILocalDnsServerStatus
{
    public const string AccountName = "pdns-local";

    private const string SettingsFile = "portal-pdns.json";

    private volatile LocalPowerDnsStatus status = new(LocalPowerDnsState.Disabled, null, null, null, null, null, PowerDnsProcess.InstallCommand);

    /// <summary>The running server (tests query it), null when it does not run.</summary>
    public PowerDnsProcess? Server { get; private set; }

    public LocalPowerDnsStatus Status => status;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = settings.Value;
        if (!options.Enabled)
        {
            return;
        }
        if (!PowerDnsProcess.IsInstalled(options.Executable, options.Schema))
        {
            status = status with
            {
                State = LocalPowerDnsState.NotInstalled,
                Problem = $"PowerDNS is not installed ({options.Executable} or {options.Schema} is missing).",
            };
            LogNotInstalled(options.Executable, PowerDnsProcess.InstallCommand);
            return;
        }

        var directory = Path.GetFullPath(Path.Combine(environment.ContentRootPath, options.Directory));
        try
        {
            var zone = DnsRecordNames.NormalizeZone(options.Zone);
            Directory.CreateDirectory(directory);
            var saved = await ReadSettingsAsync(directory, cancellationToken);
            var apiKey = saved?.ApiKey is { Length: >= 16 } known ? known : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            var dnsPort = options.DnsPort != 0 ? options.DnsPort : saved?.DnsPort ?? 0;
            var apiPort = options.ApiPort != 0 ? options.ApiPort : saved?.ApiPort ?? 0;
            try
            {
                Server = await StartServerAsync(options, directory, apiKey, dnsPort, apiPort, cancellationToken);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException && (dnsPort, apiPort) != (options.DnsPort, options.ApiPort))
            {
                // A remembered port taken by something else meanwhile: free ones (the account is pointed at them).
                LogPortsTaken(dnsPort, apiPort, e.Message);
                Server = await StartServerAsync(options, directory, apiKey, options.DnsPort, options.ApiPort, cancellationToken);
            }
            await WriteSettingsAsync(directory, new ServerSettings(apiKey, Server.DnsPort, Server.ApiPort), cancellationToken);
            await Server.EnsureZoneAsync(zone, cancellationToken);
            await SeedAccountAsync(Server, zone, cancellationToken);
            status = new(LocalPowerDnsState.Running, Server.ApiBaseUrl, $"127.0.0.1:{Server.DnsPort}", zone, AccountName, null, PowerDnsProcess.InstallCommand);
            // Steering confirms each switch by asking the account's authoritative server; its port is only known now.
            steeringDns.Value.Nameservers[AccountName] = status.DnsAddress!;
            LogStarted(Server.DnsPort, Server.ApiBaseUrl, zone, AccountName, directory);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            status = status with { State = LocalPowerDnsState.Failed, Problem = e.Message };
            LogFailed(e);
            await DisposeAsync();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Server is { } server)
        {
            Server = null;
            await server.DisposeAsync();
        }
    }

    private static Task<PowerDnsProcess> StartServerAsync(
        DevelopmentPowerDnsOptions options, string directory, string apiKey, int dnsPort, int apiPort, CancellationToken cancellationToken) =>
        PowerDnsProcess.StartAsync(new PowerDnsProcessOptions
        {
            Directory = directory, ApiKey = apiKey, DnsPort = dnsPort, ApiPort = apiPort, Executable = options.Executable, Schema = options.Schema,
        }, cancellationToken);

    /// <summary>
    /// Adds the account, or points it at this server again when its port or key changed; an account of that name that is
    /// not PowerDNS is left alone.
    /// </summary>
    private async Task SeedAccountAsync(PowerDnsProcess server, string zone, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope(Actor.System("development-powerdns"));
        var accounts = scope.ServiceProvider.GetRequiredService<DnsAccountDirectory>();
        var spec = new DnsAccountSpec(AccountName, DnsProviderKind.PowerDns, server.ApiBaseUrl.ToString(), zone, null,
            new Dictionary<string, string?> { [PowerDnsDriver.ApiKey] = server.ApiKey });
        var existing = (await accounts.ListAsync(cancellationToken)).FirstOrDefault(a => a.Name == AccountName);
        if (existing is null)
        {
            var created = await accounts.CreateAsync(spec, cancellationToken);
            if (!created.Succeeded)
            {
                throw new InvalidOperationException($"Could not add the DNS account {AccountName}: {string.Join("; ", created.Errors)}");
            }
            return;
        }
        if (existing.Kind != DnsProviderKind.PowerDns)
        {
            LogAccountLeft(AccountName, existing.Kind);
            return;
        }

        using var http = new HttpClient();
        var call = await accounts.CallForAsync(existing.Id, http, cancellationToken);
        if (call is null || call.ApiEndpoint != server.ApiBaseUrl || call.Zone != zone
            || !call.Credentials.TryGetValue(PowerDnsDriver.ApiKey, out var key) || key != server.ApiKey)
        {
            var updated = await accounts.UpdateAsync(existing.Id, spec with { TtlSeconds = existing.TtlSeconds }, cancellationToken);
            if (!updated.Succeeded)
            {
                throw new InvalidOperationException($"Could not update the DNS account {AccountName}: {string.Join("; ", updated.Errors)}");
            }
        }
    }

    private static async Task<ServerSettings?> ReadSettingsAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, SettingsFile);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<ServerSettings>(await File.ReadAllTextAsync(path, cancellationToken));
        }
        catch (JsonException)
        {
            return null; // a new key and ports; the account is pointed at them
        }
    }

    private static async Task WriteSettingsAsync(string directory, ServerSettings settings, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, SettingsFile);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(settings), cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // it holds the API key
        }
    }

    /// <summary>What a restart needs to find the same server: its key and ports.</summary>
    private sealed record ServerSettings(string ApiKey, int DnsPort, int ApiPort);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No local PowerDNS: pdns_server is not installed at {Path}. Install it ({Command}) and restart the portal to get one; until then steering has no DNS server here.")]
    private partial void LogNotInstalled(string path, string command);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local PowerDNS: DNS 127.0.0.1:{DnsPort}, API {ApiUrl}, zone {Zone}, DNS account {Account}, folder {Directory}")]
    private partial void LogStarted(int dnsPort, Uri apiUrl, string zone, string account, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The local PowerDNS could not use ports {DnsPort}/{ApiPort} ({Error}); trying free ones")]
    private partial void LogPortsTaken(int dnsPort, int apiPort, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A DNS account named {Account} exists and is {Kind}; it is left as it is")]
    private partial void LogAccountLeft(string account, DnsProviderKind kind);

    [LoggerMessage(Level = LogLevel.Error, Message = "The local PowerDNS did not start; the portal runs without it")]
    private partial void LogFailed(Exception exception);
}
