using Poppy.CacheTier.Agent.Nginx;

namespace Poppy.CacheTier.Agent;

/// <summary>
/// How the agent runs its node: configuration section <c>Agent</c> (environment: <c>Agent__Token</c>, ...). Every path is
/// absolute or relative to the working directory.
/// </summary>
public sealed class AgentOptions
{
    public const string Section = "Agent";

    /// <summary>The node's token: callers of <c>/api/*</c> send it as <see cref="TokenHeader"/>. At least 16 characters.</summary>
    public string Token { get; set; } = "";

    /// <summary>The header that carries <see cref="Token"/>.</summary>
    public const string TokenHeader = "X-Node-Token";

    /// <summary>
    /// The node's folder: nginx configuration (<c>conf/</c>), the service documents received (<c>state/</c>), the caches
    /// (<c>cache/{service}/</c>), nginx's temp files, logs and pid file.
    /// </summary>
    public string Directory { get; set; } = "/var/lib/poppy-cache";

    /// <summary>Where nginx listens for viewers (nginx <c>listen</c> syntax: <c>address:port</c>).</summary>
    public string EdgeListen { get; set; } = "0.0.0.0:80";

    public NginxOptions Nginx { get; set; } = new();

    public CacheOptions Cache { get; set; } = new();

    public FilesOptions Files { get; set; } = new();

    /// <summary>
    /// A country database in nginx <c>geo</c> format (one <c>CIDR CC;</c> line per network, CC an ISO 3166 code), which
    /// geography restrictions need. Without it they are refused with a warning and not enforced.
    /// </summary>
    public string? CountryRangesFile { get; set; }

    /// <summary>The first problem with these options, or null.</summary>
    public string? Validate()
    {
        if (Token.Length < 16)
        {
            return "Agent:Token must be set, at least 16 characters.";
        }
        if (string.IsNullOrWhiteSpace(Directory))
        {
            return "Agent:Directory must be set.";
        }
        if (!EdgeAddress.TryParse(EdgeListen, out _))
        {
            return $"Agent:EdgeListen '{EdgeListen}' is not address:port (for example 0.0.0.0:80 or [::]:8080).";
        }
        if (CountryRangesFile is not null && !File.Exists(CountryRangesFile))
        {
            return $"Agent:CountryRangesFile '{CountryRangesFile}' does not exist.";
        }
        foreach (var (value, name) in new[] { (Cache.KeysZoneSize, "KeysZoneSize"), (Cache.Inactive, "Inactive"), (Cache.MaxSize ?? "1m", "MaxSize") })
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(value, "^[0-9]{1,9}[kmgdhs]?$"))
            {
                return $"Agent:Cache:{name} '{value}' is not an nginx size or time such as 10m or 7d.";
            }
        }
        foreach (var resolver in Nginx.Resolvers ?? [])
        {
            if (!NameServers.TryParse(resolver, out _))
            {
                return $"Agent:Nginx:Resolvers '{resolver}' is not an IP address with an optional port (10.0.0.2, 127.0.0.1:5353, [::1]:53).";
            }
        }
        if (Nginx.ResolverTimeout < TimeSpan.FromSeconds(1) || Nginx.ResolverTimeout > TimeSpan.FromMinutes(5))
        {
            return $"Agent:Nginx:ResolverTimeout {Nginx.ResolverTimeout} is not between 1 s and 5 min.";
        }
        if (!System.Text.RegularExpressions.Regex.IsMatch(Nginx.OutputBuffers, "^[1-9][0-9]{0,2} [1-9][0-9]{0,5}[km]?$"))
        {
            return $"Agent:Nginx:OutputBuffers '{Nginx.OutputBuffers}' is not 'number size' such as 2 256k.";
        }
        return Nginx.User is { } user && !System.Text.RegularExpressions.Regex.IsMatch(user, "^[a-z_][a-z0-9_-]{0,31}$")
            ? $"Agent:Nginx:User '{user}' is not a user name."
            : null;
    }
}

public sealed class NginxOptions
{
    public string Executable { get; set; } = "/usr/sbin/nginx";

    /// <summary>Start nginx when it is not running (otherwise the agent only reloads one that something else started).</summary>
    public bool Manage { get; set; } = true;

    /// <summary>Stop nginx when the agent stops. Off for production: an agent restart must not interrupt serving.</summary>
    public bool StopOnExit { get; set; }

    /// <summary>
    /// The user nginx's workers run as when nginx starts as root (nginx's default is nobody); it must be able to write
    /// the node's <c>cache/</c> and <c>temp/</c> folders. Null leaves nginx's default.
    /// </summary>
    public string? User { get; set; }

    public string WorkerProcesses { get; set; } = "auto";

    /// <summary>njs, which computes the <c>Age</c> header (Debian: libnginx-mod-http-js). Without it, no Age header.</summary>
    public string JsModule { get; set; } = "/usr/lib/nginx/modules/ngx_http_js_module.so";

    /// <summary>Write an access log under <c>logs/</c> (off: the edge's numbers come from the probes).</summary>
    public bool AccessLog { get; set; }

    /// <summary>
    /// The DNS servers nginx asks for origins given by host name, when a request needs one (IP address, optionally with
    /// <c>:port</c>). Null or empty: the <c>nameserver</c> lines of /etc/resolv.conf. nginx's resolver does not read
    /// /etc/hosts, so a name only there does not resolve; an origin that does not resolve answers 502 without
    /// affecting the other services.
    /// </summary>
    public string[]? Resolvers { get; set; }

    /// <summary>How long nginx waits for a DNS answer before it gives the viewer a 502.</summary>
    public TimeSpan ResolverTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Start every cached body on a page boundary of its cache file (needs njs; the default). A cache file holds nginx's
    /// header, the key and the origin's response header before the body, so the body would start wherever they end; sent
    /// with sendfile from an unaligned offset it costs the receiving side about half again as much CPU, and nginx more
    /// too (bench/cache-tier). On: the node fetches from the origin through an origin side of its own (a server on
    /// <c>run/origins.sock</c>) that pads the header (<c>X-Poppy-Pad</c>, stripped again) to the next page; this costs a
    /// miss one more local hop. Off, or when that socket's path is longer than a unix socket's 107 bytes (a warning at
    /// start): the cache fetches from the origin directly.
    /// </summary>
    public bool AlignCachedBodies { get; set; } = true;

    /// <summary>
    /// Send cached bodies with <c>sendfile</c> (zero copy; the default; see <see cref="AlignCachedBodies"/>).
    /// Off: nginx reads the body into <see cref="OutputBuffers"/> and writes from there, which costs the node a copy.
    /// </summary>
    public bool Sendfile { get; set; } = true;

    /// <summary>nginx <c>output_buffers</c> (<c>number size</c>) used when <see cref="Sendfile"/> is off: memory held per
    /// connection that is sending a file.</summary>
    public string OutputBuffers { get; set; } = "2 256k";

    /// <summary>How long a reload may take before the agent gives up on it and rolls back.</summary>
    public TimeSpan ReloadTimeout { get; set; } = TimeSpan.FromSeconds(15);
}

public sealed class CacheOptions
{
    /// <summary>Shared memory for each service's cache keys (1m holds about 8,000 keys).</summary>
    public string KeysZoneSize { get; set; } = "10m";

    /// <summary>An entry nobody asked for this long is removed, fresh or not.</summary>
    public string Inactive { get; set; } = "7d";

    /// <summary>Disk limit per service (nginx size); null: none.</summary>
    public string? MaxSize { get; set; }
}

/// <summary>cache-tier's verify/download API.</summary>
public sealed class FilesOptions
{
    /// <summary>The service that <c>/verify/{file}</c> and <c>/download/{file}</c> use without <c>?service=</c>; null: the only one held.</summary>
    public string? DefaultService { get; set; }

    /// <summary>How long one fetch through the edge may take (large files).</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a failed fetch is reported before verify tries again.</summary>
    public TimeSpan FailureMemory { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Fetches running at once; more wait their turn.</summary>
    public int MaxConcurrentFetches { get; set; } = 8;
}
