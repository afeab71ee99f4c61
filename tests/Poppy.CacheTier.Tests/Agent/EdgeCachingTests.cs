using System.Buffers.Binary;
using System.Net;
using System.Text;
using Poppy.CacheTier.Agent.Nginx;
using Poppy.CacheTier.Agent.Services;
using Poppy.CacheTier.Tests.Infrastructure;

namespace Poppy.CacheTier.Tests.Agent;

/// <summary>Origin → nginx edge: what the rendered configuration does with real requests.</summary>
[Collection(NodeCollection.Name)]
public sealed class EdgeCachingTests(NodeFixture fixture)
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task First_request_is_a_miss_the_second_a_hit_with_its_age()
    {
        await using var origin = await LoopbackOrigin.StartAsync("origin");
        var domain = TestNode.NewDomain("hit");
        var id = TestNode.NewServiceId("hit");
        await Node.ApplyAsync(id, TestNode.Service(domain, origin));

        var first = await Node.GetAsync(domain, "/files/a.txt");
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal("MISS", first.XCache);
        Assert.Equal(TimeSpan.Zero, first.Age);
        Assert.Equal("origin /files/a.txt #1", first.Body);

        var second = await Node.GetAsync(domain, "/files/a.txt");
        Assert.Equal("HIT", second.XCache);
        Assert.Equal("origin /files/a.txt #1", second.Body);
        Assert.NotNull(second.Age);

        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var later = await Node.GetAsync(domain, "/files/a.txt");
        Assert.Equal("HIT", later.XCache);
        Assert.InRange(later.Age!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        Assert.Equal(1, origin.RequestsFor("/files/a.txt"));

        // The entry is where the purge code computes it: md5 of "$host$uri", levels=1:2, under the service's folder.
        var file = NginxCacheFiles.PathFor(Path.Combine(Node.Directory, "cache", id), domain + "/files/a.txt");
        var entry = NginxCacheFiles.Read(file);
        Assert.NotNull(entry);
        Assert.Equal(domain + "/files/a.txt", entry.Key);
        Assert.Equal(200, entry.Status);
    }

    [Fact]
    public async Task An_entry_expires_after_its_caching_rule_ttl_while_another_rule_keeps_its_own()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("ttl");
        var config = TestNode.Service(domain, origin, ttl: 300);
        config.Caching.Add(new CachingRuleConfig { Name = "short", Ttl = 2, Rules = [new PathRule { RequestUrl = "/short/*" }] });
        await Node.ApplyAsync(TestNode.NewServiceId("ttl"), config);

        Assert.Equal("MISS", (await Node.GetAsync(domain, "/short/x")).XCache);
        Assert.Equal("MISS", (await Node.GetAsync(domain, "/long/y")).XCache);
        Assert.Equal("HIT", (await Node.GetAsync(domain, "/short/x")).XCache);

        await Task.Delay(TimeSpan.FromSeconds(3.1)); // nginx counts whole seconds: 2 s after the second it was stored in
        var expired = await Node.GetAsync(domain, "/short/x");
        Assert.Equal("EXPIRED", expired.XCache);
        Assert.Equal("origin /short/x #2", expired.Body);
        Assert.Equal("HIT", (await Node.GetAsync(domain, "/short/x")).XCache);
        var kept = await Node.GetAsync(domain, "/long/y");
        Assert.Equal("HIT", kept.XCache);
        Assert.Equal(1, origin.RequestsFor("/long/y"));
    }

    [Fact]
    public async Task A_ttl_of_zero_is_never_cached_and_neither_is_what_the_origin_marks_private()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        origin.SetHeaders("/private.txt", ("Cache-Control", "private, max-age=600"));
        var domain = TestNode.NewDomain("zero");
        var config = TestNode.Service(domain, origin);
        config.Caching.Add(new CachingRuleConfig { Name = "live", Ttl = 0, Rules = [new PathRule { RequestUrl = "/live/*" }] });
        await Node.ApplyAsync(TestNode.NewServiceId("zero"), config);

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("MISS", (await Node.GetAsync(domain, "/live/feed")).XCache);
            Assert.Equal("MISS", (await Node.GetAsync(domain, "/private.txt")).XCache);
        }
        Assert.Equal(2, origin.RequestsFor("/live/feed"));
        Assert.Equal(2, origin.RequestsFor("/private.txt"));
    }

    [Fact]
    public async Task A_path_rule_routes_to_its_origin_with_that_origins_host_header()
    {
        await using var site = await LoopbackOrigin.StartAsync("site");
        await using var images = await LoopbackOrigin.StartAsync("images");
        await using var viewerHost = await LoopbackOrigin.StartAsync("viewer");
        var domain = TestNode.NewDomain("route");
        var config = TestNode.Service(domain, site);
        config.Origins.Add(new OriginConfig
        {
            Origin = "127.0.0.1",
            Port = images.Port,
            Rules = [new PathRule { Name = "images", RequestUrl = "/images/*" }, new PathRule { RequestUrl = "/odd/a;b,c!(d)$e+f&g=h@i:j~k%20l.txt" }],
            HostHeaderType = HostHeaderType.Custom,
            HostHeaderValue = "img.example.test",
        });
        config.Origins.Add(new OriginConfig
        {
            Origin = "127.0.0.1",
            Port = viewerHost.Port,
            Rules = [new PathRule { RequestUrl = "*.php" }],
            HostHeaderType = HostHeaderType.Domain,
        });
        await Node.ApplyAsync(TestNode.NewServiceId("route"), config);

        Assert.Equal("images /images/logo.png #1", (await Node.GetAsync(domain, "/images/logo.png")).Body);
        Assert.Equal("site /index.html #1", (await Node.GetAsync(domain, "/index.html")).Body);
        Assert.Equal("site /images #1", (await Node.GetAsync(domain, "/images")).Body);
        Assert.Equal("viewer /app/login.php #1", (await Node.GetAsync(domain, "/app/login.php")).Body);
        Assert.StartsWith("images /odd/", (await Node.GetAsync(domain, "/odd/a;b,c!(d)$e+f&g=h@i:j~k%20l.txt")).Body);
        Assert.StartsWith("site /odd/", (await Node.GetAsync(domain, "/odd/a;b,c!(d)$e+f&g=h@i:j~k%20lXtxt")).Body);

        Assert.Equal(["img.example.test", "img.example.test"], images.HostHeaders);
        Assert.All(site.HostHeaders, h => Assert.Equal($"127.0.0.1:{site.Port}", h));
        Assert.Equal([domain], viewerHost.HostHeaders);
    }

    [Theory]
    [InlineData("/a.txt", null, 0)]
    [InlineData("/files/deeper/and/a/longer/name/than/the/others.bin", null, 0)]
    [InlineData("/caf%C3%A9.txt", "v=2&x=%20y", 0)]
    [InlineData("/big-header.txt", null, 3600)] // the origin's header alone takes most of a page: the body goes to the second
    [InlineData("/many-headers.txt", "q", 40)]
    public async Task A_cached_body_starts_on_a_page_boundary_of_its_cache_file_and_the_padding_never_reaches_the_viewer(string path, string? query, int headerSize)
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        if (headerSize > 0)
        {
            origin.SetHeaders(path, headerSize > 1000
                ? [("X-Origin-Note", new string('n', headerSize))]
                : Enumerable.Range(1, headerSize).Select(i => ($"X-Origin-{i}", new string('v', i))).ToArray());
        }
        var domain = TestNode.NewDomain("align");
        var id = TestNode.NewServiceId("align");
        await Node.ApplyAsync(id, TestNode.Service(domain, origin));
        var pathAndQuery = path + (query is null ? "" : "?" + query);

        Assert.Equal("MISS", (await Node.GetAsync(domain, pathAndQuery)).XCache);
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery.TrimStart('/'));
        request.Headers.Host = domain;
        using var hit = await Node.Edge.SendAsync(request);
        Assert.Equal("HIT", hit.Headers.GetValues("X-Cache").Single());
        Assert.False(hit.Headers.Contains("X-Poppy-Pad"));
        Assert.Equal(headerSize is > 0 and <= 1000 ? "vvv" : null, hit.Headers.TryGetValues("X-Origin-3", out var three) ? three.Single() : null);
        var body = await hit.Content.ReadAsStringAsync();
        Assert.Equal($"origin {Uri.UnescapeDataString(path)}{(query is null ? "" : "?" + query)} #1", body);

        // ngx_http_file_cache_header_t (version 5, 64-bit): body_start is the u_short at byte 56.
        var key = domain + Uri.UnescapeDataString(path) + (query is null ? "" : "?" + query);
        var bytes = await File.ReadAllBytesAsync(NginxCacheFiles.PathFor(Path.Combine(Node.Directory, "cache", id), key));
        var bodyStart = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(56));
        Assert.Equal(0, bodyStart % 4096);
        Assert.Equal(headerSize > 1000 ? 8192 : 4096, bodyStart);
        // Kestrel's answer is chunked; nginx stores the body without its chunk framing.
        Assert.Equal(body, Encoding.UTF8.GetString(bytes.AsSpan(bodyStart)));
    }

    [Fact]
    public async Task The_default_root_object_answers_for_slash()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("root");
        var config = TestNode.Service(domain, origin);
        config.DefaultRootObject = "home/index.html";
        await Node.ApplyAsync(TestNode.NewServiceId("root"), config);

        Assert.Equal("origin /home/index.html #1", (await Node.GetAsync(domain, "/")).Body);
        Assert.Equal("HIT", (await Node.GetAsync(domain, "/home/index.html")).XCache);
    }
}
