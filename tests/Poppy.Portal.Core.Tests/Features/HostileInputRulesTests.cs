using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Tests.Features;

/// <summary>
/// The rules that refuse hostile input (issue 10): anchored patterns, control characters in every text field, IDN
/// domains, bounded JSON Patch results, normalized purge paths, strict flavor documents, invalid Unicode in JSON.
/// </summary>
public sealed class HostileInputRulesTests
{
    private static ServiceSpec ValidSpec() => new()
    {
        Name = "mysite",
        FlavorId = "cdn",
        Domains = [new DomainSpec { Domain = "www.mysite.com" }, new DomainSpec { Domain = "shop", Protocol = DomainProtocol.Https, Certificate = CertificateType.Shared }],
        Origins =
        [
            new OriginSpec { Origin = "origin.example.net" },
            new OriginSpec
            {
                Origin = "img.example.net", HostHeaderType = HostHeaderType.Custom, HostHeaderValue = "images.mysite.com",
                Rules = [new RuleSpec { Name = "images", RequestUrl = "/images/*" }],
            },
        ],
        Caching = [new CachingRuleSpec { Name = "default", Ttl = 60 }],
        Restrictions =
        [
            new RestrictionSpec
            {
                Name = "partners",
                Rules =
                [
                    new RestrictionRuleSpec { Name = "ref", Referrer = "partner.example.org" },
                    new RestrictionRuleSpec { Name = "office", ClientIp = "192.0.2.0/24", RequestUrl = "/admin/*" },
                    new RestrictionRuleSpec { Name = "geo", Geography = "USA", RequestUrl = "/us/*" },
                ],
            },
        ],
        Delivery = { DefaultRootObject = "index.html" },
    };

    private static List<ValidationError> Validate(ServiceSpec spec)
    {
        ServiceDefaults.Apply(spec, isCreate: true);
        return ServiceSpecValidator.Validate(spec);
    }

    [Fact]
    public void The_valid_spec_used_below_passes() => Assert.Empty(Validate(ValidSpec()));

    /// <summary>Each text field of a service, how to set it, and the path its error must name.</summary>
    public static readonly (string Path, Action<ServiceSpec, string> Set, string Valid)[] TextFields =
    [
        ("name", (s, v) => s.Name = v, "mysite"),
        ("flavor_id", (s, v) => s.FlavorId = v, "cdn"),
        ("domains[0].domain", (s, v) => s.Domains[0].Domain = v, "www.mysite.com"),
        ("domains[1].domain", (s, v) => s.Domains[1].Domain = v, "shop"),
        ("origins[0].origin", (s, v) => s.Origins[0].Origin = v, "origin.example.net"),
        ("origins[1].hostheadervalue", (s, v) => s.Origins[1].HostHeaderValue = v, "images.mysite.com"),
        ("origins[1].rules[0].name", (s, v) => s.Origins[1].Rules[0].Name = v, "images"),
        ("origins[1].rules[0].request_url", (s, v) => s.Origins[1].Rules[0].RequestUrl = v, "/images/*"),
        ("caching[0].name", (s, v) => s.Caching[0].Name = v, "default"),
        ("restrictions[0].name", (s, v) => s.Restrictions[0].Name = v, "partners"),
        ("restrictions[0].rules[0].name", (s, v) => s.Restrictions[0].Rules[0].Name = v, "ref"),
        ("restrictions[0].rules[0].referrer", (s, v) => s.Restrictions[0].Rules[0].Referrer = v, "partner.example.org"),
        ("restrictions[0].rules[1].client_ip", (s, v) => s.Restrictions[0].Rules[1].ClientIp = v, "192.0.2.0/24"),
        ("restrictions[0].rules[1].request_url", (s, v) => s.Restrictions[0].Rules[1].RequestUrl = v, "/admin/*"),
        ("restrictions[0].rules[2].geography", (s, v) => s.Restrictions[0].Rules[2].Geography = v, "USA"),
        ("delivery.default_root_object", (s, v) => s.Delivery.DefaultRootObject = v, "index.html"),
    ];

    public static TheoryData<string, string> FieldsAndControls()
    {
        var data = new TheoryData<string, string>();
        foreach (var field in TextFields)
        {
            foreach (var control in new[] { "\0", "\t", "\n", "\r", "\x7f", "\u0085", "\u009b", "\u2028", "\u2029", "\x1b" })
            {
                data.Add(field.Path, control);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(FieldsAndControls))]
    public void A_control_character_in_any_text_field_is_refused_naming_the_field(string path, string control)
    {
        var field = TextFields.Single(f => f.Path == path);
        foreach (var value in new[] { field.Valid + control, control + field.Valid, field.Valid[..2] + control + field.Valid[2..] })
        {
            var spec = ValidSpec();
            field.Set(spec, value);

            var errors = Validate(spec);

            Assert.Contains(errors, e => e.Path == path && e.Message.Contains("control characters", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_trailing_line_feed_passes_no_pattern()
    {
        // "$" matches before a final "\n"; every pattern is anchored with "\z".
        Assert.True(HostNames.IsDomain("www.example.com"));
        Assert.False(HostNames.IsDomain("www.example.com\n"));
        Assert.False(HostNames.IsSharedName("shop\n"));
        Assert.False(HostNames.IsOrigin("origin.example.net\n"));
        Assert.False(HostNames.IsOrigin("192.0.2.1\n"));
        Assert.False(HostNames.IsIPv4("192.0.2.1\n"));
        Assert.False(HostNames.IsClientIp("192.0.2.0/24\n"));
        Assert.False(HostNames.IsClientIp("2001:db8::1\n"));
    }

    [Theory]
    [InlineData("domains[0].domain", "www.mysite.com\n")]
    [InlineData("domains[1].domain", "shop\n")]
    [InlineData("origins[0].origin", "origin.example.net\n")]
    [InlineData("origins[1].hostheadervalue", "images.mysite.com\n")]
    [InlineData("restrictions[0].rules[0].referrer", "partner.example.org\n")]
    [InlineData("restrictions[0].rules[1].client_ip", "192.0.2.0/24\n")]
    [InlineData("origins[1].rules[0].request_url", "/images/*\n")]
    public void A_trailing_newline_is_refused_in_every_validated_field(string path, string value)
    {
        var spec = ValidSpec();
        TextFields.Single(f => f.Path == path).Set(spec, value);

        Assert.Contains(Validate(spec), e => e.Path == path);
    }

    [Fact]
    public void Project_and_provider_account_names_are_anchored_too()
    {
        Assert.Equal("name", Assert.Single(ProviderAccountRules.CheckName("fastly\n")).Path);
        Assert.Contains("control characters", Assert.Single(ProviderAccountRules.CheckName("fast\nly")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("www.xn--bcher-kva.x.de")]
    [InlineData("www.example.xn--p1ai")]
    [InlineData("www.xn--80ak6aa92e.xn--p1ai")]
    [InlineData("xn--bcher-kva.example.com")]
    [InlineData("www.mysite.com")]
    public void Idn_domains_in_ascii_form_are_domains(string domain)
    {
        Assert.True(HostNames.IsDomain(domain));
        var spec = ValidSpec();
        spec.Domains[0].Domain = domain;
        Assert.Empty(Validate(spec));
    }

    [Theory]
    [InlineData("www.bücher.de")] // the Unicode form: send the A-label
    [InlineData("www.xn--.de")]
    [InlineData("www.xn---.de")]
    [InlineData("www.xn--a-.de")]
    [InlineData("www.ab--cd.de")] // reserved: only xn-- may have hyphens at 3-4
    [InlineData("www.example.xn--")]
    [InlineData("www.example.xn--p1ai-")]
    [InlineData("WWW.XN--BCHER-KVA.X.DE")]
    [InlineData("www.-xn--bcher-kva.de")]
    public void Malformed_idn_and_non_ascii_domains_are_refused(string domain) => Assert.False(HostNames.IsDomain(domain));

    [Fact]
    public void An_idn_tld_domain_directly_under_the_tld_is_a_root_domain() =>
        Assert.True(HostNames.IsRootDomain("xn--80ak6aa92e.xn--p1ai"));

    [Fact]
    public void Domains_are_compared_in_canonical_form_and_the_validator_only_lets_that_form_through()
    {
        Assert.Equal("www.example.com", HostNames.Canonical("WWW.Example.COM."));
        foreach (var variant in new[] { "WWW.MYSITE.COM", "www.mysite.com.", "Www.MySite.com" })
        {
            var spec = ValidSpec();
            spec.Domains[0].Domain = variant;
            Assert.Contains(Validate(spec), e => e.Path == "domains[0].domain");
        }
    }

    [Fact]
    public void An_origin_with_a_character_that_lowers_to_ascii_is_refused() =>
        Assert.False(HostNames.IsOrigin("origin.kelvin.example".Replace('k', '\u212A'))); // Kelvin sign lowers to 'k'

    // ---- JSON Patch amplification -------------------------------------------------------------------------------

    private static JsonObject Document() => ServiceCatalog.EditableDocument(ValidSpec());

    private static JsonElement Patch(string json) => JsonDocument.Parse(json).RootElement;

    private static int Bytes(JsonNode node) => Encoding.UTF8.GetByteCount(node.ToJsonString());

    [Fact]
    public void A_patch_that_doubles_the_document_is_refused_when_the_result_would_pass_the_limit_and_never_grows_past_it()
    {
        var document = Document();
        var bomb = "[" + string.Join(",", Enumerable.Repeat("""{"op":"copy","from":"/caching","path":"/caching/-"}""", 20)) + "]";
        Assert.True(bomb.Length < 1300);

        var result = ServiceJsonPatch.Apply(document, Patch(bomb), out var errors);

        Assert.Null(result);
        var error = Assert.Single(errors);
        Assert.Matches(@"^\[\d+\]$", error.Path);
        // Copying a list into itself doubles it and nests it one level deeper: whichever limit it meets first refuses it.
        Assert.Matches("larger than 256 KiB|nest [0-9]+ levels deep", error.Message);
        // Refused while applying: the document as left by the refused operation is still within the limit.
        Assert.True(Bytes(document) <= ServiceLimits.MaxDocumentBytes, $"{Bytes(document)} bytes");
    }

    [Fact]
    public void Many_copies_of_a_large_value_are_refused_at_the_limit()
    {
        var big = new string('x', 60_000);
        var patch = $$"""[{"op":"replace","path":"/name","value":"{{big}}"}""" +
            string.Concat(Enumerable.Range(0, 10).Select(i => $$""",{"op":"copy","from":"/name","path":"/caching/0/n{{i}}"}""")) + "]";
        var document = Document();

        Assert.Null(ServiceJsonPatch.Apply(document, Patch(patch), out var errors));

        Assert.Contains("larger than", Assert.Single(errors).Message, StringComparison.Ordinal);
        Assert.True(Bytes(document) <= ServiceLimits.MaxDocumentBytes);
    }

    [Fact]
    public void Replacing_a_value_again_and_again_frees_what_it_replaces()
    {
        var big = new string('x', 100_000);
        var patch = "[" + string.Join(",", Enumerable.Repeat($$"""{"op":"replace","path":"/name","value":"{{big}}"}""", 10)) + """,{"op":"replace","path":"/name","value":"back"}]""";
        var document = Document();

        Assert.NotNull(ServiceJsonPatch.Apply(document, Patch(patch), out var errors));
        Assert.Empty(errors);
        Assert.Equal("back", (string?)document["name"]);
    }

    [Fact]
    public void A_patch_whose_result_nests_deeper_than_a_document_may_is_refused()
    {
        // Each copy puts the caching list inside its own first rule: two levels deeper every time, past 64 after 32.
        var patch = "[" + string.Join(",", Enumerable.Repeat("""{"op":"copy","from":"/caching","path":"/caching/0/rules"}""", 40)) + "]";
        var document = Document();

        Assert.Null(ServiceJsonPatch.Apply(document, Patch(patch), out var errors));

        Assert.Contains("nest", Assert.Single(errors).Message, StringComparison.Ordinal);
        Assert.Null(Record.Exception(() => JsonDocument.Parse(document.ToJsonString(), new JsonDocumentOptions { MaxDepth = ServiceLimits.MaxDocumentDepth })));
    }

    [Fact]
    public void A_patch_may_not_give_a_service_more_domains_or_origins_than_a_document_may_have()
    {
        var domains = "[" + string.Join(",", Enumerable.Range(0, 12).Select(i => $$$"""{"op":"add","path":"/domains/-","value":{"domain":"www{{{i}}}.mysite.com"}}""")) + "]";
        var origins = "[" + string.Join(",", Enumerable.Range(0, 12).Select(_ => """{"op":"copy","from":"/origins/0","path":"/origins/-"}""")) + "]";

        Assert.Null(ServiceJsonPatch.Apply(Document(), Patch(domains), out var domainErrors));
        Assert.Null(ServiceJsonPatch.Apply(Document(), Patch(origins), out var originErrors));

        Assert.Equal(new ValidationError("[8]", "A service has at most 10 domains; this operation makes 11."), Assert.Single(domainErrors));
        Assert.Equal(new ValidationError("[8]", "A service has at most 10 origins; this operation makes 11."), Assert.Single(originErrors));
    }

    [Fact]
    public void A_patch_holding_a_lone_surrogate_is_refused_before_anything_reads_it()
    {
        using var patch = JsonDocument.Parse("""[{"op":"replace","path":"/name","value":"a\ud800b"}]""");

        Assert.Null(ServiceJsonPatch.Apply(Document(), patch.RootElement, out var errors));

        Assert.Contains("not valid Unicode", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    // ---- Purge paths ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("/images/logo.png")]
    [InlineData("/images/*")]
    [InlineData("/a/b/")]
    [InlineData("/a..b/c.d.e")]
    [InlineData("/...")]
    [InlineData("/search?q=a/../b")]
    [InlineData("/%20x.png")]
    [InlineData("/a;b=c")]
    public void Normalized_absolute_paths_may_be_purged(string url) => Assert.Null(PurgeTarget.Check(url));

    [Theory]
    [InlineData("")]
    [InlineData("images/logo.png")]
    [InlineData("javascript:alert(1)")]
    [InlineData("http://www.victim.example/page.html")]
    [InlineData("//www.victim.example/page.html")]
    [InlineData("/../www.victim.example/page.html")]
    [InlineData("/a/./b")]
    [InlineData("/a/..")]
    [InlineData("/a/.")]
    [InlineData("/%2e%2e/x")]
    [InlineData("/%2E%2e/x")]
    [InlineData("/.%2e/x")]
    [InlineData("/%252e%252e/x")]
    [InlineData("/%25252e%25252e/x")]
    [InlineData("/a%2f..%2fb")]
    [InlineData("/a%2F..%2Fb")]
    [InlineData("/a%5c..%5cb")]
    [InlineData("/a\\..\\b")]
    [InlineData("/a//b")]
    [InlineData("/..;/x")]
    [InlineData("/a#b")]
    [InlineData("/a b")]
    [InlineData("/a\tb")]
    [InlineData("/a\nb")]
    [InlineData("/a\0b")]
    [InlineData("/a%00b")]
    [InlineData("/a%0d%0aHost:%20x")]
    [InlineData("/a?x=%0d%0a")]
    [InlineData("/caf\u00e9")]
    [InlineData("/a\u2028b")]
    public void Other_paths_are_refused(string url) => Assert.NotNull(PurgeTarget.Check(url));

    [Fact]
    public void Purge_urls_are_limited_to_1024_characters()
    {
        Assert.Null(PurgeTarget.Check("/" + new string('a', 1023)));
        Assert.NotNull(PurgeTarget.Check("/" + new string('a', 1024)));
    }

    [Fact]
    public void The_driver_path_is_checked_and_escaped()
    {
        Assert.Equal("/a%7B1%7D%7Cb%5E%22.css?v=%25", PurgePath.ForRequest("/a{1}|b^\".css?v=%", "Test"));
        Assert.Equal("/a%20b", PurgePath.ForRequest("/a%20b", "Test"));
        Assert.Equal("/images/logo.png", PurgePath.ForRequest("images/logo.png", "Test"));
        var error = Assert.Throws<CdnDriverException>(() => PurgePath.ForRequest("/../www.victim.example/x", "Test"));
        Assert.False(error.IsTransient);
    }

    // ---- Flavors and provider accounts ---------------------------------------------------------------------------

    [Theory]
    [InlineData("""{"ID":"cdn","providers":[]}""", "ID")]
    [InlineData("""{"id":"cdn","Providers":[]}""", "Providers")]
    [InlineData("""{"id":"cdn","providers":[],"extra":1}""", "extra")]
    [InlineData("""{"id":"cdn","providers":[{"provider":"fastly","PROVIDER":"x","links":[]}]}""", "providers[0].PROVIDER")]
    [InlineData("""{"id":"cdn","providers":[{"provider":"fastly","links":[{"href":"x","rel":"provider_url","Rel":"y"}]}]}""", "providers[0].links[0].Rel")]
    [InlineData("""{"id":5,"providers":[]}""", "id")]
    [InlineData("""{"id":"cdn","providers":{}}""", "providers")]
    [InlineData("""{"id":"cdn","providers":[7]}""", "providers[0]")]
    [InlineData("""{"id":"cdn","providers":[{"provider":true,"links":[]}]}""", "providers[0].provider")]
    [InlineData("""{"id":"cdn","providers":[{"provider":"fastly","links":"x"}]}""", "providers[0].links")]
    [InlineData("""{"id":"cdn","providers":[{"provider":"fastly","links":[{"href":1,"rel":"provider_url"}]}]}""", "providers[0].links[0].href")]
    [InlineData("""{"id":"\udc00x","providers":[]}""", "id")]
    public void The_flavor_reader_refuses_unknown_keys_any_case_and_wrong_types(string json, string path)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Null(FlavorDocumentReader.Read(document.RootElement, out var errors));

        Assert.Contains(errors, e => e.Path == path);
    }

    [Fact]
    public void The_flavor_reader_reads_a_valid_flavor()
    {
        using var document = JsonDocument.Parse("""{"id":"cdn","providers":[{"provider":"fastly","links":[{"href":"www.fastly.com","rel":"provider_url"}]}]}""");

        var spec = FlavorDocumentReader.Read(document.RootElement, out var errors);

        Assert.Empty(errors);
        Assert.Equal("cdn", spec!.Id);
        Assert.Equal("www.fastly.com", spec.Providers![0]!.Links![0]!.Href);
    }

    [Theory]
    [InlineData("id")]
    [InlineData("providers[0].provider")]
    [InlineData("providers[0].links[0].href")]
    public void Flavor_text_fields_refuse_control_characters(string path)
    {
        foreach (var control in new[] { "\0", "\n", "\u2028", "\x7f" })
        {
            var id = path == "id" ? "cdn" + control : "cdn";
            var provider = path.EndsWith("provider", StringComparison.Ordinal) ? "fastly" + control : "fastly";
            var href = path.EndsWith("href", StringComparison.Ordinal) ? "www.fastly.com" + control : "www.fastly.com";
            var spec = new FlavorSpec(id, [FlavorProviderSpec.WithProviderUrl(provider, href)]);

            var errors = FlavorRules.Check(spec, name => name.StartsWith("fastly", StringComparison.Ordinal));

            Assert.Equal(path, Assert.Single(errors).Path);
        }
    }

    [Fact]
    public void Provider_account_endpoints_and_credentials_refuse_control_characters()
    {
        Assert.Equal("apiEndpoint", Assert.Single(ProviderAccountRules.CheckEndpoint("https://api.fastly.com/\u0000x")).Path);
        Assert.Equal("apiEndpoint", Assert.Single(ProviderAccountRules.CheckEndpoint("https://api.fast\tly.com/")).Path);
        var (_, _, errors) = ProviderAccountRules.MergeCredentials(ProviderKind.Fastly,
            new Dictionary<string, string?> { ["api_key"] = "key\r\nX-Injected: 1" }, stored: null);
        Assert.Equal("credentials.api_key", Assert.Single(errors).Path);
    }

    // ---- Invalid Unicode in JSON ----------------------------------------------------------------------------------

    [Theory]
    [InlineData("""{"name":"\ud800"}""", "$.name")]
    [InlineData("""{"a":[1,{"b":"x\udfffy"}]}""", "$.a[1].b")]
    [InlineData("""["ok","\udc00\ud800"]""", "$[1]")]
    public void Strings_that_are_not_valid_unicode_are_found_with_their_path(string json, string path)
    {
        using var document = JsonDocument.Parse(json);
        Assert.Equal(path, JsonStrings.FindInvalid(document.RootElement));
    }

    [Fact]
    public void Invalid_utf8_and_bad_member_names_are_found_and_valid_text_is_not()
    {
        byte[] invalid = [.. "{\"name\":\""u8, 0xC0, 0xAF, .. "\"}"u8];
        byte[] badName = [.. "{\"na"u8, 0xFF, .. "me\":1}"u8];
        using var first = JsonDocument.Parse(invalid);
        using var second = JsonDocument.Parse(badName);
        using var valid = JsonDocument.Parse("""{"name":"caf\u00e9 \ud83d\ude00","n":[1,true,null]}""");

        Assert.Equal("$.name", JsonStrings.FindInvalid(first.RootElement));
        Assert.NotNull(JsonStrings.FindInvalid(second.RootElement));
        Assert.Null(JsonStrings.FindInvalid(valid.RootElement));
    }

    [Fact]
    public void The_service_reader_reports_an_invalid_string_as_an_error_of_its_field()
    {
        using var document = JsonDocument.Parse("""{"name":"\ud800","flavor_id":"cdn","domains":[],"origins":[]}""");

        Assert.Null(ServiceDocumentReader.Read(document.RootElement, out var errors));

        Assert.Contains(errors, e => e.Path == "name" && e.Message.Contains("Unicode", StringComparison.Ordinal));
    }
}
