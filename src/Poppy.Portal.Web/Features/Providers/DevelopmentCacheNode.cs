using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Poppy.CacheTier.Agent;
using Poppy.CacheTier.Agent.Hosting;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;

namespace Poppy.Portal.Web.Features.Providers;

/// <summary>Settings of the development cache node (section <c>Portal:CacheNode</c>).</summary>
public sealed class DevelopmentCacheNodeOptions
{
    public const string Section = "Portal:CacheNode";

    /// <summary>Start a cache node with the portal when nginx is installed; on in appsettings.Development.json, off elsewhere.</summary>
    public bool Enabled { get; set; }

    /// <summary>The node's folder (nginx configuration, services held, cache, logs); relative paths are under the content root.</summary>
    public string Directory { get; set; } = "App_Data/cache-node";

    /// <summary>The agent's loopback port; 0: the one used last time if it is free, else any free one.</summary>
    public int AgentPort { get; set; }

    /// <summary>nginx's loopback port for viewers (a service's access URL); 0: the one used last time, else any free one.</summary>
    public int EdgePort { get; set; }

    public string NginxExecutable { get; set; } = "/usr/sbin/nginx";

    /// <summary>The user nginx's workers run as when the portal runs as root (they must write the node's folder).</summary>
    public string? NginxUser { get; set; }
}

public enum DevelopmentCacheNodeState
{
    /// <summary><c>Portal:CacheNode:Enabled</c> is off.</summary>
    Disabled,

    /// <summary>Enabled, but nginx is not installed: the portal runs without it and the Providers page says how to add it.</summary>
    NginxMissing,

    Running,

    /// <summary>Enabled and nginx is there, but the node did not start (see <see cref="DevelopmentCacheNode.Problem"/>).</summary>
    Failed,
}

/// <summary>
/// In Development, a cache node beside the portal, as <see cref="DevelopmentSimulators"/> gives it CDN vendors: the agent in
/// this process (<see cref="CacheNodeHost"/>) with nginx on loopback ports under <c>App_Data/cache-node</c>, a provider
/// account <see cref="AccountName"/> for it and a flavor <see cref="FlavorId"/> that uses it. A service deployed there
/// has the access URL <c>http://127.0.0.1:EDGEPORT</c>, which serves its domains by Host header. The token and the ports
/// are kept in the node's folder, so a restarted portal finds its node, its services and their access URLs as they were.
/// </summary>
public sealed partial class DevelopmentCacheNode(
    IServiceScopeFactory scopes, IConfiguration configuration, IHostEnvironment environment, ILoggerFactory loggers,
    ILogger<DevelopmentCacheNode> logger) : IHostedService, IAsyncDisposable
{
    public const string AccountName = "local-cache";
    public const string FlavorId = "self-hosted";
    public const string InstallCommand = "apt-get install nginx libnginx-mod-http-js";

    private const string SettingsFile = "portal-node.json";

    public DevelopmentCacheNodeState State { get; private set; } = DevelopmentCacheNodeState.Disabled;

    /// <summary>Why the node is not running, when it should be.</summary>
    public string? Problem { get; private set; }

    /// <summary>The running node (tests read its state and address through it).</summary>
    public CacheNodeHost? Host { get; private set; }

    /// <summary>Where viewers reach the node: the access URL of every service on it.</summary>
    public string? PublicUrl => Host is null ? null : $"http://{Host.EdgeUrl.Authority}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = configuration.GetSection(DevelopmentCacheNodeOptions.Section).Get<DevelopmentCacheNodeOptions>() ?? new();
        if (!options.Enabled)
        {
            return;
        }
        if (!File.Exists(options.NginxExecutable))
        {
            State = DevelopmentCacheNodeState.NginxMissing;
            Problem = $"nginx is not installed at {options.NginxExecutable}.";
            LogNginxMissing(options.NginxExecutable, InstallCommand);
            return;
        }

        var directory = Path.GetFullPath(Path.Combine(environment.ContentRootPath, options.Directory));
        try
        {
            System.IO.Directory.CreateDirectory(directory);
            var saved = await ReadSettingsAsync(directory, cancellationToken);
            var token = saved?.Token is { Length: >= CacheTierNodes.MinTokenLength } known ? known : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            var agentPort = options.AgentPort != 0 ? options.AgentPort : saved?.AgentPort ?? 0;
            var edgePort = options.EdgePort != 0 ? options.EdgePort : saved?.EdgePort is { } p and > 0 ? p : FreePort();
            try
            {
                Host = await StartNodeAsync(options, directory, token, agentPort, edgePort, cancellationToken);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException && (options.AgentPort == 0 || options.EdgePort == 0))
            {
                // A remembered port taken by something else meanwhile: new free ones (access URLs change at the next apply).
                LogPortsTaken(agentPort, edgePort, e.Message);
                Host = await StartNodeAsync(options, directory, token, options.AgentPort, options.EdgePort != 0 ? options.EdgePort : FreePort(), cancellationToken);
            }
            await WriteSettingsAsync(directory, new NodeSettings(token, Host.AgentUrl.Port, Host.EdgeUrl.Port), cancellationToken);
            State = DevelopmentCacheNodeState.Running;
            LogStarted(Host.AgentUrl, PublicUrl!, directory);
            await SeedAsync(new CacheTierNode(Host.AgentUrl, token, PublicUrl!), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            State = DevelopmentCacheNodeState.Failed;
            Problem = e.Message;
            LogFailed(e);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Host is { } host)
        {
            Host = null;
            await host.DisposeAsync();
        }
    }

    private async Task<CacheNodeHost> StartNodeAsync(DevelopmentCacheNodeOptions options, string directory, string token, int agentPort, int edgePort,
        CancellationToken cancellationToken)
    {
        var agent = new AgentOptions
        {
            Token = token,
            Directory = directory,
            EdgeListen = $"127.0.0.1:{edgePort}",
            Nginx = new NginxOptions
            {
                Executable = options.NginxExecutable,
                // Started as root, nginx's workers would run as nobody and could not write the node's cache and temp folders.
                User = options.NginxUser ?? (Environment.IsPrivilegedProcess ? "root" : null),
                WorkerProcesses = "1",
                StopOnExit = true,
            },
            Cache = new CacheOptions { KeysZoneSize = "1m" },
        };
        return await CacheNodeHost.StartAsync(agent, cancellationToken, agentPort,
            logging => logging.AddProvider(new ForwardingLoggerProvider(loggers))
                // Its Kestrel's "Now listening on" would read like the portal's own address; LogStarted says where it is.
                .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning));
    }

    /// <summary>
    /// Adds the account (or points it at this node again when its port or token changed) and the flavor when missing;
    /// an account of that name that is not a cache tier is left alone.
    /// </summary>
    private async Task SeedAsync(CacheTierNode node, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope(Actor.System("development-cache-node"));
        var accounts = scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>();
        var credentials = new Dictionary<string, string?> { [CacheTierNodes.CredentialKey] = CacheTierNodes.Format([node]) };
        var spec = new ProviderAccountSpec(AccountName, ProviderKind.CacheTier, node.AgentUrl.ToString(), credentials);
        var existing = await accounts.FindByNameAsync(AccountName, cancellationToken);
        if (existing is null)
        {
            var created = await accounts.CreateAsync(spec, cancellationToken);
            if (!created.Succeeded)
            {
                LogSeedFailed("account", string.Join("; ", created.Errors));
                return;
            }
        }
        else if (existing.Kind != ProviderKind.CacheTier)
        {
            LogSeedFailed("account", $"an account named {AccountName} exists and is {existing.Kind}; it is left as it is");
            return;
        }
        else if (await accounts.GetCredentialsAsync(existing.Id, cancellationToken) is not { } stored
                 || CacheTierNodes.From(stored).SequenceEqual([node]) is false || existing.ApiEndpoint != node.AgentUrl.ToString())
        {
            var updated = await accounts.UpdateAsync(existing.Id, spec, cancellationToken);
            if (!updated.Succeeded)
            {
                LogSeedFailed("account", string.Join("; ", updated.Errors));
            }
        }

        var flavors = scope.ServiceProvider.GetRequiredService<FlavorCatalog>();
        if (await flavors.FindAsync(FlavorId, cancellationToken) is null)
        {
            var created = await flavors.CreateAsync(new FlavorSpec(FlavorId, [FlavorProviderSpec.WithProviderUrl(AccountName, node.PublicHost)]), cancellationToken);
            if (!created.Succeeded)
            {
                LogSeedFailed("flavor", string.Join("; ", created.Errors));
            }
        }
    }

    private static async Task<NodeSettings?> ReadSettingsAsync(string directory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, SettingsFile);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<NodeSettings>(await File.ReadAllTextAsync(path, cancellationToken));
        }
        catch (JsonException)
        {
            return null; // a new token and ports; the account is pointed at them
        }
    }

    private static async Task WriteSettingsAsync(string directory, NodeSettings settings, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, SettingsFile);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(settings), cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // it holds the node token
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>What a restart needs to find the same node: its token and ports.</summary>
    private sealed record NodeSettings(string Token, int AgentPort, int EdgePort);

    /// <summary>The node's own logs go to the portal's logging, under their own categories.</summary>
    private sealed class ForwardingLoggerProvider(ILoggerFactory portal) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => portal.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No local cache node: nginx is not installed at {Path}. Install it ({Command}) and restart the portal to get one.")]
    private partial void LogNginxMissing(string path, string command);

    [LoggerMessage(Level = LogLevel.Information, Message = "Local cache node: agent {AgentUrl}, edge {EdgeUrl}, folder {Directory}")]
    private partial void LogStarted(Uri agentUrl, string edgeUrl, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The local cache node could not use ports {AgentPort}/{EdgePort} ({Error}); trying free ones")]
    private partial void LogPortsTaken(int agentPort, int edgePort, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The local cache node did not start; the portal runs without it")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not add the local cache node's {What}: {Errors}")]
    private partial void LogSeedFailed(string what, string errors);
}
