using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Web.Features.Services;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>The pure pieces behind the service pages: field names, TTL text, the form model, the list's query string.</summary>
public sealed class ServiceFormHelpersTests
{
    [Theory]
    [InlineData("name", "Input.Name")]
    [InlineData("flavor_id", "Input.FlavorId")]
    [InlineData("domains", "Input.Domains")]
    [InlineData("domains[1].domain", "Input.Domains[1].Domain")]
    [InlineData("domains[0].certificate", "Input.Domains[0].Certificate")]
    [InlineData("origins[0].port", "Input.Origins[0].Port")]
    [InlineData("origins[3].hostheadervalue", "Input.Origins[3].HostHeaderValue")]
    [InlineData("origins[0].rules[2].request_url", "Input.Origins[0].Rules[2].RequestUrl")]
    [InlineData("caching[0].ttl", "Input.Caching[0].Ttl")]
    [InlineData("caching[1].rules", "Input.Caching[1].Rules")]
    [InlineData("restrictions[0].rules[1]", "Input.Restrictions[0].Rules[1]")]
    [InlineData("restrictions[0].rules[1].referrer", "Input.Restrictions[0].Rules[1].Value")]
    [InlineData("restrictions[0].rules[1].geography", "Input.Restrictions[0].Rules[1].Value")]
    [InlineData("restrictions[0].rules[1].client_ip", "Input.Restrictions[0].Rules[1].Value")]
    [InlineData("log_delivery.enabled", "Input.LogDelivery")]
    [InlineData("delivery.viewer_protocol_policy", "Input.Delivery.ViewerProtocolPolicy")]
    [InlineData("delivery.min_ttl", "Input.Delivery.MinTtl")]
    [InlineData("", "")]
    public void Document_paths_map_to_form_field_names(string path, string field) => Assert.Equal(field, FormPath.ToFieldName(path));

    [Fact]
    public void Every_field_the_form_binds_has_a_path_that_maps_to_it()
    {
        // The form names its inputs through ToFieldName, so each name must bind to a property of the form model.
        var model = ServiceFormModel.FromSpec(new ServiceSpec());
        Assert.NotNull(typeof(ServiceFormModel).GetProperty(FormPath.ToFieldName("flavor_id")["Input.".Length..]));
        Assert.NotNull(typeof(ServiceFormModel.OriginRow).GetProperty(FormPath.ToFieldName("origins[0].hostheadertype").Split('.')[^1]));
        Assert.NotNull(typeof(ServiceFormModel.RuleRow).GetProperty(FormPath.ToFieldName("origins[0].rules[0].request_url").Split('.')[^1]));
        Assert.NotNull(typeof(ServiceFormModel.RestrictionRuleRow).GetProperty(FormPath.ToFieldName("restrictions[0].rules[0].kind").Split('.')[^1]));
        Assert.NotNull(typeof(ServiceFormModel.DeliveryFields).GetProperty(FormPath.ToFieldName("delivery.default_root_object").Split('.')[^1]));
        Assert.NotNull(model.Delivery);
    }

    [Theory]
    [InlineData("Input.Origins[1].Rules[0].RequestUrl", "Origin 2 · rule 1 · request URL")]
    [InlineData("Input.Caching[0].Ttl", "Caching rule 1 · TTL")]
    [InlineData("Input.Domains", "Domains")]
    [InlineData("Input.Delivery.MinTtl", "Delivery · minimum TTL")]
    [InlineData("Input.FlavorId", "Flavor")]
    public void Field_names_read_as_words_in_the_summary(string field, string words) => Assert.Equal(words, FormPath.Describe(field));

    [Fact]
    public void Ids_are_safe_for_css_selectors() => Assert.Equal("f-input-origins-0--rules-2--requesturl", FormPath.ToId("Input.Origins[0].Rules[2].RequestUrl"));

    [Theory]
    [InlineData(0, "not cached")]
    [InlineData(45, "45 s")]
    [InlineData(60, "1 min")]
    [InlineData(3_600, "1 hour")]
    [InlineData(7_200, "2 hours")]
    [InlineData(5_400, "1 hour 30 min")]
    [InlineData(86_400, "1 day")]
    [InlineData(90_000, "1 day 1 hour")]
    [InlineData(31_536_000, "365 days")]
    public void Ttls_read_in_the_largest_units(long seconds, string text) => Assert.Equal(text, Durations.Human(seconds));

    [Fact]
    public void Ttls_show_the_seconds_too() => Assert.Equal("2 hours (7200 s)", Durations.WithSeconds(7_200));

    [Fact]
    public void A_spec_survives_the_round_trip_through_the_form()
    {
        var spec = new ServiceSpec
        {
            Name = "Shop",
            FlavorId = "cdn",
            Domains = [new DomainSpec { Domain = "www.shop.test" }, new DomainSpec { Domain = "secure.shop.test", Protocol = DomainProtocol.Https, Certificate = CertificateType.San }],
            Origins = [new OriginSpec { Origin = "origin.shop.test", Port = 443, Ssl = true, HostHeaderType = HostHeaderType.Custom, HostHeaderValue = "www.shop.test",
                Rules = [new RuleSpec { Name = "all", RequestUrl = "/*" }] }],
            Caching = [new CachingRuleSpec { Name = "images", Ttl = 600, Rules = [new RuleSpec { Name = "img", RequestUrl = "/img/*" }] }],
            Restrictions = [new RestrictionSpec { Name = "geo", Access = RestrictionAccess.Blacklist,
                Rules = [new RestrictionRuleSpec { Geography = "Mexico", RequestUrl = "/*" }, new RestrictionRuleSpec { Name = "partner", Referrer = "partner.test", RequestUrl = "/x" }] }],
            LogDelivery = new LogDeliverySpec { Enabled = true },
            Delivery = new DeliverySettings { ViewerProtocolPolicy = ViewerProtocolPolicy.RedirectToHttps, DefaultRootObject = "index.html", ForwardQueryStrings = false, ForwardCookies = true, MinTtl = 5 },
        };

        var back = ServiceFormModel.FromSpec(spec).ToSpec(out var errors);

        Assert.Empty(errors);
        Assert.Equal(spec.ToJson(), back.ToJson());
    }

    [Fact]
    public void Unreadable_fields_are_reported_at_their_document_path()
    {
        var model = ServiceFormModel.ForNew("cdn");
        model.Origins[0].Port = "abc";
        model.Caching.Add(new ServiceFormModel.CachingRow { Name = "all", Ttl = "99999999999" });
        model.Delivery.MaxTtl = "";
        model.Domains[0].Protocol = "gopher";

        model.ToSpec(out var errors);

        Assert.Equal(["domains[0].protocol", "origins[0].port", "caching[0].ttl", "delivery.max_ttl"], errors.Select(e => e.Path));
        Assert.Contains("'abc' is not a whole number", errors[1].Message);
        Assert.Contains("too large", errors[2].Message);
        Assert.Contains("Required", errors[3].Message);
    }

    [Fact]
    public void A_new_form_starts_with_one_domain_one_origin_and_the_document_defaults()
    {
        var model = ServiceFormModel.ForNew("cdn");

        Assert.Equal("cdn", model.FlavorId);
        Assert.Single(model.Domains);
        Assert.Equal("80", Assert.Single(model.Origins).Port);
        Assert.True(model.Delivery.ForwardQueryStrings);
        Assert.Equal("86400", model.Delivery.DefaultTtl);
        Assert.Equal("31536000", model.Delivery.MaxTtl);
    }

    [Fact]
    public void Http_domains_drop_a_certificate_left_in_the_hidden_select()
    {
        var model = ServiceFormModel.ForNew("cdn");
        model.Domains[0] = new ServiceFormModel.DomainRow { Domain = "www.shop.test", Protocol = "http", Certificate = "san" };

        Assert.Null(model.ToSpec(out _).Domains[0].Certificate);
    }

    [Fact]
    public void Row_actions_add_and_remove_the_named_rows_only()
    {
        var model = ServiceFormModel.ForNew("cdn");
        model.Domains[0].Domain = "a.shop.test";

        Assert.True(model.ApplyRowAction("add-domain"));
        model.Domains[1].Domain = "b.shop.test";
        Assert.True(model.ApplyRowAction("add-origin-rule:0"));
        Assert.True(model.ApplyRowAction("add-origin-rule:0"));
        Assert.True(model.ApplyRowAction("remove-origin-rule:0:0"));
        Assert.True(model.ApplyRowAction("add-restriction"));
        Assert.True(model.ApplyRowAction("remove-domain:0"));

        Assert.Equal(["b.shop.test"], model.Domains.Select(d => d.Domain));
        Assert.Single(model.Origins[0].Rules);
        Assert.Single(Assert.Single(model.Restrictions).Rules);
        Assert.False(model.ApplyRowAction("remove-domain:5"));
        Assert.False(model.ApplyRowAction("add-origin-rule:3"));
        Assert.False(model.ApplyRowAction("drop-table"));
        Assert.False(model.ApplyRowAction("remove-domain:x"));
        Assert.Single(model.Domains);
    }

    [Fact]
    public void Adding_stops_at_the_documents_limits()
    {
        var model = ServiceFormModel.ForNew("cdn");
        while (model.ApplyRowAction("add-domain"))
        {
        }

        Assert.Equal(ServiceLimits.MaxDomains, model.Domains.Count);
    }

    [Fact]
    public void Messages_about_rules_the_form_does_not_show_go_to_the_rule_list()
    {
        var model = ServiceFormModel.ForNew("cdn");
        model.ApplyRowAction("add-origin");

        Assert.Equal("Input.Origins[1].Rules", model.FieldFor("origins[1].rules[0].request_url"));
        Assert.Equal("Input.Origins", model.FieldFor("origins[7].rules[0].request_url"));
        model.ApplyRowAction("add-origin-rule:1");
        Assert.Equal("Input.Origins[1].Rules[0].RequestUrl", model.FieldFor("origins[1].rules[0].request_url"));
        Assert.Equal("Input.Domains[0].Domain", model.FieldFor("domains[0].domain"));
    }

    [Fact]
    public void Bound_nulls_become_empty_values()
    {
        var model = new ServiceFormModel { Name = null!, Domains = null!, Origins = [new ServiceFormModel.OriginRow { Port = null!, Rules = null! }], Delivery = null! };

        model.Normalize();

        Assert.Equal("", model.Name);
        Assert.Empty(model.Domains);
        Assert.Equal("", model.Origins[0].Port);
        Assert.Empty(model.Origins[0].Rules);
        Assert.Equal("", model.Delivery.MinTtl);
    }

    [Theory]
    [InlineData(null, null, null, null, null, null, "/services")]
    [InlineData("shop", "deployed", "cdn", null, null, "2", "/services?q=shop&status=deployed&flavor=cdn&page=2")]
    [InlineData(null, null, null, "name", "false", null, "/services?sort=name&desc=false")]
    [InlineData(null, "nonsense", null, "nonsense", "nonsense", "-3", "/services")]
    [InlineData(null, null, null, "created", "true", "1", "/services")]
    public void The_list_view_reads_and_writes_its_query_string(string? q, string? status, string? flavor, string? sort, string? desc, string? page, string url) =>
        Assert.Equal(url, ServiceListView.Parse(q, status, flavor, sort, desc, page).Url());

    [Fact]
    public void The_export_link_keeps_filters_and_sort_but_not_the_page() =>
        Assert.Equal("/services/export.csv?q=shop&status=failed&sort=name&desc=false",
            ServiceListView.Parse("shop", "failed", null, "name", "false", "4").ExportUrl());
}
