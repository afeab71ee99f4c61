using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Poppy.CacheTier.Agent;
using Poppy.CacheTier.Agent.Hosting;
using Poppy.CacheTier.Agent.Services;
using Xunit;

namespace Poppy.Portal.TestSupport.CacheTier;

/// <summary>
/// A real cache node for tests: the agent in this process on 127.0.0.1, and nginx (as root, its own prefix, config and
/// pid file in a temp folder) listening on a free loopback port. Disposing stops nginx and removes the folder. Shared by
/// the agent's tests (Poppy.CacheTier.Tests) and the portal's driver tests.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    public const string Token = "test-node-token-0123456789";

    private readonly TempDirectory? directory;

    private TestNode(CacheNodeHost host, TempDirectory? directory)
    {
        Host = host;
        this.directory = directory;
        Api = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = host.AgentUrl };
        Api.DefaultRequestHeaders.Add(AgentOptions.TokenHeader, Token);
        Public = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = host.AgentUrl };
        Edge = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = host.EdgeUrl };
    }

    public CacheNodeHost Host { get; }

    /// <summary>The agent's API with the node token.</summary>
    public HttpClient Api { get; }

    /// <summary>The agent without a token (verify, download, healthz).</summary>
    public HttpClient Public { get; }

    /// <summary>nginx, as viewers reach it.</summary>
    public HttpClient Edge { get; }

    public string Directory => Host.Options.Directory;

    /// <param name="countryRanges">nginx geo lines (<c>127.0.0.0/8 FR;</c>) for a country database; null: none.</param>
    /// <param name="existingDirectory">Start on a node folder that exists (a restart); it is not removed on dispose.</param>
    /// <param name="resolvers">The DNS servers nginx asks for origin host names (<c>127.0.0.1:PORT</c>); null: the
    /// system's (/etc/resolv.conf).</param>
    public static async Task<TestNode> StartAsync(string? countryRanges = null, string? existingDirectory = null, string[]? resolvers = null)
    {
        var directory = existingDirectory is null ? new TempDirectory("poppy-cache-node") : null;
        var root = existingDirectory ?? directory!.Path;
        string? countryFile = null;
        if (countryRanges is not null)
        {
            countryFile = Path.Combine(root, "countries.conf");
            await File.WriteAllTextAsync(countryFile, countryRanges);
        }
        var options = new AgentOptions
        {
            Token = Token,
            Directory = root,
            EdgeListen = $"127.0.0.1:{FreePort()}",
            CountryRangesFile = countryFile,
            Nginx = new NginxOptions
            {
                User = Environment.IsPrivilegedProcess ? "root" : null, // workers must write the temp folder
                WorkerProcesses = "1",
                StopOnExit = true,
                Resolvers = resolvers,
                ResolverTimeout = TimeSpan.FromSeconds(2),
            },
            Cache = new CacheOptions { KeysZoneSize = "1m" },
        };
        try
        {
            return new TestNode(await CacheNodeHost.StartAsync(options, CancellationToken.None), directory);
        }
        catch
        {
            directory?.Dispose();
            throw;
        }
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string NewDomain(string label) => $"{label}-{Guid.NewGuid():N}"[..(label.Length + 13)] + ".example.test";

    public static string NewServiceId(string label) => $"{label}-{Guid.NewGuid():N}";

    /// <summary>One domain, one origin on loopback (Host header: the origin's), one caching rule for every path.</summary>
    public static ServiceConfig Service(string domain, LoopbackOrigin origin, long ttl = 300) => new()
    {
        Domains = [new DomainConfig { Domain = domain }],
        Origins = [new OriginConfig { Origin = "127.0.0.1", Port = origin.Port, HostHeaderType = HostHeaderType.Origin }],
        Caching = [new CachingRuleConfig { Name = "everything", Ttl = ttl }],
    };

    public Task<HttpResponseMessage> PutAsync(string serviceId, ServiceConfig config) =>
        Api.PutAsync($"api/services/{serviceId}", JsonContent.Create(config, options: ServiceConfig.Json));

    /// <summary>PUTs and insists on 200.</summary>
    public async Task<JsonObject> ApplyAsync(string serviceId, ServiceConfig config)
    {
        using var response = await PutAsync(serviceId, config);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"PUT {serviceId}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public async Task<JsonObject> PurgeAsync(string serviceId, string? path, bool hard)
    {
        using var response = await Api.PostAsync($"api/services/{serviceId}/purge",
            JsonContent.Create(new { path, hard }, options: new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"purge {serviceId}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>A viewer's GET through nginx for <paramref name="domain"/>.</summary>
    public async Task<EdgeAnswer> GetAsync(string domain, string path, string? referer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        request.Headers.Host = domain;
        if (referer is not null)
        {
            request.Headers.Referrer = new Uri(referer);
        }
        using var response = await Edge.SendAsync(request);
        return new EdgeAnswer(
            response.StatusCode,
            await response.Content.ReadAsStringAsync(),
            response.Headers.TryGetValues("X-Cache", out var cache) ? cache.Single() : null,
            response.Headers.Age);
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        Public.Dispose();
        Edge.Dispose();
        await Host.DisposeAsync();
        directory?.Dispose();
    }
}

public sealed record EdgeAnswer(HttpStatusCode Status, string Body, string? XCache, TimeSpan? Age);
