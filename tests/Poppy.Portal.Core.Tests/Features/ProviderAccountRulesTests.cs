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
    [InlineData(ProviderKind.CacheTier, "api_key")]
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
}
