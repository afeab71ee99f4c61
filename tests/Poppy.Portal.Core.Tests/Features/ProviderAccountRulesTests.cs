using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Tests.Features;

/// <summary>Name, endpoint and credential rules of provider accounts, and what the masked hint gives away.</summary>
public sealed class ProviderAccountRulesTests
{
    [Theory]
    [InlineData("fastly")]
    [InlineData("akamai-eu")]
    [InlineData("cf_2")]
    [InlineData("0")]
    public void Lowercase_names_of_up_to_64_characters_pass(string name) => Assert.Empty(ProviderAccountRules.CheckName(name));

    [Theory]
    [InlineData("")]
    [InlineData("Fastly")]
    [InlineData("-fastly")]
    [InlineData("_x")]
    [InlineData("fast ly")]
    [InlineData("fastly.eu")]
    public void Other_names_are_refused(string name) => Assert.Equal("name", Assert.Single(ProviderAccountRules.CheckName(name)).Path);

    [Fact]
    public void A_name_has_at_most_64_characters()
    {
        Assert.Empty(ProviderAccountRules.CheckName(new string('a', 64)));
        Assert.Single(ProviderAccountRules.CheckName(new string('a', 65)));
    }

    [Theory]
    [InlineData("https://api.fastly.com")]
    [InlineData("http://127.0.0.1:18080/")]
    [InlineData("https://akab-xxxx.luna.akamaiapis.net/papi")]
    public void Absolute_http_and_https_endpoints_pass(string endpoint) => Assert.Empty(ProviderAccountRules.CheckEndpoint(endpoint));

    [Theory]
    [InlineData("")]
    [InlineData("api.fastly.com")]
    [InlineData("/v1")]
    [InlineData("ftp://api.fastly.com")]
    [InlineData("file:///etc/passwd")]
    public void Other_endpoints_are_refused(string endpoint) =>
        Assert.Equal("apiEndpoint", Assert.Single(ProviderAccountRules.CheckEndpoint(endpoint)).Path);

    [Fact]
    public void An_undefined_kind_is_refused()
    {
        Assert.Empty(ProviderAccountRules.CheckKind(ProviderKind.Fastly));
        Assert.Equal("kind", Assert.Single(ProviderAccountRules.CheckKind((ProviderKind)99)).Path);
    }

    [Theory]
    [InlineData(ProviderKind.Fastly, "api_key")]
    [InlineData(ProviderKind.CloudFront, "access_key_id secret_access_key region")]
    [InlineData(ProviderKind.Akamai, "client_token client_secret access_token")]
    [InlineData(ProviderKind.MaxCdn, "company_alias consumer_key consumer_secret")]
    [InlineData(ProviderKind.CacheTier, "nodes")]
    public void Each_kind_asks_for_its_vendors_credentials(ProviderKind kind, string keys) =>
        Assert.Equal(keys.Split(' '), ProviderCredentialFields.For(kind).Select(f => f.Key));

    [Fact]
    public void Only_region_and_alias_are_not_secret() =>
        Assert.Equal(["region", "company_alias"],
            ProviderCredentialFields.Kinds.SelectMany(ProviderCredentialFields.For).Where(f => !f.IsSecret).Select(f => f.Key));

    [Fact]
    public void Creating_needs_every_field_and_trims_what_was_typed()
    {
        var (credentials, replaced, errors) = ProviderAccountRules.MergeCredentials(ProviderKind.CloudFront,
            new Dictionary<string, string?> { ["access_key_id"] = " AKIAEXAMPLE ", ["secret_access_key"] = "", ["region"] = null }, stored: null);

        Assert.Equal(["credentials.secret_access_key", "credentials.region"], errors.Select(e => e.Path));
        Assert.Equal("AKIAEXAMPLE", credentials["access_key_id"]);
        Assert.Equal(["access_key_id"], replaced);
    }

    [Fact]
    public void A_credential_the_kind_does_not_have_is_refused()
    {
        var (_, _, errors) = ProviderAccountRules.MergeCredentials(ProviderKind.Fastly,
            new Dictionary<string, string?> { ["api_key"] = "k", ["password"] = "p" }, stored: null);

        Assert.Equal([new ValidationError("credentials.password", "Fastly accounts have no credential 'password'.")], errors);
    }

    [Fact]
    public void Editing_keeps_every_field_left_empty_and_replaces_the_others()
    {
        var stored = new Dictionary<string, string> { ["client_token"] = "old-token", ["client_secret"] = "old-secret", ["access_token"] = "old-access" };

        var (credentials, replaced, errors) = ProviderAccountRules.MergeCredentials(ProviderKind.Akamai,
            new Dictionary<string, string?> { ["client_secret"] = "new-secret", ["access_token"] = "  " }, stored);

        Assert.Empty(errors);
        Assert.Equal(["client_secret"], replaced);
        Assert.Equal(new Dictionary<string, string> { ["client_token"] = "old-token", ["client_secret"] = "new-secret", ["access_token"] = "old-access" }, credentials);
    }

    [Fact]
    public void The_hint_shows_the_last_four_characters_of_long_secrets_and_non_secrets_in_full()
    {
        var hint = ProviderAccountRules.Hint(ProviderKind.CloudFront, new Dictionary<string, string>
        {
            ["access_key_id"] = "AKIAIOSFODNN7EXAMPLE",
            ["secret_access_key"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
            ["region"] = "us-east-1",
        });

        Assert.Equal("access_key_id ••••MPLE, secret_access_key ••••EKEY, region us-east-1", hint);
    }

    [Theory]
    [InlineData("0123456789a")] // 11 characters: below the threshold
    [InlineData("short")]
    public void Short_secrets_are_masked_completely(string secret) =>
        Assert.Equal("api_key ••••••••", ProviderAccountRules.Hint(ProviderKind.Fastly, new Dictionary<string, string> { ["api_key"] = secret }));

    [Fact]
    public void A_twelve_character_secret_shows_its_last_four() =>
        Assert.Equal("api_key ••••3f9a", ProviderAccountRules.Hint(ProviderKind.Fastly, new Dictionary<string, string> { ["api_key"] = "abcdefgh3f9a" }));

    [Fact]
    public void The_hint_fits_its_column()
    {
        var hint = ProviderAccountRules.Hint(ProviderKind.MaxCdn, new Dictionary<string, string>
        {
            ["company_alias"] = new string('a', 500), ["consumer_key"] = "k", ["consumer_secret"] = "s",
        });

        Assert.Equal(ProviderAccountRules.MaxHintLength, hint.Length);
        Assert.EndsWith("…", hint);
    }

    private const string TokenA = "node-a-token-0123456789abcd";
    private const string TokenB = "node-b-token-9876543210wxyz";

    [Fact]
    public void A_cache_tier_node_list_is_stored_one_normalized_line_a_node_and_its_hint_masks_every_token()
    {
        var (credentials, replaced, errors) = ProviderAccountRules.MergeCredentials(ProviderKind.CacheTier, new Dictionary<string, string?>
        {
            ["nodes"] = $"# edge nodes\r\n  http://10.0.0.5:8081   {TokenA}  cache1.example.net \n\nhttps://10.0.0.6:8443/agent {TokenB} http://127.0.0.1:8080/\n",
        }, stored: null);

        Assert.Empty(errors);
        Assert.Equal(["nodes"], replaced);
        Assert.Equal($"http://10.0.0.5:8081/ {TokenA} cache1.example.net\nhttps://10.0.0.6:8443/agent/ {TokenB} http://127.0.0.1:8080", credentials["nodes"]);
        var hint = ProviderAccountRules.Hint(ProviderKind.CacheTier, credentials);
        Assert.Equal("nodes 10.0.0.5:8081 ••••abcd cache1.example.net; 10.0.0.6:8443 ••••wxyz http://127.0.0.1:8080", hint);
        Assert.DoesNotContain(TokenA[..^4], hint);
        Assert.DoesNotContain(TokenB[..^4], hint);
    }

    [Fact]
    public void An_edit_may_keep_a_stored_token_by_writing_a_star_for_the_same_agent()
    {
        var stored = new Dictionary<string, string> { ["nodes"] = $"http://10.0.0.5:8081/ {TokenA} cache1.example.net" };

        var (credentials, _, errors) = ProviderAccountRules.MergeCredentials(ProviderKind.CacheTier, new Dictionary<string, string?>
        {
            ["nodes"] = $"http://10.0.0.5:8081 * cache-one.example.net\nhttp://10.0.0.7:8081 {TokenB} cache2.example.net",
        }, stored);

        Assert.Empty(errors);
        Assert.Equal([new CacheTierNode(new Uri("http://10.0.0.5:8081/"), TokenA, "cache-one.example.net"),
            new CacheTierNode(new Uri("http://10.0.0.7:8081/"), TokenB, "cache2.example.net")], CacheTierNodes.From(credentials));

        var (_, _, unknown) = ProviderAccountRules.MergeCredentials(ProviderKind.CacheTier,
            new Dictionary<string, string?> { ["nodes"] = "http://10.0.0.9:8081 * cache9.example.net" }, stored);
        Assert.Equal("Line 1: no token is stored for http://10.0.0.9:8081/; type it.", Assert.Single(unknown).Message);
    }

    [Theory]
    [InlineData("http://10.0.0.5:8081 cache1.example.net", "Line 1: write the agent URL, the node token and the public host name, separated by spaces.")]
    [InlineData("10.0.0.5:8081 node-a-token-0123456789abcd cache1.example.net", "Line 1: '10.0.0.5:8081' is not an absolute http:// or https:// agent URL without query.")]
    [InlineData("http://10.0.0.5:8081 short cache1.example.net", "Line 1: a node token has at least 16 characters.")]
    [InlineData("http://10.0.0.5:8081 node-a-token-0123456789abcd cache1.example.net/path", "Line 1: 'cache1.example.net/path' is not a public host name (cache1.example.net, with an optional :port) or an http(s) URL.")]
    [InlineData("http://a:1 node-a-token-0123456789abcd h.example\nhttp://a:1/ node-b-token-9876543210wxyz h2.example", "Line 2: the agent http://a:1/ is listed twice.")]
    [InlineData("# nothing but a comment", "List at least one node: agent URL, node token, public host name.")]
    [InlineData("http://a:1\tnode-a-token-0123456789abcd h.example", "Must not contain control characters such as NUL, TAB or line breaks (found U+0009).")]
    [InlineData("http://a:1 node-a-token-0123456789\u2028abcd h.example", "Must not contain control characters such as NUL, TAB or line breaks (found U+2028).")]
    public void A_node_list_that_cannot_be_used_is_refused_with_the_line_at_fault(string nodes, string message)
    {
        var (_, _, errors) = ProviderAccountRules.MergeCredentials(ProviderKind.CacheTier, new Dictionary<string, string?> { ["nodes"] = nodes }, stored: null);

        Assert.Equal([new ValidationError("credentials.nodes", message)], errors);
    }
}
