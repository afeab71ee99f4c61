using System.Net;
using System.Net.Http.Json;
using Poppy.CacheTier.Agent;
using Poppy.CacheTier.Agent.Nginx;
using Poppy.CacheTier.Agent.Services;

namespace Poppy.CacheTier.Tests.Agent;

/// <summary>A node whose nginx resolves origin host names through a real PowerDNS server on loopback.</summary>
public sealed class ResolvingNodeFixture : IAsyncLifetime
{
    public PowerDnsServer Dns { get; } = new();

    public TestNode Node { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Dns.InitializeAsync();
        Node = await TestNode.StartAsync(resolvers: [$"127.0.0.1:{Dns.DnsPort}"]);
    }

    /// <summary>A fresh name in the server's zone (nothing has asked for it yet, so no resolver has it cached).</summary>
    public static string NewName(string label) => $"{label}-{Guid.NewGuid():N}"[..(label.Length + 13)] + "." + PowerDnsServer.Zone;

    public async Task SetAddressAsync(string name, string address)
    {
        using var http = Dns.Client();
        using var response = await http.PatchAsJsonAsync($"servers/localhost/zones/{PowerDnsServer.Zone}.", new
        {
            rrsets = new[]
            {
                new
                {
                    name = name + ".",
                    type = "A",
                    ttl = 60,
                    changetype = "REPLACE",
                    records = new[] { new { content = address, disabled = false } },
                },
            },
        });
        Assert.True(response.IsSuccessStatusCode, $"PowerDNS: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await Dns.DisposeAsync();
    }
}

/// <summary>
/// Origins given by host name are resolved by nginx when a request needs them, not when the configuration loads: one
/// that does not resolve must not stop the node from taking the configuration (nginx -t fails on an upstream it cannot
/// resolve), and path rules, Host header and the request URI work as for an origin given by address.
/// </summary>
public sealed class OriginResolutionTests(ResolvingNodeFixture fixture) : IClassFixture<ResolvingNodeFixture>
{
    private TestNode Node => fixture.Node;

    [Fact]
    public async Task A_service_whose_origin_does_not_resolve_is_accepted_answers_a_gateway_error_and_the_others_keep_serving()
    {
        await using var origin = await LoopbackOrigin.StartAsync("fine");
        var fineDomain = TestNode.NewDomain("fine");
        await Node.ApplyAsync(TestNode.NewServiceId("fine"), TestNode.Service(fineDomain, origin));
        Assert.Equal("MISS", (await Node.GetAsync(fineDomain, "/a.txt")).XCache);

        var brokenDomain = TestNode.NewDomain("nodns");
        var broken = TestNode.Service(brokenDomain, origin);
        broken.Origins = [new OriginConfig { Origin = "does-not-exist.invalid", Port = 80, HostHeaderType = HostHeaderType.Origin }];
        var accepted = await Node.ApplyAsync(TestNode.NewServiceId("nodns"), broken);
        Assert.Equal("applied", accepted["status"]!.GetValue<string>());

        var answer = await Node.GetAsync(brokenDomain, "/a.txt");
        Assert.True(answer.Status is HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout, $"{(int)answer.Status} {answer.Body}");

        var still = await Node.GetAsync(fineDomain, "/a.txt");
        Assert.Equal(HttpStatusCode.OK, still.Status);
        Assert.Equal("HIT", still.XCache);

        // The node still takes changes beside the broken service.
        var laterDomain = TestNode.NewDomain("later");
        await Node.ApplyAsync(TestNode.NewServiceId("later"), TestNode.Service(laterDomain, origin));
        var later = await Node.GetAsync(laterDomain, "/b.txt");
        Assert.Equal(HttpStatusCode.OK, later.Status);
        Assert.Equal("fine /b.txt #1", later.Body);
    }

    [Fact]
    public async Task Host_name_origins_are_resolved_per_request_with_their_path_rules_host_headers_and_query()
    {
        await using var images = await LoopbackOrigin.StartAsync("images");
        await using var rest = await LoopbackOrigin.StartAsync("rest");
        var imagesName = ResolvingNodeFixture.NewName("images");
        var restName = ResolvingNodeFixture.NewName("rest");
        await fixture.SetAddressAsync(imagesName, "127.0.0.1");

        var domain = TestNode.NewDomain("byname");
        var config = TestNode.Service(domain, rest);
        config.Origins =
        [
            new OriginConfig { Origin = restName, Port = rest.Port, HostHeaderType = HostHeaderType.Custom, HostHeaderValue = "assets.example.test" },
            new OriginConfig { Origin = imagesName, Port = images.Port, HostHeaderType = HostHeaderType.Origin, Rules = [new PathRule { RequestUrl = "/images/*" }] },
        ];
        // restName has no address yet: the configuration is taken all the same.
        await Node.ApplyAsync(TestNode.NewServiceId("byname"), config);
        await fixture.SetAddressAsync(restName, "127.0.0.1");

        var image = await Node.GetAsync(domain, "/images/a%20b.png?size=2");
        Assert.Equal(HttpStatusCode.OK, image.Status);
        Assert.Equal("MISS", image.XCache);
        // The origin reports the decoded path; it got the request URI as sent (a bare space would have been a 400).
        Assert.Equal("images /images/a b.png?size=2 #1", image.Body);
        Assert.Equal($"{imagesName}:{images.Port}", images.HostHeaders.Single());
        Assert.Equal("HIT", (await Node.GetAsync(domain, "/images/a%20b.png?size=2")).XCache);

        var page = await Node.GetAsync(domain, "/index.html");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("rest /index.html #1", page.Body);
        Assert.Equal("assets.example.test", rest.HostHeaders.Single());
        Assert.Equal(1, images.RequestsFor("/images/a b.png?size=2"));
    }
}

/// <summary>Where the resolver addresses come from.</summary>
public sealed class NameServerTests
{
    [Fact]
    public void The_system_resolvers_are_the_nameserver_lines_of_resolv_conf_in_nginx_form()
    {
        const string resolvConf = """
            # generated
            search example.internal
            nameserver 10.0.0.2
            nameserver	2001:db8::53
            nameserver fe80::1%eth0
            options ndots:2
            """;
        Assert.Equal(["10.0.0.2", "[2001:db8::53]"], NameServers.FromResolvConf(resolvConf));
    }

    [Theory]
    [InlineData("10.0.0.2", "10.0.0.2")]
    [InlineData("127.0.0.1:5353", "127.0.0.1:5353")]
    [InlineData("::1", "[::1]")]
    [InlineData("[::1]:53", "[::1]:53")]
    public void A_configured_resolver_is_an_address_with_an_optional_port(string value, string rendered)
    {
        Assert.True(NameServers.TryParse(value, out var server));
        Assert.Equal(rendered, server);
    }

    [Theory]
    [InlineData("dns.example.com")]
    [InlineData("10.0.0.2; include /etc/passwd")]
    [InlineData("*:53")]
    [InlineData("fe80::1%eth0")]
    public void Anything_else_is_refused_by_the_options(string value)
    {
        var options = new AgentOptions { Token = "0123456789abcdef0", Directory = "/tmp/x", Nginx = new NginxOptions { Resolvers = [value] } };
        Assert.Contains("Resolvers", options.Validate() ?? "");
    }
}
