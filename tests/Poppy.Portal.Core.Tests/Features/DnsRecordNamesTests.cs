using Poppy.Portal.Core.Features.Dns;

namespace Poppy.Portal.Core.Tests.Features;

/// <summary>The name a service domain gets in the operator's zone.</summary>
public sealed class DnsRecordNamesTests
{
    [Theory]
    [InlineData("www.example.com", "cdn.operator.test", "www-example-com.cdn.operator.test")]
    [InlineData("WWW.Example.COM.", "CDN.operator.test.", "www-example-com.cdn.operator.test")]
    [InlineData("static.shop.example.co.uk", "cdn.operator.test", "static-shop-example-co-uk.cdn.operator.test")]
    [InlineData("xn--bcher-kva.example", "steer.example.net", "xn--bcher-kva-example.steer.example.net")]
    public void Dots_become_hyphens_and_the_zone_follows(string domain, string zone, string expected) =>
        Assert.Equal(expected, DnsRecordNames.For(domain, zone));

    [Fact]
    public void A_label_over_63_characters_is_shortened_with_a_hash_of_the_whole_domain()
    {
        var longA = new string('a', 40) + "." + new string('b', 40) + ".example.com";
        var longB = new string('a', 40) + "." + new string('b', 40) + ".example.org";

        var nameA = DnsRecordNames.For(longA, "cdn.operator.test");
        var nameB = DnsRecordNames.For(longB, "cdn.operator.test");

        var label = nameA.Split('.')[0];
        Assert.Equal(DnsRecordNames.MaxLabelLength, label.Length);
        Assert.StartsWith(new string('a', 40) + "-" + new string('b', 13), label, StringComparison.Ordinal);
        Assert.Matches(@"-[0-9a-f]{8}\z", label);
        Assert.NotEqual(nameA, nameB);
        Assert.Equal(nameA, DnsRecordNames.For(longA.ToUpperInvariant(), "cdn.operator.test"));
    }

    [Theory]
    [InlineData("not a domain")]
    [InlineData("www.example.com\n")]
    [InlineData("*.example.com")]
    [InlineData("")]
    public void Anything_but_a_domain_is_refused(string domain) =>
        Assert.Throws<ArgumentException>(() => DnsRecordNames.For(domain, "cdn.operator.test"));

    [Fact]
    public void A_zone_that_is_not_a_name_is_refused() =>
        Assert.Throws<ArgumentException>(() => DnsRecordNames.For("www.example.com", "not a zone"));

    [Fact]
    public void A_name_that_would_pass_253_characters_is_refused()
    {
        var zone = string.Join('.', Enumerable.Repeat(new string('z', 55), 4)) + ".test"; // 228 characters
        Assert.Throws<ArgumentException>(() => DnsRecordNames.For(new string('w', 60) + ".example.com", zone));
    }

    [Fact]
    public void The_default_TTL_is_30_seconds() => Assert.Equal(30, DnsRecordNames.DefaultTtlSeconds);
}
