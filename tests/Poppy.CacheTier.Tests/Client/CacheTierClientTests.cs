using System.Collections.Concurrent;
using System.Diagnostics;
using Poppy.CacheTier.Client;
using Poppy.CacheTier.Tests.Infrastructure;

namespace Poppy.CacheTier.Tests.Client;

/// <summary>The client against a real node; a pass-through handler counts (and can slow) the requests that reach it.</summary>
[Collection(NodeCollection.Name)]
public sealed class CacheTierClientTests(NodeFixture fixture)
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task The_local_cache_time_is_respected_on_the_injected_clock()
    {
        var (serviceId, origin) = await ServiceAsync();
        await using var _ = origin;
        var clock = new ManualClock();
        var counter = new CountingHandler();
        var options = new CacheTierClientOptions { NodeUrl = Node.Host.AgentUrl, ServiceId = serviceId };
        Assert.Equal(TimeSpan.FromSeconds(120), options.LocalCacheTime);
        var client = new CacheTierClient(new HttpClient(counter), options, clock);

        var first = await client.VerifyFileAsync("movie.mp4");
        Assert.False(first.Available); // the node starts fetching it
        await WaitUntilCachedAsync(serviceId, "movie.mp4");

        clock.Advance(TimeSpan.FromSeconds(119));
        var cached = await client.VerifyFileAsync("movie.mp4");
        Assert.False(cached.Available); // still the answer from 119 s ago
        Assert.Equal(first.CheckedAt, cached.CheckedAt);
        Assert.Equal(1, counter.RequestsFor("movie.mp4"));

        clock.Advance(TimeSpan.FromSeconds(1));
        var asked = await client.VerifyFileAsync("movie.mp4");
        Assert.True(asked.Available);
        Assert.Equal(2, counter.RequestsFor("movie.mp4"));
        Assert.Equal(1, origin.RequestsFor("/movie.mp4"));
    }

    [Fact]
    public async Task Concurrent_callers_cause_one_request_per_file_per_period()
    {
        var (serviceId, origin) = await ServiceAsync();
        await using var _ = origin;
        var clock = new ManualClock();
        var counter = new CountingHandler { Delay = TimeSpan.FromMilliseconds(300) }; // every caller arrives while the first request is out
        var client = new CacheTierClient(new HttpClient(counter), new CacheTierClientOptions { NodeUrl = Node.Host.AgentUrl, ServiceId = serviceId }, clock);
        string[] files = ["a.bin", "b.bin", "c.bin", "d.bin", "e.bin"];

        var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(() => client.VerifyFileAsync(files[i % files.Length]))));

        Assert.All(files, f => Assert.Equal(1, counter.RequestsFor(f)));
        Assert.All(files, f => Assert.Single(answers.Where(a => a.File == f).Select(a => a.CheckedAt).Distinct()));

        clock.Advance(TimeSpan.FromSeconds(121));
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => client.VerifyFileAsync("a.bin"))));
        Assert.Equal(2, counter.RequestsFor("a.bin"));
        Assert.Equal(1, counter.RequestsFor("b.bin"));
    }

    [Fact]
    public async Task Refresh_asks_the_node_now_and_keeps_its_answer()
    {
        var (serviceId, origin) = await ServiceAsync();
        await using var _ = origin;
        var counter = new CountingHandler();
        var client = new CacheTierClient(new HttpClient(counter), new CacheTierClientOptions { NodeUrl = Node.Host.AgentUrl, ServiceId = serviceId }, new ManualClock());

        Assert.False((await client.VerifyFileAsync("report.pdf")).Available);
        await WaitUntilCachedAsync(serviceId, "report.pdf");
        Assert.True((await client.RefreshStatusAsync("report.pdf")).Available);
        Assert.True((await client.VerifyFileAsync("report.pdf")).Available);
        Assert.Equal(2, counter.RequestsFor("report.pdf"));
    }

    [Fact]
    public async Task Every_failure_counts_as_not_available_and_is_kept_for_the_period()
    {
        await using var textServer = await LoopbackOrigin.StartAsync(); // answers 200 text/plain, not the node's JSON
        var (serviceId, origin) = await ServiceAsync();
        await using var _ = origin;
        var nodes = new (string Case, Uri Url, string? Service)[]
        {
            ("node down", new Uri($"http://127.0.0.1:{TestNode.FreePort()}/"), serviceId),
            ("not a node", textServer.Url, serviceId),
            ("unknown service", Node.Host.AgentUrl, "no-such-service"),
        };
        foreach (var (name, url, service) in nodes)
        {
            var counter = new CountingHandler();
            var client = new CacheTierClient(new HttpClient(counter), new CacheTierClientOptions { NodeUrl = url, ServiceId = service }, new ManualClock());

            var status = await client.VerifyFileAsync("x.zip");

            Assert.False(status.Available, name);
            Assert.True(status.Error, name);
            Assert.False(string.IsNullOrEmpty(status.ErrorMessage), name);
            await client.VerifyFileAsync("x.zip");
            Assert.Equal(1, counter.RequestsFor("x.zip"));
        }

        var slow = new CountingHandler { Delay = TimeSpan.FromSeconds(5) };
        var impatient = new CacheTierClient(new HttpClient(slow),
            new CacheTierClientOptions { NodeUrl = Node.Host.AgentUrl, ServiceId = serviceId, RequestTimeout = TimeSpan.FromMilliseconds(200) });
        var timedOut = await impatient.VerifyFileAsync("x.zip");
        Assert.False(timedOut.Available);
        Assert.True(timedOut.Error);
    }

    [Fact]
    public void The_download_url_is_the_nodes_with_the_path_escaped_and_the_service_named()
    {
        var client = new CacheTierClient(new HttpClient(), new CacheTierClientOptions { NodeUrl = new Uri("http://cache1.example.test:8081"), ServiceId = "site 1" });

        Assert.Equal("http://cache1.example.test:8081/download/releases/app%201.2%2Bfinal.zip?service=site%201",
            client.BuildDownloadUrl("releases/app 1.2+final.zip").AbsoluteUri);
        Assert.Throws<ArgumentException>(() => client.BuildDownloadUrl("../etc/passwd"));
        Assert.Throws<ArgumentException>(() => new CacheTierClient(new HttpClient(), new CacheTierClientOptions()));
    }

    [Fact]
    public async Task The_download_url_redirects_to_the_edge_once_the_node_has_the_file()
    {
        var (serviceId, origin) = await ServiceAsync();
        await using var _ = origin;
        var client = new CacheTierClient(new HttpClient(), new CacheTierClientOptions { NodeUrl = Node.Host.AgentUrl, ServiceId = serviceId });
        await client.VerifyFileAsync("game.iso");
        await WaitUntilCachedAsync(serviceId, "game.iso");

        using var response = await Node.Public.GetAsync(client.BuildDownloadUrl("game.iso"));
        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        Assert.EndsWith(".example.test/game.iso", response.Headers.Location!.AbsoluteUri);
    }

    private async Task<(string ServiceId, LoopbackOrigin Origin)> ServiceAsync()
    {
        var origin = await LoopbackOrigin.StartAsync();
        var id = TestNode.NewServiceId("client");
        await Node.ApplyAsync(id, TestNode.Service(TestNode.NewDomain("client"), origin));
        return (id, origin);
    }

    private async Task WaitUntilCachedAsync(string serviceId, string file)
    {
        var service = Node.Host.Node.Find(serviceId)!;
        var waited = Stopwatch.StartNew();
        while (!Node.Host.Files.IsCached(service, file))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"{file} was never cached");
            await Task.Delay(25);
        }
    }

    /// <summary>Passes every request on to the real network, counting them by file (and waiting first, if asked).</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler { UseProxy = false })
    {
        private readonly ConcurrentDictionary<string, int> counts = new();

        public TimeSpan Delay { get; init; }

        public int RequestsFor(string file) => counts.GetValueOrDefault(file);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var file = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath["/verify/".Length..]);
            counts.AddOrUpdate(file, 1, (_, n) => n + 1);
            await Task.Delay(Delay, cancellationToken);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
