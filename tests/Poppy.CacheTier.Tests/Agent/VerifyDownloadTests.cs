using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Poppy.CacheTier.Agent.Services;
using Poppy.CacheTier.Tests.Infrastructure;

namespace Poppy.CacheTier.Tests.Agent;

/// <summary>cache-tier's API on the agent: verify starts one fetch through the edge per file; download fails open.</summary>
[Collection(NodeCollection.Name)]
public sealed class VerifyDownloadTests(NodeFixture fixture)
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task Fifty_concurrent_verifies_of_an_uncached_file_cause_exactly_one_origin_fetch()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        origin.Delay = TimeSpan.FromSeconds(1.5); // the verifies arrive while the one fetch is on its way
        var id = TestNode.NewServiceId("flight");
        await Node.ApplyAsync(id, TestNode.Service(TestNode.NewDomain("flight"), origin));
        var fetchesBefore = Node.Host.Files.FetchesStarted;

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(async _ =>
        {
            using var response = await Node.Public.GetAsync($"verify/releases/big.bin?service={id}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }));

        Assert.All(answers, a =>
        {
            Assert.Equal("releases/big.bin", a["file"]!.GetValue<string>());
            Assert.False(a["error"]!.GetValue<bool>());
        });
        // Callers that found it uncached each had to start a fetch or join the one in flight (nearly all of the 50
        // here; a caller a loaded machine delays past the fetch finds it cached instead).
        Assert.True(answers.Count(a => !a["available"]!.GetValue<bool>()) > 1);
        var available = await VerifyUntilAsync(id, "releases/big.bin", a => a["available"]!.GetValue<bool>());
        Assert.Null(available["error_msg"]);
        Assert.Equal(1, origin.RequestsFor("/releases/big.bin"));
        Assert.Equal(1, Node.Host.Files.FetchesStarted - fetchesBefore);
    }

    [Fact]
    public async Task Download_redirects_to_the_source_until_the_file_is_cached_then_to_the_edge()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("download");
        var id = TestNode.NewServiceId("download");
        await Node.ApplyAsync(id, TestNode.Service(domain, origin));

        Assert.Equal(new Uri($"http://127.0.0.1:{origin.Port}/docs/a%20b.pdf"), await DownloadAsync(id, "docs/a b.pdf"));
        Assert.Equal(0, origin.RequestsFor("/docs/a%20b.pdf")); // download alone does not fetch

        await VerifyUntilAsync(id, "docs/a b.pdf", a => a["available"]!.GetValue<bool>());
        Assert.Equal(new Uri($"http://{domain}/docs/a%20b.pdf"), await DownloadAsync(id, "docs/a b.pdf"));
        Assert.Equal("HIT", (await Node.GetAsync(domain, "/docs/a%20b.pdf")).XCache); // the edge URL serves it from cache

        // Configured URLs win, and a hard purge sends downloads back to the source.
        var config = TestNode.Service(domain, origin);
        config.Files = new FilesConfig { EdgeBaseUrl = "https://cdn.example.test/files", SourceBaseUrl = "https://source.example.test/" };
        await Node.ApplyAsync(id, config);
        Assert.Equal(new Uri("https://cdn.example.test/files/docs/a%20b.pdf"), await DownloadAsync(id, "docs/a b.pdf"));
        await Node.PurgeAsync(id, "/docs/a%20b.pdf", hard: true);
        Assert.Equal(new Uri("https://source.example.test/docs/a%20b.pdf"), await DownloadAsync(id, "docs/a b.pdf"));
    }

    [Fact]
    public async Task Download_fails_open_to_the_source_when_the_node_cannot_reach_the_origin()
    {
        var closedPort = TestNode.FreePort();
        var config = new ServiceConfig
        {
            Domains = [new DomainConfig { Domain = TestNode.NewDomain("unreachable") }],
            Origins = [new OriginConfig { Origin = "127.0.0.1", Port = closedPort }],
        };
        var id = TestNode.NewServiceId("unreachable");
        await Node.ApplyAsync(id, config);
        var fetchesBefore = Node.Host.Files.FetchesStarted;

        var first = await VerifyAsync(id, "setup.exe");
        Assert.False(first["available"]!.GetValue<bool>());
        var failed = await VerifyUntilAsync(id, "setup.exe", a => a["error"]!.GetValue<bool>());
        Assert.False(failed["available"]!.GetValue<bool>());
        Assert.Contains("could not reach the origin", failed["error_msg"]!.GetValue<string>());

        Assert.Equal(new Uri($"http://127.0.0.1:{closedPort}/setup.exe"), await DownloadAsync(id, "setup.exe"));
        var again = await VerifyAsync(id, "setup.exe"); // remembered: no new fetch within the failure memory
        Assert.True(again["error"]!.GetValue<bool>());
        Assert.Equal(1, Node.Host.Files.FetchesStarted - fetchesBefore);
    }

    [Fact]
    public async Task Verify_names_its_service_or_uses_the_only_one_and_refuses_what_is_not_a_file()
    {
        using (var unknown = await Node.Public.GetAsync("verify/a.txt?service=nobody"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            var body = JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!;
            Assert.True(body["error"]!.GetValue<bool>());
            Assert.Contains("nobody", body["error_msg"]!.GetValue<string>());
        }
        await using var origin = await LoopbackOrigin.StartAsync();
        await Node.ApplyAsync(TestNode.NewServiceId("one-of-two"), TestNode.Service(TestNode.NewDomain("one"), origin));
        await Node.ApplyAsync(TestNode.NewServiceId("one-of-two"), TestNode.Service(TestNode.NewDomain("two"), origin));
        using (var ambiguous = await Node.Public.GetAsync("verify/a.txt"))
        {
            Assert.Equal(HttpStatusCode.NotFound, ambiguous.StatusCode);
            Assert.Contains("?service=", JsonNode.Parse(await ambiguous.Content.ReadAsStringAsync())!["error_msg"]!.GetValue<string>());
        }
        using var notAFile = await Node.Public.GetAsync("verify/a//b.txt?service=nobody");
        Assert.Equal(HttpStatusCode.BadRequest, notAFile.StatusCode);

        await using var single = await TestNode.StartAsync();
        await single.ApplyAsync("only", TestNode.Service(TestNode.NewDomain("only"), origin));
        using var implicitService = await single.Public.GetAsync("verify/a.txt");
        Assert.Equal(HttpStatusCode.OK, implicitService.StatusCode);
    }

    private async Task<JsonNode> VerifyAsync(string serviceId, string file)
    {
        using var response = await Node.Public.GetAsync($"verify/{file}?service={serviceId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private async Task<JsonNode> VerifyUntilAsync(string serviceId, string file, Func<JsonNode, bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var answer = await VerifyAsync(serviceId, file);
            if (condition(answer))
            {
                return answer;
            }
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"verify {file} never answered as expected; last: {answer.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    private async Task<Uri> DownloadAsync(string serviceId, string file)
    {
        using var response = await Node.Public.GetAsync($"download/{file}?service={serviceId}");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!;
    }
}
