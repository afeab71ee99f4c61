using System.Security.Cryptography;
using System.Text;
using Poppy.Portal.Core.Features.ApiTokens;

namespace Poppy.Portal.Core.Tests.Features;

public sealed class ApiTokenSecretTests
{
    [Fact]
    public void A_token_is_the_marker_and_256_random_bits_in_base64url()
    {
        var tokens = Enumerable.Range(0, 100).Select(_ => ApiTokenSecret.NewToken()).ToList();

        Assert.All(tokens, token => Assert.Matches("^ppy_[A-Za-z0-9_-]{43}$", token));
        Assert.All(tokens, token => Assert.Equal(32, Convert.FromBase64String(ToBase64(token[4..])).Length));
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        Assert.All(tokens, token => Assert.True(ApiTokenSecret.IsWellFormed(token)));
    }

    [Fact]
    public void The_prefix_and_hash_identify_a_token_without_revealing_it()
    {
        var token = ApiTokenSecret.NewToken();

        Assert.Equal(token[4..12], ApiTokenSecret.PrefixOf(token));
        Assert.Equal("ppy_" + token[4..12] + "…", ApiTokenSecret.Display(ApiTokenSecret.PrefixOf(token)));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token))), ApiTokenSecret.HashOf(token));
        Assert.Equal(64, ApiTokenSecret.HashOf(token).Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ppy_")]
    [InlineData("ppy_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // one character short
    [InlineData("ppy_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // one too many
    [InlineData("ppx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("ppy_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+")] // base64, not base64url
    [InlineData("ppy_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ")]
    public void Anything_else_is_not_well_formed(string candidate) => Assert.False(ApiTokenSecret.IsWellFormed(candidate));

    private static string ToBase64(string base64Url) => base64Url.Replace('-', '+').Replace('_', '/') + "=";
}
