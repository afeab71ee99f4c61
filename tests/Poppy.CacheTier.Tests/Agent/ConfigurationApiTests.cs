using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Poppy.CacheTier.Agent;
using Poppy.CacheTier.Agent.Services;
using Poppy.CacheTier.Tests.Infrastructure;

namespace Poppy.CacheTier.Tests.Agent;

/// <summary>The agent's API for the portal: auth, idempotent PUT/DELETE, validation, and nginx -t with rollback.</summary>
[Collection(NodeCollection.Name)]
public sealed class ConfigurationApiTests(NodeFixture fixture)
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task The_api_refuses_requests_without_the_node_token_and_the_public_endpoints_need_none()
    {
        using var anonymous = await Node.Public.GetAsync("api/node");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains(AgentOptions.TokenHeader, await anonymous.Content.ReadAsStringAsync());

        foreach (var wrong in new[] { "", "x", TestNode.Token + "x", TestNode.Token[..^1], TestNode.Token.ToUpperInvariant() })
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, "api/services/sneaky")
            {
                Content = JsonContent.Create(new { domains = new[] { new { domain = "x.test" } } }),
            };
            request.Headers.TryAddWithoutValidation(AgentOptions.TokenHeader, wrong);
            using var refused = await Node.Public.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        Assert.Null(Node.Host.Node.Find("sneaky"));
        foreach (var spelling in new[] { "API/node", "api/node/", "%61pi/node", "api/%6eode", "public/../api/node" })
        {
            using var respelled = await Node.Public.GetAsync(spelling);
            Assert.Equal(HttpStatusCode.Unauthorized, respelled.StatusCode);
        }

        using var authorized = await Node.Api.GetAsync("api/node");
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        using var health = await Node.Public.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task A_service_whose_domains_have_the_longest_names_a_domain_may_have_is_applied_and_served()
    {
        await using var origin = await LoopbackOrigin.StartAsync("long");
        var id = TestNode.NewServiceId("long");
        // 237 characters (labels of 63), and one of 48 like the portal's tests make: nginx's default hash bucket refused both.
        var longest = $"{new string('a', 63)}.{new string('b', 63)}.{new string('c', 63)}.{Guid.NewGuid():N}.example.test";
        var usual = $"www.t{Guid.NewGuid():N}.example.com";
        var config = TestNode.Service(longest, origin);
        config.Domains.Add(new DomainConfig { Domain = usual });

        Assert.Equal("applied", (await Node.ApplyAsync(id, config))["status"]!.GetValue<string>());

        Assert.Equal("long /a #1", (await Node.GetAsync(longest, "/a")).Body);
        Assert.Equal("long /b #1", (await Node.GetAsync(usual, "/b")).Body);
        Assert.Equal("HIT", (await Node.GetAsync(longest, "/a")).XCache);
        using var deleted = await Node.Api.DeleteAsync($"api/services/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task Put_twice_applies_once_and_delete_twice_answers_204_both_times()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("idem");
        var id = TestNode.NewServiceId("idem");
        var config = TestNode.Service(domain, origin);

        Assert.Equal("applied", (await Node.ApplyAsync(id, config))["status"]!.GetValue<string>());
        var reload = Node.Host.Node.LastReload;
        Assert.Equal("unchanged", (await Node.ApplyAsync(id, config))["status"]!.GetValue<string>());
        Assert.Same(reload, Node.Host.Node.LastReload); // nothing reloaded the second time
        Assert.Equal(HttpStatusCode.OK, (await Node.GetAsync(domain, "/a")).Status);

        config.Caching[0].Ttl = 60;
        Assert.Equal("applied", (await Node.ApplyAsync(id, config))["status"]!.GetValue<string>());
        var held = JsonNode.Parse(await Node.Api.GetStringAsync($"api/services/{id}"))!;
        Assert.Equal(60, held["config"]!["caching"]![0]!["ttl"]!.GetValue<int>());

        await Node.GetAsync(domain, "/cached");
        Assert.True(Directory.Exists(Path.Combine(Node.Directory, "cache", id)));
        for (var i = 0; i < 2; i++)
        {
            using var deleted = await Node.Api.DeleteAsync($"api/services/{id}");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Node.GetAsync(domain, "/a")).Status);
        Assert.Null((await Node.GetAsync(domain, "/a")).XCache); // the node's default server, not the service
        Assert.False(Directory.Exists(Path.Combine(Node.Directory, "cache", id)));
        Assert.False(File.Exists(Path.Combine(Node.Directory, "conf", "services", id + ".conf")));
        using var gone = await Node.Api.GetAsync($"api/services/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_configuration_nginx_refuses_is_answered_422_with_its_error_and_the_node_keeps_serving_the_previous_one()
    {
        await using var origin = await LoopbackOrigin.StartAsync("v1");
        var domain = TestNode.NewDomain("refused");
        var id = TestNode.NewServiceId("refused");
        await Node.ApplyAsync(id, TestNode.Service(domain, origin));
        Assert.Equal("v1 /page #1", (await Node.GetAsync(domain, "/page")).Body);
        var confBefore = await File.ReadAllTextAsync(Path.Combine(Node.Directory, "conf", "services", id + ".conf"));

        // Valid as a document (an IPv6 address with a zone), but nginx cannot parse a zone in an upstream address. (An
        // origin name that does not resolve no longer counts: names are resolved per request, see OriginResolutionTests.)
        const string unparsable = "fe80::1%lo";
        var broken = TestNode.Service(domain, origin);
        broken.Origins[0].Origin = unparsable;
        using var response = await Node.PutAsync(id, broken);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var nginxError = body["nginx_error"]!.GetValue<string>();
        Assert.Contains("invalid IPv6 address in upstream", nginxError);
        Assert.Contains(unparsable, nginxError);
        Assert.DoesNotContain("staging", nginxError); // named as the live file it would have been
        Assert.Contains("previous", body["error"]!.GetValue<string>());

        Assert.Equal(confBefore, await File.ReadAllTextAsync(Path.Combine(Node.Directory, "conf", "services", id + ".conf")));
        var served = await Node.GetAsync(domain, "/page");
        Assert.Equal("HIT", served.XCache);
        Assert.Equal("v1 /page #1", served.Body);
        Assert.Equal("v1 /other #1", (await Node.GetAsync(domain, "/other")).Body);
        var held = JsonNode.Parse(await Node.Api.GetStringAsync($"api/services/{id}"))!;
        Assert.Equal("127.0.0.1", held["config"]!["origins"]![0]!["origin"]!.GetValue<string>());

        // A new service nginx refuses leaves nothing behind.
        var newId = TestNode.NewServiceId("refused");
        var fresh = TestNode.Service(TestNode.NewDomain("refused"), origin);
        fresh.Origins[0].Origin = unparsable;
        using var refusedNew = await Node.PutAsync(newId, fresh);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refusedNew.StatusCode);
        Assert.Null(Node.Host.Node.Find(newId));
        Assert.False(File.Exists(Path.Combine(Node.Directory, "conf", "services", newId + ".conf")));
        Assert.False(Directory.Exists(Path.Combine(Node.Directory, "cache", newId)));
    }

    [Fact]
    public async Task An_invalid_document_is_400_with_each_field_and_nothing_reaches_nginx()
    {
        const string document = """
            {
              "domains": [{ "domain": "bad domain; include /etc/passwd" }],
              "origins": [{ "origin": "127.0.0.1", "port": 70000, "rules": [{ "request_url": "/x\" 1; }" }] }],
              "caching": [{ "name": "c", "ttl": -1 }],
              "restrictions": [{ "name": "r", "access": "blacklist", "rules": [{ "client_ip": "10.0.0.1/99" }, { "countries": ["usa"] }, { "referrer": "a.test", "client_ip": "10.0.0.1" }] }],
              "default_root_object": "../etc/passwd"
            }
            """;
        var id = TestNode.NewServiceId("invalid");
        using var response = await Node.Api.PutAsync($"api/services/{id}", new StringContent(document, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        string[] expected =
        [
            "caching[0].ttl", "default_root_object", "domains[0].domain", "origins[0].port", "origins[0].rules[0].request_url",
            "restrictions[0].rules[0].client_ip", "restrictions[0].rules[1].countries", "restrictions[0].rules[2]",
        ];
        Assert.Equal(expected, errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Null(Node.Host.Node.Find(id));

        using var unknownField = await Node.Api.PutAsync($"api/services/{id}", new StringContent("""{ "domains": [], "origins": [], "cache_everything": true }""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Contains("cache_everything", await unknownField.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_domain_another_service_holds_is_409()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var domain = TestNode.NewDomain("taken");
        var owner = TestNode.NewServiceId("owner");
        await Node.ApplyAsync(owner, TestNode.Service(domain, origin));

        using var response = await Node.PutAsync(TestNode.NewServiceId("thief"), TestNode.Service(domain, origin));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains(owner, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_node_reports_its_nginx_version_services_and_last_reload()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        var id = TestNode.NewServiceId("report");
        var domain = TestNode.NewDomain("report");
        await Node.ApplyAsync(id, TestNode.Service(domain, origin));

        var node = JsonNode.Parse(await Node.Api.GetStringAsync("api/node"))!;
        Assert.Matches(@"^1\.[0-9]+\.[0-9]+$", node["nginx_version"]!.GetValue<string>());
        Assert.True(node["nginx_running"]!.GetValue<bool>());
        Assert.True(node["age_header"]!.GetValue<bool>());
        Assert.True(node["geography"]!.GetValue<bool>());
        var held = node["services"]!.AsArray().Single(s => s!["service_id"]!.GetValue<string>() == id)!;
        Assert.Equal(domain, held["domains"]![0]!.GetValue<string>());
        Assert.True(node["last_reload"]!["succeeded"]!.GetValue<bool>());
        Assert.Null(node["last_reload"]!["error"]);

        var health = JsonNode.Parse(await Node.Public.GetStringAsync("healthz"))!;
        Assert.Equal("ok", health["status"]!.GetValue<string>());
        Assert.Equal(node["nginx_version"]!.GetValue<string>(), health["nginx_version"]!.GetValue<string>());
        Assert.Equal(Node.Host.Node.Services.Count, health["services"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_restarted_agent_serves_the_services_it_held()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        using var folder = new TempDirectory("poppy-cache-restart");
        var domain = TestNode.NewDomain("restart");
        var id = TestNode.NewServiceId("restart");
        await using (var first = await TestNode.StartAsync(existingDirectory: folder.Path))
        {
            await first.ApplyAsync(id, TestNode.Service(domain, origin));
            Assert.Equal("MISS", (await first.GetAsync(domain, "/kept")).XCache);
        }

        await using var second = await TestNode.StartAsync(existingDirectory: folder.Path);
        Assert.NotNull(second.Host.Node.Find(id));
        var answer = await second.GetAsync(domain, "/kept");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("HIT", answer.XCache); // the cache on disk survived too
    }

    [Fact]
    public async Task An_agent_starts_nginx_beside_the_origin_socket_that_a_killed_nginx_left_behind()
    {
        await using var origin = await LoopbackOrigin.StartAsync();
        using var folder = new TempDirectory("poppy-cache-socket");
        var domain = TestNode.NewDomain("socket");
        var id = TestNode.NewServiceId("socket");
        await using (var first = await TestNode.StartAsync(existingDirectory: folder.Path))
        {
            await first.ApplyAsync(id, TestNode.Service(domain, origin));
        }
        // What a killed nginx leaves: a socket file nobody listens on (a stopped one removes its own).
        var socketPath = Path.Combine(folder.Path, "run", "origins.sock");
        Assert.False(File.Exists(socketPath));
        // (Bound, never listening; .NET would remove the file when it closes, so it stays open past the restart.)
        using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stale.Bind(new UnixDomainSocketEndPoint(socketPath));
        Assert.True(File.Exists(socketPath));

        await using var second = await TestNode.StartAsync(existingDirectory: folder.Path);
        var answer = await second.GetAsync(domain, "/after-a-kill");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("origin /after-a-kill #1", answer.Body);
    }
}
