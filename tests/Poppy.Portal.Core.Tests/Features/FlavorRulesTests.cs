using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Tests.Features;

/// <summary>Poppy's flavor rules, each with the field path its error names.</summary>
public sealed class FlavorRulesTests
{
    private static readonly HashSet<string> Configured = ["akamai", "fastly"];

    private static List<ValidationError> Check(FlavorSpec spec) => FlavorRules.Check(spec, Configured.Contains);

    private static FlavorSpec Valid(string id = "cdn") =>
        new(id, [FlavorProviderSpec.WithProviderUrl("akamai", "www.akamai.com"), FlavorProviderSpec.WithProviderUrl("fastly", "www.fastly.com")]);

    [Theory]
    [InlineData("cdn")]
    [InlineData("premium-eu_2")]
    [InlineData("学校学校")] // Poppy accepts non-ASCII ids
    public void A_flavor_with_known_providers_each_with_one_provider_url_passes(string id) => Assert.Empty(Check(Valid(id)));

    [Fact]
    public void The_id_may_have_3_to_64_characters()
    {
        Assert.Empty(Check(Valid(new string('a', 3))));
        Assert.Empty(Check(Valid(new string('a', 64))));
        Assert.Equal([new ValidationError("id", "The flavor id has 3–64 characters.")], Check(Valid("ab")));
        Assert.Equal("id", Assert.Single(Check(Valid(new string('a', 65)))).Path);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("tab\there")]
    public void A_missing_id_or_one_that_cannot_be_a_path_segment_is_refused(string? id) =>
        Assert.Equal("id", Assert.Single(Check(Valid("x") with { Id = id })).Path);

    [Theory]
    [InlineData(null, true)]
    [InlineData("warn", true)]
    [InlineData("refuse", true)]
    [InlineData("Refuse", false)]
    [InlineData("ignore", false)]
    [InlineData("", false)]
    public void Unsupported_settings_is_warn_or_refuse_and_may_be_left_out(string? policy, bool valid)
    {
        var errors = Check(Valid() with { UnsupportedSettings = policy });
        Assert.Equal(valid ? [] : ["unsupported_settings"], errors.Select(e => e.Path));
    }

    [Fact]
    public void A_flavor_needs_at_least_one_provider()
    {
        Assert.Equal([new ValidationError("providers", "A flavor needs at least one provider.")], Check(new FlavorSpec("cdn", [])));
        Assert.Equal("providers", Assert.Single(Check(new FlavorSpec("cdn", null))).Path);
    }

    [Fact]
    public void A_provider_that_is_not_a_configured_account_is_named_with_its_index()
    {
        var spec = new FlavorSpec("cdn", [FlavorProviderSpec.WithProviderUrl("akamai", "www.akamai.com"), FlavorProviderSpec.WithProviderUrl("genie", "www.genie.com")]);

        Assert.Equal([new ValidationError("providers[1].provider", "Provider 'genie' is not configured.")], Check(spec));
    }

    [Fact]
    public void Provider_names_match_exactly()
    {
        var spec = new FlavorSpec("cdn", [FlavorProviderSpec.WithProviderUrl("Akamai", "www.akamai.com")]);

        Assert.Equal("providers[0].provider", Assert.Single(Check(spec)).Path);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void A_provider_without_a_name_is_refused(string? name) =>
        Assert.Equal("providers[0].provider", Assert.Single(Check(new FlavorSpec("cdn", [FlavorProviderSpec.WithProviderUrl(name, "www.x.com")]))).Path);

    [Fact]
    public void A_provider_listed_twice_is_refused_at_its_second_place()
    {
        var spec = new FlavorSpec("cdn",
        [
            FlavorProviderSpec.WithProviderUrl("fastly", "www.fastly.com"),
            FlavorProviderSpec.WithProviderUrl("akamai", "www.akamai.com"),
            FlavorProviderSpec.WithProviderUrl("fastly", "other.fastly.com"),
        ]);

        var error = Assert.Single(Check(spec));
        Assert.Equal("providers[2].provider", error.Path);
        Assert.Contains("listed twice", error.Message);
    }

    [Fact]
    public void Each_provider_has_exactly_one_link()
    {
        var none = new FlavorSpec("cdn", [new FlavorProviderSpec("akamai", [])]);
        var missing = new FlavorSpec("cdn", [new FlavorProviderSpec("akamai", null)]);
        var two = new FlavorSpec("cdn", [new FlavorProviderSpec("akamai", [new("www.a.com", "provider_url"), new("www.b.com", "provider_url")])]);
        var nullLink = new FlavorSpec("cdn", [new FlavorProviderSpec("akamai", [null])]);

        Assert.All(new[] { none, missing, two, nullLink }, spec => Assert.Equal("providers[0].links", Assert.Single(Check(spec)).Path));
    }

    [Theory]
    [InlineData("self")]
    [InlineData("Provider_URL")]
    [InlineData(null)]
    public void The_link_rel_must_be_provider_url(string? rel) =>
        Assert.Equal("providers[0].links[0].rel", Assert.Single(Check(new FlavorSpec("cdn", [new FlavorProviderSpec("akamai", [new("www.akamai.com", rel)])]))).Path);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a")]
    public void The_provider_url_has_at_least_two_characters(string? href) =>
        Assert.Equal("providers[0].links[0].href", Assert.Single(Check(new FlavorSpec("cdn", [FlavorProviderSpec.WithProviderUrl("akamai", href)]))).Path);

    [Fact]
    public void A_two_character_provider_url_is_enough() =>
        Assert.Empty(Check(new FlavorSpec("cdn", [FlavorProviderSpec.WithProviderUrl("akamai", "ab")])));

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var spec = new FlavorSpec("x", [null, FlavorProviderSpec.WithProviderUrl("genie", "g"), new FlavorProviderSpec("fastly", [new("www.fastly.com", "self")])]);

        Assert.Equal(
            ["id", "providers[0]", "providers[1].provider", "providers[1].links[0].href", "providers[2].links[0].rel"],
            Check(spec).Select(e => e.Path));
    }
}
