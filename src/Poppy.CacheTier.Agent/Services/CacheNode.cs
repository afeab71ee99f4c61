using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Poppy.CacheTier.Agent.Nginx;

namespace Poppy.CacheTier.Agent.Services;

/// <summary>
/// The node: the services it holds and the nginx that serves them. Every change is checked by <c>nginx -t</c> on a
/// copy of the whole configuration (staging folder) before it touches the live files, then nginx is reloaded and the
/// agent waits until a new connection sees the new configuration's generation; if that never happens, the previous
/// files are put back and nginx reloaded onto them. Changes run one at a time.
/// </summary>
public sealed partial class CacheNode : IAsyncDisposable
{
    private readonly NodeLayout layout;
    private readonly AgentOptions options;
    private readonly NginxProcess nginx;
    private readonly NginxConfigRenderer renderer;
    private readonly HttpClient edgeClient;
    private readonly TimeProvider clock;
    private readonly ILogger<CacheNode> logger;
    private readonly SemaphoreSlim changes = new(1, 1);
    private readonly Dictionary<string, HeldService> services = new(StringComparer.Ordinal);
    private readonly Lock servicesGate = new();
    private readonly string generationBase;
    private long generationCounter;

    internal CacheNode(AgentOptions options, HttpClient edgeClient, TimeProvider clock, ILogger<CacheNode> logger)
    {
        this.options = options;
        this.edgeClient = edgeClient;
        this.clock = clock;
        this.logger = logger;
        layout = new NodeLayout(options.Directory);
        nginx = new NginxProcess(layout, options.Nginx);
        Features = new NginxFeatures(File.Exists(options.Nginx.JsModule), options.CountryRangesFile, NameServers.For(options.Nginx));
        renderer = new NginxConfigRenderer(layout, options, Features);
        Edge = EdgeAddress.TryParse(options.EdgeListen, out var edge) ? edge : throw new ArgumentException(options.EdgeListen);
        generationBase = clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
    }

    public string? NginxVersion { get; private set; }

    public ReloadRecord? LastReload { get; private set; }

    public bool NginxRunning => nginx.RunningPid() is not null;

    internal NginxFeatures Features { get; }

    internal EdgeAddress Edge { get; }

    internal NodeLayout Layout => layout;

    public IReadOnlyList<HeldService> Services
    {
        get
        {
            lock (servicesGate)
            {
                return [.. services.Values.OrderBy(s => s.Id, StringComparer.Ordinal)];
            }
        }
    }

    public HeldService? Find(string serviceId)
    {
        lock (servicesGate)
        {
            return services.GetValueOrDefault(serviceId);
        }
    }

    /// <summary>
    /// Prepares the folder, re-renders every stored service (a service nginx refuses on its own is left out and
    /// logged), and starts nginx or reloads the one already running.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!nginx.Exists)
        {
            throw new InvalidOperationException($"nginx is not installed at {options.Nginx.Executable} (Debian: apt-get install nginx).");
        }
        layout.Create();
        if (Features.AgeHeader)
        {
            await using var script = typeof(CacheNode).Assembly.GetManifestResourceStream("Poppy.CacheTier.Agent.poppy.js")!;
            await using var file = File.Create(layout.AgeScript);
            await script.CopyToAsync(file, cancellationToken);
        }
        else
        {
            LogNoAgeHeader(logger, options.Nginx.JsModule);
        }
        if (Features.AgeHeader && options.Nginx.AlignCachedBodies && !layout.OriginSocketFits)
        {
            LogOriginSocketTooLong(logger, layout.OriginSocket);
        }
        NginxVersion = await nginx.GetVersionAsync(cancellationToken);

        var stored = new Dictionary<string, HeldService>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(layout.State, "*.json"))
        {
            var id = Path.GetFileNameWithoutExtension(file);
            try
            {
                var config = JsonSerializer.Deserialize<ServiceConfig>(await File.ReadAllTextAsync(file, cancellationToken), ServiceConfig.Json)!;
                if (ServiceConfigValidator.Validate(id, config).Count == 0)
                {
                    var rendered = renderer.RenderService(id, config);
                    stored[id] = new HeldService(id, config, rendered.Text, rendered.Warnings, File.GetLastWriteTimeUtc(file));
                    continue;
                }
            }
            catch (JsonException)
            {
                // logged below; the file stays, so a fixed agent can still read it
            }
            LogStoredServiceUnreadable(logger, file);
        }

        if (await TestAsync(stored.ToDictionary(s => s.Key, s => s.Value.Text), cancellationToken) is { Succeeded: false })
        {
            foreach (var service in stored.Values.ToList())
            {
                var alone = await TestAsync(new() { [service.Id] = service.Text }, cancellationToken);
                if (!alone.Succeeded)
                {
                    LogStoredServiceRefused(logger, service.Id, alone.Output);
                    stored.Remove(service.Id);
                }
            }
        }

        foreach (var file in Directory.EnumerateFiles(layout.Services, "*.conf"))
        {
            File.Delete(file);
        }
        foreach (var service in stored.Values)
        {
            await WriteAtomicallyAsync(layout.ServiceConf(service.Id), service.Text, cancellationToken);
        }
        lock (servicesGate)
        {
            services.Clear();
            foreach (var service in stored.Values)
            {
                services[service.Id] = service;
            }
        }

        var reload = await ReloadAsync(cancellationToken);
        if (!reload.Succeeded)
        {
            throw new InvalidOperationException($"nginx did not start: {reload.Error}");
        }
    }

    /// <summary>Creates or replaces the service (PUT semantics: the same document twice changes nothing the second time).</summary>
    public async Task<ApplyOutcome> ApplyAsync(string serviceId, ServiceConfig config, CancellationToken cancellationToken)
    {
        var errors = ServiceConfigValidator.Validate(serviceId, config);
        if (errors.Count > 0)
        {
            return new ApplyOutcome(ApplyStatus.Invalid, Errors: errors);
        }
        config.ServiceId = serviceId;

        await changes.WaitAsync(cancellationToken);
        try
        {
            var current = Services;
            foreach (var other in current.Where(s => s.Id != serviceId))
            {
                if (other.Config.Domains.Select(d => d.Domain).Intersect(config.Domains.Select(d => d.Domain)).FirstOrDefault() is { } taken)
                {
                    return new ApplyOutcome(ApplyStatus.Conflict, Message: $"Domain {taken} is served by service {other.Id} on this node.");
                }
            }

            var rendered = renderer.RenderService(serviceId, config);
            var json = JsonSerializer.Serialize(config, ServiceConfig.Json);
            var previous = Find(serviceId);
            if (previous is not null && previous.Text == rendered.Text && JsonSerializer.Serialize(previous.Config, ServiceConfig.Json) == json)
            {
                return new ApplyOutcome(ApplyStatus.Unchanged, previous, Warnings: previous.Warnings);
            }

            var candidate = current.ToDictionary(s => s.Id, s => s.Text);
            candidate[serviceId] = rendered.Text;
            var test = await TestAsync(candidate, cancellationToken);
            if (!test.Succeeded)
            {
                if (previous is null)
                {
                    DeleteDirectory(layout.ServiceCache(serviceId)); // nginx -t creates the cache folder it was shown
                }
                return new ApplyOutcome(ApplyStatus.Refused, NginxError: test.Output, Warnings: rendered.Warnings);
            }

            var held = new HeldService(serviceId, config, rendered.Text, rendered.Warnings, clock.GetUtcNow());
            await WriteAtomicallyAsync(layout.ServiceConf(serviceId), rendered.Text, cancellationToken);
            await WriteAtomicallyAsync(layout.ServiceState(serviceId), json, cancellationToken);
            var reload = await ReloadAsync(cancellationToken);
            if (!reload.Succeeded)
            {
                await RestoreAsync(serviceId, previous, cancellationToken);
                return new ApplyOutcome(ApplyStatus.Refused, NginxError: reload.Error, Warnings: rendered.Warnings);
            }
            SetService(serviceId, held);
            return new ApplyOutcome(ApplyStatus.Applied, held, Warnings: rendered.Warnings);
        }
        finally
        {
            changes.Release();
        }
    }

    /// <summary>Removes the service and its cache. True when it was held; removing one that is not is no error.</summary>
    public async Task<(bool Removed, string? NginxError)> RemoveAsync(string serviceId, CancellationToken cancellationToken)
    {
        await changes.WaitAsync(cancellationToken);
        try
        {
            var previous = Find(serviceId);
            if (previous is null)
            {
                return (false, null);
            }
            File.Delete(layout.ServiceConf(serviceId));
            File.Delete(layout.ServiceState(serviceId));
            var reload = await ReloadAsync(cancellationToken);
            if (!reload.Succeeded)
            {
                await RestoreAsync(serviceId, previous, cancellationToken);
                return (false, reload.Error);
            }
            SetService(serviceId, null);
            DeleteDirectory(layout.ServiceCache(serviceId));
            return (true, null);
        }
        finally
        {
            changes.Release();
        }
    }

    /// <summary>
    /// Purges one path (as viewers request it, with its query if any) on every domain of the service, or, when
    /// <paramref name="path"/> is null, everything the service has cached. See <see cref="NginxCacheFiles"/>.
    /// </summary>
    public PurgeOutcome? Purge(string serviceId, string? path, bool hard)
    {
        var service = Find(serviceId);
        if (service is null)
        {
            return null;
        }
        var cache = layout.ServiceCache(serviceId);
        var now = clock.GetUtcNow();
        var count = 0;
        if (path is null)
        {
            foreach (var file in NginxCacheFiles.All(cache))
            {
                count += NginxCacheFiles.Purge(file, hard, now) ? 1 : 0;
            }
            return new PurgeOutcome(serviceId, null, hard, count);
        }

        var q = path.IndexOf('?');
        var query = q >= 0 ? path[(q + 1)..] : null;
        var decoded = Uri.UnescapeDataString(q >= 0 ? path[..q] : path);
        if (decoded == "/" && service.Config.DefaultRootObject is { } root)
        {
            decoded = "/" + root; // what nginx's rewrite made of "/" before the cache saw it
        }
        foreach (var domain in service.Config.Domains)
        {
            var key = NginxCacheFiles.Key(domain.Domain, decoded, query);
            count += NginxCacheFiles.Purge(NginxCacheFiles.PathFor(cache, key), hard, now, key) ? 1 : 0;
        }
        return new PurgeOutcome(serviceId, path, hard, count);
    }

    /// <summary>Stops nginx when the options say so (tests, the portal's development node).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!options.Nginx.StopOnExit || nginx.RunningPid() is not { } pid)
        {
            return;
        }
        var stop = await nginx.SignalAsync("stop", cancellationToken);
        if (!stop.Succeeded)
        {
            _ = Kill(pid, SigTerm); // the signaller parses the configuration; if that fails, signal the master directly
        }
        if (!await nginx.WaitForExitAsync(TimeSpan.FromSeconds(10), cancellationToken))
        {
            LogNginxDidNotStop(logger, pid);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        changes.Dispose();
    }

    /// <summary>Runs <c>nginx -t</c> over the main configuration with exactly <paramref name="serviceTexts"/>.</summary>
    private async Task<NginxCommandResult> TestAsync(Dictionary<string, string> serviceTexts, CancellationToken cancellationToken)
    {
        foreach (var file in Directory.EnumerateFiles(layout.StagingServices))
        {
            File.Delete(file);
        }
        foreach (var (id, text) in serviceTexts)
        {
            await File.WriteAllTextAsync(Path.Combine(layout.StagingServices, id + ".conf"), text, cancellationToken);
        }
        await File.WriteAllTextAsync(layout.StagingMainConf, renderer.RenderMain(layout.StagingServices, "test"), cancellationToken);
        var result = await nginx.TestAsync(layout.StagingMainConf, cancellationToken);
        // Name the files as they will be, not as the staging copy.
        var output = result.Output.Replace(layout.StagingServices, layout.Services, StringComparison.Ordinal)
            .Replace(layout.StagingMainConf, layout.MainConf, StringComparison.Ordinal);
        return result with { Output = output };
    }

    /// <summary>
    /// Writes the main configuration with a new generation, reloads (or starts) nginx and waits until a fresh connection
    /// is answered by the new configuration. nginx keeps its old configuration when the new one fails to load; the
    /// error is in its log, read from where it stood before the reload.
    /// </summary>
    private async Task<ReloadRecord> ReloadAsync(CancellationToken cancellationToken)
    {
        var generation = $"{generationBase}-{Interlocked.Increment(ref generationCounter)}";
        await WriteAtomicallyAsync(layout.MainConf, renderer.RenderMain(layout.Services, generation), cancellationToken);
        var logLength = File.Exists(layout.ErrorLog) ? new FileInfo(layout.ErrorLog).Length : 0;

        string? error = null;
        NginxCommandResult command;
        IReadOnlySet<int> oldWorkers = new HashSet<int>();
        if (nginx.RunningPid() is { } master)
        {
            oldWorkers = NginxProcess.AcceptingWorkers(master);
            command = await nginx.SignalAsync("reload", cancellationToken);
        }
        else if (options.Nginx.Manage)
        {
            // nginx removes its unix socket when it stops, but not when it was killed, and would not start beside it.
            File.Delete(layout.OriginSocket);
            command = await nginx.StartAsync(cancellationToken);
        }
        else
        {
            command = new NginxCommandResult(false, $"nginx is not running (no live process in {layout.PidFile}) and Agent:Nginx:Manage is off.");
        }

        if (!command.Succeeded)
        {
            error = command.Output;
        }
        else if (!await WaitForGenerationAsync(generation, oldWorkers, cancellationToken))
        {
            error = ReadLogSince(logLength) is { Length: > 0 } log
                ? log
                : $"nginx did not take the new configuration within {options.Nginx.ReloadTimeout.TotalSeconds:0} s.";
        }

        var record = new ReloadRecord(clock.GetUtcNow(), error is null, generation, error);
        LastReload = record;
        if (error is not null)
        {
            LogReloadFailed(logger, error);
        }
        return record;
    }

    /// <summary>
    /// Done when a new connection is answered with <paramref name="generation"/> and none of the workers that accepted
    /// connections before the reload still does (an old worker would serve a new connection the old configuration).
    /// </summary>
    private async Task<bool> WaitForGenerationAsync(string generation, IReadOnlySet<int> oldWorkers, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        var probe = new Uri(Edge.LocalUrl, NginxConfigRenderer.GenerationPath);
        var generationSeen = false;
        while (clock.GetElapsedTime(started) < options.Nginx.ReloadTimeout)
        {
            if (generationSeen)
            {
                if (nginx.RunningPid() is not { } master || !NginxProcess.AcceptingWorkers(master).Overlaps(oldWorkers))
                {
                    return true;
                }
                await Task.Delay(10, cancellationToken);
                continue;
            }
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, probe);
                request.Headers.Host = NginxConfigRenderer.ProbeHost;
                request.Headers.ConnectionClose = true; // a new connection goes to a worker of the newest configuration
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                using var response = await edgeClient.SendAsync(request, timeout.Token);
                if (response.StatusCode == HttpStatusCode.OK && await response.Content.ReadAsStringAsync(timeout.Token) == generation)
                {
                    generationSeen = true;
                    continue;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // not listening yet, or an old worker closing
            }
            await Task.Delay(25, cancellationToken);
        }
        return false;
    }

    /// <summary>Puts the service's previous files back (or removes a new service's) and reloads onto them.</summary>
    private async Task RestoreAsync(string serviceId, HeldService? previous, CancellationToken cancellationToken)
    {
        if (previous is null)
        {
            File.Delete(layout.ServiceConf(serviceId));
            File.Delete(layout.ServiceState(serviceId));
        }
        else
        {
            await WriteAtomicallyAsync(layout.ServiceConf(serviceId), previous.Text, cancellationToken);
            await WriteAtomicallyAsync(layout.ServiceState(serviceId), JsonSerializer.Serialize(previous.Config, ServiceConfig.Json), cancellationToken);
        }
        var reload = await ReloadAsync(cancellationToken);
        if (!reload.Succeeded)
        {
            LogRollbackFailed(logger, serviceId, reload.Error ?? "");
        }
    }

    private string ReadLogSince(long offset)
    {
        if (!File.Exists(layout.ErrorLog))
        {
            return "";
        }
        using var stream = new FileStream(layout.ErrorLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var lines = reader.ReadToEnd().Split('\n').Where(l => l.Contains("[emerg]", StringComparison.Ordinal) || l.Contains("[alert]", StringComparison.Ordinal));
        return string.Join('\n', lines).Trim();
    }

    private void SetService(string serviceId, HeldService? service)
    {
        lock (servicesGate)
        {
            if (service is null)
            {
                services.Remove(serviceId);
            }
            else
            {
                services[serviceId] = service;
            }
        }
    }

    private static async Task WriteAtomicallyAsync(string path, string text, CancellationToken cancellationToken)
    {
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, text, cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    private static void DeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // nginx wrote into it meanwhile; what is left is unreachable and its cache manager ages it out
        }
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [LoggerMessage(LogLevel.Warning, "No njs module at {Path}: responses will carry X-Cache but no Age header (Debian: apt-get install libnginx-mod-http-js).")]
    private static partial void LogNoAgeHeader(ILogger logger, string path);

    [LoggerMessage(LogLevel.Warning, "The origin side's socket path {Path} is longer than a unix socket's 107 bytes: cached bodies are not aligned (slower hits by sendfile; shorten Agent:Directory).")]
    private static partial void LogOriginSocketTooLong(ILogger logger, string path);

    [LoggerMessage(LogLevel.Error, "Stored service {File} is unreadable or invalid; it is not served.")]
    private static partial void LogStoredServiceUnreadable(ILogger logger, string file);

    [LoggerMessage(LogLevel.Error, "nginx refuses stored service {ServiceId}; it is not served: {Error}")]
    private static partial void LogStoredServiceRefused(ILogger logger, string serviceId, string error);

    [LoggerMessage(LogLevel.Error, "nginx reload failed: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string error);

    [LoggerMessage(LogLevel.Critical, "Rolling back service {ServiceId} failed too: {Error}")]
    private static partial void LogRollbackFailed(ILogger logger, string serviceId, string error);

    [LoggerMessage(LogLevel.Warning, "nginx (pid {Pid}) did not stop within 10 s.")]
    private static partial void LogNginxDidNotStop(ILogger logger, int pid);
}
