using Poppy.Portal.Core.Features.Services;

namespace Poppy.Portal.Core.Tests.Features;

/// <summary>The syntax rules and status derivation the validator, the API and provisioning rely on.</summary>
public sealed class ServiceRulesTests
{
    [Theory]
    [InlineData("mywebsite.com", true)]
    [InlineData("mywebsite.co.uk", true)]
    [InlineData("mywebsite.com.au", true)]
    [InlineData("mywebsite.co.ie", true)]
    [InlineData("mywebsite.co.vn", true)]
    [InlineData("www.mywebsite.com", false)]
    [InlineData("www.mywebsite.co.uk", false)]
    [InlineData("shop.mywebsite.io", false)]
    [InlineData("a.b.c.d", false)]
    public void Root_domains_include_names_directly_under_a_country_registry(string domain, bool isRoot) =>
        Assert.Equal(isRoot, HostNames.IsRootDomain(domain));

    [Theory]
    [InlineData("173.203.4.162/24", true)]
    [InlineData("1.2.3.4", true)]
    [InlineData("2001:db8::/123", true)]
    [InlineData("::1", true)]
    [InlineData("1.2.3", false)]
    [InlineData("348.2.3.2", false)]
    [InlineData("1.2.3.4/0", false)]
    [InlineData("1.2.3.4/33", false)]
    [InlineData("1.2.3.4/", false)]
    [InlineData("2001:db8::/129", false)]
    [InlineData("fe80::1%eth0", false)]
    [InlineData("1200::AB00:1234::2552:7777:1313", false)]
    public void Client_ips_are_v4_or_v6_with_a_prefix_in_range(string value, bool valid) =>
        Assert.Equal(valid, HostNames.IsClientIp(value));

    [Theory]
    [InlineData("origin.example.com", true)]
    [InlineData("Origin.Example.COM", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("10.0.0", false)]
    [InlineData("999.0.0.1", false)]
    [InlineData("http://origin.example.com", false)]
    [InlineData("origin.example.com:8080", false)]
    [InlineData("2001:db8::1", false)]
    public void Origins_are_host_names_or_ipv4(string value, bool valid) => Assert.Equal(valid, HostNames.IsOrigin(value));

    [Theory]
    [InlineData(new[] { ProviderStatus.Deployed, ProviderStatus.Failed, ProviderStatus.DeleteInProgress }, ServiceStatus.Failed)]
    [InlineData(new[] { ProviderStatus.UpdateInProgress, ProviderStatus.DeleteInProgress }, ServiceStatus.DeleteInProgress)]
    [InlineData(new[] { ProviderStatus.DeployInProgress, ProviderStatus.UpdateInProgress }, ServiceStatus.UpdateInProgress)]
    [InlineData(new[] { ProviderStatus.Deployed, ProviderStatus.DeployInProgress }, ServiceStatus.CreateInProgress)]
    [InlineData(new[] { ProviderStatus.Deployed, ProviderStatus.Deployed }, ServiceStatus.Deployed)]
    [InlineData(new ProviderStatus[0], ServiceStatus.CreateInProgress)]
    public void Service_status_is_derived_from_providers_as_Poppy_does(ProviderStatus[] providers, ServiceStatus expected) =>
        Assert.Equal(expected, ServiceStatuses.Derive(providers));

    [Fact]
    public void Defaults_fill_origin_and_first_caching_rules_and_validation_sees_them()
    {
        var spec = new ServiceSpec
        {
            Name = "mysite",
            FlavorId = "cdn",
            Domains = [new DomainSpec { Domain = "www.mysite.com" }],
            Origins = [new OriginSpec { Origin = "a.example.org" }, new OriginSpec { Origin = "b.example.org" }],
        };

        ServiceDefaults.Apply(spec, isCreate: true);
        var errors = ServiceSpecValidator.Validate(spec);

        Assert.Equal("/*", spec.Origins[0].Rules[0].RequestUrl);
        Assert.Equal(ServiceLimits.DefaultCacheTtl, spec.Caching[0].Ttl);
        // Both origins now claim /*, which Poppy refuses too.
        Assert.Contains(errors, e => e.Path == "origins[1].rules[0].request_url");
    }
}
