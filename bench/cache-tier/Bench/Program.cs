// bench/cache-tier: a cached 1 MiB file through a cache node (agent + nginx, started as the portal's development node
// is) against the same file served by plain nginx from disk, with wrk in the same run, alternating rounds; then the
// time from a change applied by the portal's cache-tier driver to the node serving it. See README.md beside this folder.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Poppy.CacheTier.Agent;
using Poppy.CacheTier.Agent.Hosting;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Providers.Cdn.CacheTier;

var duration = Environment.GetEnvironmentVariable("DURATION") ?? "10s";
var connections = int.Parse(Environment.GetEnvironmentVariable("CONNECTIONS") ?? "64", CultureInfo.InvariantCulture);
var threads = int.Parse(Environment.GetEnvironmentVariable("THREADS") ?? "2", CultureInfo.InvariantCulture);
var rounds = int.Parse(Environment.GetEnvironmentVariable("ROUNDS") ?? "3", CultureInfo.InvariantCulture);
var changes = int.Parse(Environment.GetEnvironmentVariable("CHANGES") ?? "20", CultureInfo.InvariantCulture);
var workers = Environment.GetEnvironmentVariable("WORKERS") ?? "2";
var nginxPath = Environment.GetEnvironmentVariable("NGINX") ?? "/usr/sbin/nginx";
const string Domain = "bench.example.test";
const string FilePath = "/files/file.bin";
var user = Environment.IsPrivilegedProcess ? "root" : null; // workers must read the temp folders, as the node's do

var work = Directory.CreateTempSubdirectory("poppy-cache-bench-").FullName;
var plain = Path.Combine(work, "plain");
CacheNodeHost? node = null;
CacheNodeHost? unaligned = null;
using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
try
{
    // The file, on disk for plain nginx, which is also the node's origin.
    Directory.CreateDirectory(Path.Combine(plain, "root", "files"));
    Directory.CreateDirectory(Path.Combine(plain, "temp"));
    await File.WriteAllBytesAsync(Path.Combine(plain, "root", "files", "file.bin"), RandomNumberGenerator.GetBytes(1 << 20));
    var plainPort = FreePort();
    await File.WriteAllTextAsync(Path.Combine(plain, "nginx.conf"), $$"""
        {{(user is null ? "" : $"user {user};")}}
        worker_processes {{workers}};
        pid {{plain}}/nginx.pid;
        error_log {{plain}}/error.log notice;
        events { worker_connections 4096; }
        http {
            default_type application/octet-stream;
            sendfile on;
            tcp_nopush on;
            keepalive_timeout 65s;
            server_tokens off;
            access_log off;
            client_body_temp_path {{plain}}/temp/body;
            proxy_temp_path {{plain}}/temp/proxy;
            fastcgi_temp_path {{plain}}/temp/fastcgi;
            uwsgi_temp_path {{plain}}/temp/uwsgi;
            scgi_temp_path {{plain}}/temp/scgi;
            server {
                listen 127.0.0.1:{{plainPort}};
                root {{plain}}/root;
            }
        }
        """);
    await RunAsync(nginxPath, $"-p {plain} -c {plain}/nginx.conf");
    var plainUrl = new Uri($"http://127.0.0.1:{plainPort}{FilePath}");
    await WaitForAsync(plainUrl, null);

    const string token = "bench-node-token-0123456789abcdef";
    node = await StartNodeAsync("node", alignCachedBodies: true);
    // The same node fetching from the origin directly, so that a cached body starts wherever the stored header ends
    // (Agent:Nginx:AlignCachedBodies=false, the agent's behaviour before the origin side pads it).
    unaligned = await StartNodeAsync("node-unaligned", alignCachedBodies: false);

    // The portal's side: the driver, as provisioning calls it, with the account's one node.
    var driver = new CacheTierDriver(new CacheTierNodeMonitor());
    var nodes = new Dictionary<string, string> { [CacheTierNodes.CredentialKey] = $"{node.AgentUrl} {token} http://{node.EdgeUrl.Authority}" };
    var call = new ProviderCall(Guid.NewGuid(), null, node.AgentUrl, nodes, http, TimeProvider.System);
    var spec = new ServiceSpec
    {
        Name = "bench",
        FlavorId = "self-hosted",
        Domains = [new DomainSpec { Domain = Domain }],
        Origins = [new OriginSpec { Origin = "127.0.0.1", Port = plainPort, HostHeaderType = HostHeaderType.Origin, Rules = [new RuleSpec { Name = "all", RequestUrl = "/*" }] }],
        Caching = [new CachingRuleSpec { Name = "files", Ttl = 86_400, Rules = [new RuleSpec { Name = "all", RequestUrl = "/*" }] }],
    };
    await driver.ApplyAsync(call, spec, CancellationToken.None);
    var unalignedNodes = new Dictionary<string, string> { [CacheTierNodes.CredentialKey] = $"{unaligned.AgentUrl} {token} http://{unaligned.EdgeUrl.Authority}" };
    await driver.ApplyAsync(call with { Credentials = unalignedNodes }, spec, CancellationToken.None);
    foreach (var url in new[] { new Uri(node.EdgeUrl, FilePath), new Uri(unaligned.EdgeUrl, FilePath) })
    {
        await WaitForAsync(url, Domain);
        var cache = await CacheStatusAsync(url, Domain);
        if (cache != "HIT")
        {
            throw new InvalidOperationException($"{url} does not serve the file from its cache (X-Cache: {cache}).");
        }
    }

    // Where each node's cache file of the 1 MiB answer has its body. The unaligned node's file, copied beside the plain
    // file and served by plain nginx from the offset where its body starts (after nginx's cache header and the stored
    // response header), shows what that offset alone costs.
    long BodyOffset(CacheNodeHost host, out string file)
    {
        file = Directory.EnumerateFiles(Path.Combine(host.Options.Directory, "cache"), "*", SearchOption.AllDirectories)
            .Single(f => new FileInfo(f).Length > 1 << 20);
        return new FileInfo(file).Length - (1 << 20);
    }
    // The node's rendered service, kept for PRINT_CONFIGS (the change runs below end by deleting the service).
    var serviceConfs = new Dictionary<string, string>();
    foreach (var file in Directory.EnumerateFiles(Path.Combine(node.Options.Directory, "conf", "services"), "*.conf"))
    {
        serviceConfs[file] = await File.ReadAllTextAsync(file);
    }
    var alignedOffset = BodyOffset(node, out _);
    var bodyOffset = BodyOffset(unaligned, out var cacheFile);
    File.Copy(cacheFile, Path.Combine(plain, "root", "files", "cache-copy.bin"));

    var plainPid = Path.Combine(plain, "nginx.pid");
    Target[] targets =
    [
        new("plain nginx from disk", plainUrl, null, null, plainPid),
        new("cache node (X-Cache HIT)", new Uri(node.EdgeUrl, FilePath), Domain, null, Path.Combine(node.Options.Directory, "run", "nginx.pid")),
        new($"node, body unaligned ({bodyOffset})", new Uri(unaligned.EdgeUrl, FilePath), Domain, null, Path.Combine(unaligned.Options.Directory, "run", "nginx.pid")),
        new($"plain, body at offset {bodyOffset}", new Uri($"http://127.0.0.1:{plainPort}/files/cache-copy.bin"), null,
            $"bytes={bodyOffset}-{bodyOffset + (1 << 20) - 1}", plainPid),
    ];
    Console.Error.WriteLine("warming up...");
    foreach (var target in targets)
    {
        await WrkAsync(target, "3s");
    }
    var runs = targets.ToDictionary(t => t, _ => new List<WrkResult>());
    for (var round = 1; round <= rounds; round++)
    {
        // Alternating, so that what else the machine does falls on every target alike.
        Console.Error.WriteLine($"round {round} of {rounds}...");
        foreach (var target in targets)
        {
            runs[target].Add(await WrkAsync(target, duration));
        }
    }
    var cacheAfter = await CacheStatusAsync(targets[1].Url, Domain);

    // A change in the portal reaching the node: each adds a new domain; timed from the driver's apply to the first 200
    // the node gives for that domain.
    var applyMs = new List<double>();
    var servingMs = new List<double>();
    for (var i = 1; i <= changes; i++)
    {
        var changed = $"change-{i}.{Domain}";
        spec.Domains = [new DomainSpec { Domain = Domain }, new DomainSpec { Domain = changed }];
        var started = Stopwatch.GetTimestamp();
        await driver.ApplyAsync(call, spec, CancellationToken.None);
        applyMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        await WaitForAsync(targets[1].Url, changed);
        servingMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    await driver.DeleteAsync(call, spec, CancellationToken.None);

    Console.WriteLine($"bench/cache-tier: 1 MiB file, wrk -t{threads} -c{connections} -d{duration}, loopback, nginx {node.Node.NginxVersion}, " +
                      $"{workers} worker processes each, Release build, {Environment.ProcessorCount} cores shared with wrk, {rounds} alternating rounds; " +
                      $"cached body at offset {alignedOffset} (node) and {bodyOffset} (unaligned node)");
    foreach (var target in targets)
    {
        for (var i = 0; i < rounds; i++)
        {
            Console.WriteLine($"  {(i == 0 ? target.Name : ""),-34} {runs[target][i]}");
        }
    }
    var medians = targets.Select(t => (Rps: Median(runs[t].Select(r => r.RequestsPerSecond)), Nginx: Median(runs[t].Select(r => r.NginxMicroseconds)),
        Wrk: Median(runs[t].Select(r => r.WrkMicroseconds)))).ToList();
    Console.WriteLine("  medians                            req/s   of plain   CPU/request: nginx    wrk");
    for (var i = 0; i < targets.Length; i++)
    {
        Console.WriteLine($"  {targets[i].Name,-34} {medians[i].Rps,6:0}   {medians[i].Rps / medians[0].Rps,6:0.00}   {medians[i].Nginx,18:0} us {medians[i].Wrk,5:0} us");
    }
    var ratio = medians[1].Rps / medians[0].Rps;
    var unalignedRatio = medians[2].Rps / medians[0].Rps;
    // By CPU: on a machine shared with other work, requests per second follow the CPU the run could get; what each
    // request costs the machine (server and client, both here) is steadier, and its inverse is the throughput the
    // machine would reach on its own.
    double CostRatio(int i) => (medians[0].Nginx + medians[0].Wrk) / (medians[i].Nginx + medians[i].Wrk);
    Console.WriteLine($"  node / plain: {ratio:0.00} (goal >= 0.90), body unaligned: {unalignedRatio:0.00}; " +
                      $"by CPU per request (nginx + wrk): {CostRatio(1):0.00} and {CostRatio(2):0.00}; X-Cache after the runs: {cacheAfter}");
    Console.WriteLine($"  change -> served ({changes} driver applies, each adding a domain): p50 {Percentile(servingMs, 50):0} ms, " +
                      $"p90 {Percentile(servingMs, 90):0} ms, max {servingMs.Max():0} ms (the apply call alone: p50 {Percentile(applyMs, 50):0} ms)");
    if (Environment.GetEnvironmentVariable("PRINT_CONFIGS") == "1")
    {
        foreach (var file in new[] { Path.Combine(plain, "nginx.conf"), Path.Combine(node.Options.Directory, "conf", "nginx.conf") })
        {
            Console.WriteLine($"--- {file}");
            Console.WriteLine(await File.ReadAllTextAsync(file));
        }
        foreach (var (file, text) in serviceConfs)
        {
            Console.WriteLine($"--- {file}");
            Console.WriteLine(text);
        }
    }
    return 0;
}
finally
{
    foreach (var started in new[] { node, unaligned })
    {
        if (started is not null)
        {
            await started.DisposeAsync();
        }
    }
    if (File.Exists(Path.Combine(plain, "nginx.pid")))
    {
        await RunAsync(nginxPath, $"-p {plain} -c {plain}/nginx.conf -s stop");
        for (var i = 0; i < 100 && File.Exists(Path.Combine(plain, "nginx.pid")); i++)
        {
            await Task.Delay(50);
        }
    }
    Directory.Delete(work, recursive: true);
}

async Task<CacheNodeHost> StartNodeAsync(string name, bool alignCachedBodies) => await CacheNodeHost.StartAsync(new AgentOptions
{
    Token = "bench-node-token-0123456789abcdef",
    Directory = Path.Combine(work, name),
    EdgeListen = $"127.0.0.1:{FreePort()}",
    Nginx = new NginxOptions { User = user, WorkerProcesses = workers, StopOnExit = true, Executable = nginxPath, AlignCachedBodies = alignCachedBodies },
}, CancellationToken.None);

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task RunAsync(string file, string arguments)
{
    using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
    var error = await process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} {arguments}: {error}");
    }
}

async Task WaitForAsync(Uri url, string? host)
{
    var started = Stopwatch.GetTimestamp();
    while (true)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (host is not null)
            {
                request.Headers.Host = host;
            }
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
            // not listening yet
        }
        if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(15))
        {
            throw new TimeoutException($"{url} (Host {host}) did not answer 200 within 15 s.");
        }
        await Task.Delay(1);
    }
}

async Task<string?> CacheStatusAsync(Uri url, string host)
{
    string? status = null;
    for (var i = 0; i < 2; i++)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Host = host;
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        status = response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;
    }
    return status;
}

// wrk through bash, whose `times` prints the CPU its child (wrk) used; the nginx workers' CPU is read from /proc before and
// after. CPU per request is steadier than requests per second on a machine shared with other work.
async Task<WrkResult> WrkAsync(Target target, string length)
{
    var arguments = $"-t{threads} -c{connections} -d{length} --latency " +
                    $"{(target.Host is null ? "" : $"-H 'Host: {target.Host}' ")}{(target.Range is null ? "" : $"-H 'Range: {target.Range}' ")}{target.Url}";
    var workersBefore = WorkerCpu(target.PidFile);
    var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
    start.ArgumentList.Add("-c");
    start.ArgumentList.Add($"wrk {arguments} && times");
    using var process = Process.Start(start)!;
    var output = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"wrk {arguments}: {await process.StandardError.ReadToEndAsync()}");
    }
    var workers = WorkerCpu(target.PidFile) - workersBefore;
    var requests = long.Parse(Regex.Match(output, @"(\d+) requests in").Groups[1].Value, CultureInfo.InvariantCulture);
    var rps = double.Parse(Regex.Match(output, @"Requests/sec:\s+([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
    var transfer = Regex.Match(output, @"Transfer/sec:\s+(\S+)").Groups[1].Value;
    var p99 = Regex.Match(output, @"^\s+99%\s+(\S+)", RegexOptions.Multiline).Groups[1].Value;
    var errors = Regex.Match(output, @"Non-2xx or 3xx responses:\s+(\d+)") is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    // `times`: the shell's own user/sys, then its children's.
    var children = Regex.Matches(output, @"(\d+)m([0-9.]+)s (\d+)m([0-9.]+)s")[^1].Groups;
    var wrkSeconds = Minutes(children[1].Value, children[2].Value) + Minutes(children[3].Value, children[4].Value);
    return new WrkResult(rps, transfer, p99, errors, workers.TotalMicroseconds / requests, wrkSeconds * 1e6 / requests);
}

static double Minutes(string minutes, string seconds) =>
    int.Parse(minutes, CultureInfo.InvariantCulture) * 60 + double.Parse(seconds, CultureInfo.InvariantCulture);

// User + system CPU of every child of the nginx master in the pid file (its workers and cache processes).
static TimeSpan WorkerCpu(string pidFile)
{
    var master = File.ReadAllText(pidFile).Trim();
    var ticks = 0L;
    foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(dir, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[1] == master)
            {
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
            // a process that ended meanwhile
        }
    }
    return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
}

static double Median(IEnumerable<double> values) => Percentile(values.ToList(), 50);

static double Percentile(List<double> values, int percent)
{
    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}

/// <summary>What wrk is pointed at: a URL, the Host and Range headers it sends, and the nginx whose workers serve it.</summary>
internal sealed record Target(string Name, Uri Url, string? Host, string? Range, string PidFile);

internal sealed record WrkResult(double RequestsPerSecond, string Transfer, string P99, int Errors, double NginxMicroseconds, double WrkMicroseconds)
{
    public override string ToString() =>
        $"{RequestsPerSecond,8:0} req/s  {Transfer,9}/s  p99 {P99,9}  non-2xx {Errors}  CPU/request: nginx {NginxMicroseconds,4:0} us, wrk {WrkMicroseconds,4:0} us";
}
