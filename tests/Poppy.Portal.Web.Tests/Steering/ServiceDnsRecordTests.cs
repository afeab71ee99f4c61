using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Simulators.Faults;

namespace Poppy.Portal.Web.Tests.Steering;

[CollectionDefinition(nameof(SteeringCollection))]
public sealed class SteeringCollection : ICollectionFixture<SteeringPortal>;

/// <summary>The provisioning step's steering CNAMEs, against a real PowerDNS and the Route 53 simulator.</summary>
[Collection(nameof(SteeringCollection))]
public sealed class ServiceDnsRecordTests(SteeringPortal fixture) : IDisposable
{
    public void Dispose()
    {
        fixture.ResetFaults();
        fixture.DnsSimulators.Route53.Faults.Set(FaultProfile.None);
    }

    [Fact]
    public async Task A_deployed_service_gets_a_CNAME_per_domain_at_the_first_provider_which_PowerDNS_answers_and_deleting_removes_it()
    {
        var (id, domain) = await fixture.DeployedServiceAsync();
        var record = Assert.Single(await fixture.WaitForRecordsAsync(id, r => r.Count == 1 && r[0].State == DnsRecordState.Live, "live"));
        Assert.Equal($"{domain.Replace('.', '-')}.{Poppy.Portal.TestSupport.PowerDnsServer.Zone}", record.Name);
        Assert.Equal("sim-fastly", record.ProviderName); // first of flavor "cdn"'s order
        Assert.Equal(30, record.TtlSeconds);
        Assert.Equal(SteeringPortal.PowerDnsAccount, record.DnsAccountName);
        Assert.Null(record.LastError);
        var fastly = (await fixture.GetServiceAsync(id))!["links"]!.AsArray()
            .Single(l => l!["rel"]!.GetValue<string>() == "access_url" && l["provider"]?.GetValue<string>() == "sim-fastly")!["href"]!.GetValue<string>();
        Assert.Equal(Poppy.Portal.Core.Features.Benchmarks.ProbeRound.EdgeHostOf(fastly), record.Target);
        Assert.Equal(record.Target, await fixture.AnswerAsync(record.Name));

        // The API's links: the steering name, without a provider, beside one per provider.
        var links = (await fixture.GetServiceAsync(id))!["links"]!.AsArray();
        var steering = Assert.Single(links, l => l!["rel"]!.GetValue<string>() == "access_url" && l["provider"] is null)!;
        Assert.Equal(record.Name, steering["href"]!.GetValue<string>());
        Assert.Equal(domain, steering["domain"]!.GetValue<string>());
        Assert.Equal(4, links.Count(l => l!["rel"]!.GetValue<string>() == "access_url" && l["provider"] is not null));

        using var deleted = await fixture.Admin.DeleteAsync($"/v1.0/services/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await fixture.WaitForRecordsAsync(id, r => r.Count == 0, "removed");
        Assert.Null(await fixture.AnswerAsync(record.Name));
    }

    [Fact]
    public async Task The_Route_53_simulator_holds_the_record_of_a_flavor_that_names_its_account_and_loses_it_on_delete()
    {
        var (id, domain) = await fixture.DeployedServiceAsync(SteeringPortal.Route53Flavor);
        var record = Assert.Single(await fixture.WaitForRecordsAsync(id, r => r.Count == 1 && r[0].State == DnsRecordState.Live, "live"));
        Assert.Equal(SteeringPortal.Route53Account, record.DnsAccountName);
        Assert.Equal("sim-maxcdn", record.ProviderName); // first of that flavor's order
        var stored = fixture.DnsSimulators.Route53.Cname(record.Name);
        Assert.NotNull(stored);
        Assert.Equal(record.Target, stored!.Data);

        // GET steering: the record as it is, no nameserver to query for this account.
        var view = await fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}/steering");
        var shown = Assert.Single(view!["records"]!.AsArray())!;
        Assert.Equal(domain, shown["domain"]!.GetValue<string>());
        Assert.Equal("CNAME", shown["type"]!.GetValue<string>());
        Assert.Equal(record.Target, shown["target"]!.GetValue<string>());
        Assert.Equal(SteeringPortal.Route53Account, shown["dns_account"]!.GetValue<string>());
        Assert.Null(shown["nameserver"]);

        using var deleted = await fixture.Admin.DeleteAsync($"/v1.0/services/{id}");
        await fixture.WaitForRecordsAsync(id, r => r.Count == 0, "removed");
        Assert.Null(fixture.DnsSimulators.Route53.Cname(record.Name));
    }

    [Fact]
    public async Task A_domain_whose_name_another_service_holds_gets_no_record_and_says_why()
    {
        var unique = Guid.NewGuid().ToString("N");
        var (first, firstDomain) = await DeployedWithDomainAsync($"www.t{unique}-x.example.com");
        var (second, secondDomain) = await DeployedWithDomainAsync($"www-t{unique}.x.example.com");
        var kept = Assert.Single(await fixture.WaitForRecordsAsync(first, r => r.Count == 1 && r[0].State == DnsRecordState.Live, "live"));
        var refused = Assert.Single(await fixture.WaitForRecordsAsync(second, r => r.Count == 1 && r[0].LastError is not null, "refused"));
        Assert.Equal(kept.Name, refused.Name);
        Assert.Equal(DnsRecordState.Pending, refused.State);
        Assert.Contains(first.ToString(), refused.LastError);
        Assert.Equal(kept.Target, await fixture.AnswerAsync(kept.Name));
        Assert.NotEqual(firstDomain, secondDomain);
    }

    private async Task<(Guid Id, string Domain)> DeployedWithDomainAsync(string domain)
    {
        var document = Poppy.Portal.Web.Tests.Api.ApiFixture.NewService(domain);
        document["origins"] = new JsonArray(new JsonObject { ["origin"] = SteeringPortal.OriginHost, ["port"] = 80, ["ssl"] = false });
        var id = await Poppy.Portal.Web.Tests.Api.ApiFixture.CreateAsync(fixture.Admin, document);
        await fixture.WaitForStatusAsync(id, "deployed");
        return (id, domain);
    }

    [Fact]
    public async Task A_DNS_outage_does_not_fail_the_deployment_the_error_stays_visible_and_the_step_retries_until_it_succeeds()
    {
        fixture.DnsSimulators.Route53.Faults.Set(new FaultProfile { Outage = true });
        var (id, _) = await fixture.DeployedServiceAsync(SteeringPortal.Route53Flavor);
        var failing = Assert.Single(await fixture.WaitForRecordsAsync(id, r => r.Count == 1 && r[0].LastError is not null, "failing"));
        Assert.Equal(DnsRecordState.Pending, failing.State);
        Assert.Equal("deployed", (await fixture.GetServiceAsync(id))!["status"]!.GetValue<string>());
        var shown = Assert.Single((await fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}/steering"))!["records"]!.AsArray())!;
        Assert.Equal("pending", shown["state"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(shown["error"]?.GetValue<string>()));

        fixture.DnsSimulators.Route53.Faults.Set(FaultProfile.None);
        var live = Assert.Single(await fixture.WaitForRecordsAsync(id, r => r.Count == 1 && r[0].State == DnsRecordState.Live, "live after the outage"));
        Assert.Null(live.LastError);
        Assert.NotNull(fixture.DnsSimulators.Route53.Cname(live.Name));
    }
}
