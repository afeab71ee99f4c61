using Poppy.CacheTier.Agent;
using Poppy.CacheTier.Agent.Nginx;
using Poppy.CacheTier.Agent.Services;
using Poppy.CacheTier.Tests.Infrastructure;

namespace Poppy.CacheTier.Tests.Agent;

/// <summary>What the renderer writes: nothing of a document can become nginx syntax.</summary>
public sealed class RenderingTests
{
    [Theory]
    [InlineData("/images/*", "^/images/.*$")]
    [InlineData("*.jpg", @"^.*\x2ejpg$")]
    [InlineData("/a%20b%2A.txt", @"^/a\x20b\x2a\x2etxt$")] // an escaped star is a star in the path, not a wildcard
    [InlineData("/caf%C3%A9", @"^/caf\xc3\xa9$")]
    public void A_path_pattern_becomes_an_anchored_regex_over_the_decoded_uri(string pattern, string regex) =>
        Assert.Equal(regex, PathPattern.ToRegex(pattern));

    [Fact]
    public void Every_character_a_pattern_may_hold_is_written_as_a_letter_digit_slash_or_hex_escape()
    {
        const string allowed = "/abcXYZ019_-.*$~@:+&=%22,;!()";
        var regex = PathPattern.ToRegex(allowed);
        Assert.Matches(@"^\^([A-Za-z0-9/_-]|\.\*|\\x[0-9a-f]{2})*\$$", regex);
        Assert.DoesNotContain('"', regex);
        Assert.DoesNotContain(';', regex);
        Assert.DoesNotContain('{', regex);
    }

    [Theory]
    [InlineData("a.test; include /etc/passwd")]
    [InlineData("a.test\n}")]
    [InlineData("A.TEST")]
    [InlineData("a\"b.test")]
    public void A_domain_that_is_not_a_plain_host_name_is_refused(string domain)
    {
        var config = new ServiceConfig { Domains = [new DomainConfig { Domain = domain }], Origins = [new OriginConfig { Origin = "127.0.0.1" }] };
        Assert.Contains("domains[0].domain", ServiceConfigValidator.Validate("svc", config).Keys);
    }

    [Theory]
    [InlineData("/a b")]
    [InlineData("/a\"b")]
    [InlineData("/a{1}")]
    [InlineData("/a%zz")]
    [InlineData("/a\\x")]
    [InlineData("relative")]
    public void A_request_url_outside_the_pattern_characters_is_refused(string url)
    {
        var config = new ServiceConfig
        {
            Domains = [new DomainConfig { Domain = "a.test" }],
            Origins = [new OriginConfig { Origin = "127.0.0.1", Rules = [new PathRule { RequestUrl = url }] }],
        };
        Assert.Contains("origins[0].rules[0].request_url", ServiceConfigValidator.Validate("svc", config).Keys);
    }

    [Fact]
    public void Rule_and_restriction_names_reach_the_configuration_only_as_sanitized_comments()
    {
        using var folder = new TempDirectory("poppy-render");
        var options = new AgentOptions { Token = TestNode.Token, Directory = folder.Path, EdgeListen = "127.0.0.1:8080" };
        var renderer = new NginxConfigRenderer(new NodeLayout(folder.Path), options, new NginxFeatures(AgeHeader: false, CountryRangesFile: null));
        var config = new ServiceConfig
        {
            Domains = [new DomainConfig { Domain = "a.test" }],
            Origins = [new OriginConfig { Origin = "127.0.0.1" }],
            Caching = [new CachingRuleConfig { Name = "x\"; } server { listen 1; #", Ttl = 5 }],
        };
        Assert.Empty(ServiceConfigValidator.Validate("svc", config));

        var text = renderer.RenderService("svc", config).Text;

        Assert.Contains("# caching rule: x__ _ server _ listen 1_ _, 5 s", text);
        Assert.DoesNotContain("listen 1;", text);
    }

    [Theory]
    [InlineData(true, "sendfile on;")]
    [InlineData(false, "sendfile off; output_buffers 2 256k;")]
    public async Task Cached_bodies_go_out_by_sendfile_or_through_output_buffers_and_nginx_takes_either(bool sendfile, string expected)
    {
        using var folder = new TempDirectory("poppy-render");
        var (options, layout) = NodeIn(folder, new NginxOptions { Sendfile = sendfile, Resolvers = ["127.0.0.1:5353"] });
        var main = new NginxConfigRenderer(layout, options, new NginxFeatures(false, null, ["127.0.0.1:5353"])).RenderMain(layout.Services, "g1");
        Assert.Contains(expected, main);
        Assert.Contains("resolver 127.0.0.1:5353;", main);
        await File.WriteAllTextAsync(layout.MainConf, main);

        var check = await new NginxProcess(layout, options.Nginx).TestAsync(layout.MainConf, CancellationToken.None);

        Assert.True(check.Succeeded, check.Output);
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)] // no njs, no padding
    public async Task With_njs_the_cache_fetches_through_the_origin_side_that_pads_and_nginx_takes_both_forms(bool njs, bool align, bool expectOriginSide)
    {
        using var folder = new TempDirectory("poppy-render");
        var (options, layout) = NodeIn(folder, new NginxOptions { AlignCachedBodies = align, Resolvers = ["127.0.0.1:5353"] });
        var renderer = new NginxConfigRenderer(layout, options, new NginxFeatures(njs, null, ["127.0.0.1:5353"]));
        var config = new ServiceConfig
        {
            Domains = [new DomainConfig { Domain = "a.example.test" }],
            Origins = [new OriginConfig { Origin = "127.0.0.1", Port = 8081 }, new OriginConfig { Origin = "origin.example.test", Ssl = true, Port = 443, Rules = [new PathRule { RequestUrl = "/tls/*" }] }],
            Caching = [new CachingRuleConfig { Name = "all", Ttl = 60 }],
        };
        var service = renderer.RenderService("svc", config).Text;
        var main = renderer.RenderMain(layout.Services, "g1");

        Assert.Equal(expectOriginSide, renderer.AlignsBodies);
        var socket = $"unix:{layout.OriginSocket}";
        Assert.Equal(expectOriginSide, main.Contains($"server {socket};", StringComparison.Ordinal));
        Assert.Equal(expectOriginSide, service.Contains($"listen {socket};", StringComparison.Ordinal));
        Assert.Equal(expectOriginSide, service.Contains("add_header X-Poppy-Pad $poppy_pad always;", StringComparison.Ordinal));
        Assert.Equal(expectOriginSide, service.Contains("proxy_hide_header X-Poppy-Pad;", StringComparison.Ordinal));
        // The origin's Host and TLS name are set once, where the origin is asked.
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(service, @"proxy_set_header Host \$p[0-9a-f]+_host;"));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(service, @"proxy_ssl_name \$p[0-9a-f]+_sni;"));
        if (njs)
        {
            await File.WriteAllTextAsync(layout.AgeScript, "function age(r) { return '0'; } function pad(r) { return ''; } export default { age, pad };");
        }
        await File.WriteAllTextAsync(layout.ServiceConf("svc"), service);
        await File.WriteAllTextAsync(layout.MainConf, main);

        var check = await new NginxProcess(layout, options.Nginx).TestAsync(layout.MainConf, CancellationToken.None);

        Assert.True(check.Succeeded, check.Output);
    }

    [Theory]
    [InlineData(90, true)] // with /run/origins.sock: 107 bytes
    [InlineData(91, false)]
    public void A_node_folder_too_long_for_the_origin_socket_renders_the_cache_fetching_from_the_origin_directly(int folderLength, bool aligned)
    {
        var folder = "/tmp/" + new string('d', folderLength - 5);
        var options = new AgentOptions { Token = TestNode.Token, Directory = folder };
        Assert.Null(options.Validate());
        var layout = new NodeLayout(folder);
        var renderer = new NginxConfigRenderer(layout, options, new NginxFeatures(true, null, ["127.0.0.1:5353"]));
        Assert.Equal(aligned, renderer.AlignsBodies);
        var service = renderer.RenderService("svc", new ServiceConfig { Domains = [new DomainConfig { Domain = "a.example.test" }], Origins = [new OriginConfig { Origin = "127.0.0.1" }] }).Text;
        Assert.Equal(aligned, service.Contains("listen unix:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2")]
    [InlineData("2 256k; include /etc/passwd")]
    [InlineData("0 256k")]
    public void Output_buffers_are_a_number_and_a_size(string value)
    {
        var options = new AgentOptions { Token = TestNode.Token, Directory = "/tmp/x", Nginx = new NginxOptions { OutputBuffers = value } };
        Assert.Contains("OutputBuffers", options.Validate() ?? "");
    }

    /// <summary>A node's valid options and created folders under <paramref name="folder"/>, with these nginx settings.</summary>
    private static (AgentOptions Options, NodeLayout Layout) NodeIn(TempDirectory folder, NginxOptions nginx)
    {
        var options = new AgentOptions { Token = TestNode.Token, Directory = folder.Path, EdgeListen = "127.0.0.1:8080", Nginx = nginx };
        Assert.Null(options.Validate());
        var layout = new NodeLayout(folder.Path);
        layout.Create();
        return (options, layout);
    }
}
