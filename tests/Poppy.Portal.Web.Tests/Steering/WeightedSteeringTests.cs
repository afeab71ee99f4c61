using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Audit;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Web.Tests.Api;

namespace Poppy.Portal.Web.Tests.Steering;

/// <summary>
/// <c>weighted</c> steering end to end through the API: the Route 53 simulator's weighted sets and the real PowerDNS's LUA
/// records written by steering rounds (probe rounds against the simulated edges on the portal's clock), health gating
/// taking a weight out and putting it back, dry run, a return to one CNAME, and the refusal on Designate and Rackspace.
/// </summary>
[Collection(nameof(SteeringCollection))]
public sealed class WeightedSteeringTests(SteeringPortal fixture) : SteeringScenario(fixture)
{
    /// <summary>Steps until the service records a switch event, at most <paramref name="steps"/> times.</summary>
    private async Task StepUntilSwitchAsync(int steps, string what)
    {
        for (var i = 0; i < steps; i++)
        {
            if (await StepAsync() > 0)
            {
                return;
            }
        }
        Assert.Fail($"no steering event within {steps} probe intervals: {what}; {(await SteeringAsync())["events"]}");
    }

    private async Task<JsonObject> SteeringAsync() => (await Fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1.0/services/{Service}/steering"))!;

    private async Task<JsonObject> PutAsync(object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var put = await Fixture.Admin.PutAsJsonAsync($"/v1.0/services/{Service}/steering", body);
        var text = await put.Content.ReadAsStringAsync();
        Assert.True(expected == put.StatusCode, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>The Route 53 simulator's CNAME sets of the name: (set identifier, weight, target), plain ones with a null identifier.</summary>
    private List<(string? Id, int? Weight, string Target)> Route53Sets(string name) =>
        Fixture.DnsSimulators.Route53.Records.Where(r => r.Name == name && r.Type == "CNAME")
            .OrderBy(r => r.SetIdentifier, StringComparer.Ordinal).Select(r => (r.SetIdentifier, r.Weight, r.Data)).ToList();

    [Fact]
    public async Task Route_53_gets_weighted_sets_an_unhealthy_provider_s_weight_goes_and_comes_back_and_failover_makes_one_CNAME_again()
    {
        var (id, _) = await Fixture.DeployedServiceAsync(SteeringPortal.Route53Flavor);
        Service = id;
        var record = Assert.Single(await Fixture.WaitForRecordsAsync(id, r => r.Count == 1 && r[0].State == DnsRecordState.Live, "live"));
        Assert.Equal(SteeringPortal.Route53Account, record.DnsAccountName);

        var saved = await PutAsync(new { policy = "weighted", weights = new Dictionary<string, int> { ["sim-fastly"] = 3, ["sim-maxcdn"] = 1 } });
        Assert.Equal("weighted", saved["policy"]!.GetValue<string>());
        Assert.Equal(3, saved["weights"]!["sim-fastly"]!.GetValue<int>());
        Assert.Equal(1, saved["weights"]!["sim-maxcdn"]!.GetValue<int>());
        Assert.Null(saved["weighted_refusal"]);

        await StepUntilSwitchAsync(3, "the first weighted set");
        var providers = (await Fixture.RecordsAsync(id)).Single();
        var written = WeightedSets.ReadWritten(providers.Weights)!;
        var fastlyTarget = written.Single(w => w.Provider == "sim-fastly").Target;
        var maxcdnTarget = written.Single(w => w.Provider == "sim-maxcdn").Target;
        Assert.Equal([("sim-fastly", 3, fastlyTarget), ("sim-maxcdn", 1, maxcdnTarget)],
            Route53Sets(record.Name).Select(s => (s.Id!, s.Weight!.Value, s.Target)).ToList());
        var view = await SteeringAsync();
        var first = view["events"]!.AsArray()[0]!;
        Assert.Equal(("switch", "confirmed", "steering"), (first["kind"]!.GetValue<string>(), first["confirmed"]!.GetValue<string>(), first["actor"]!.GetValue<string>()));
        Assert.Null(first["from_weights"]);
        Assert.Contains("sim-fastly 3", first["to_weights"]!.GetValue<string>());
        Assert.Contains("sim-maxcdn 1", first["to_weights"]!.GetValue<string>());
        Assert.Equal("CNAME (weighted)", view["records"]![0]!["type"]!.GetValue<string>());
        Assert.Equal(2, view["records"]![0]!["weights"]!.AsArray().Count);

        // A quiet round with the same health writes nothing.
        var changes = Fixture.DnsSimulators.Route53.ChangeCount;
        Assert.Equal(0, await StepAsync());
        Assert.Equal(changes, Fixture.DnsSimulators.Route53.ChangeCount);

        Fixture.Simulators.Fastly.Faults.Set(new FaultProfile { Outage = true });
        await StepUntilSwitchAsync(3, "sim-fastly taken out");
        Assert.Equal([("sim-maxcdn", 1, maxcdnTarget)], Route53Sets(record.Name).Select(s => (s.Id!, s.Weight!.Value, s.Target)).ToList());
        var out1 = (await SteeringAsync())["events"]!.AsArray()[0]!;
        Assert.Contains("sim-fastly is unhealthy", out1["reason"]!.GetValue<string>());
        Assert.Contains("sim-fastly 3", out1["from_weights"]!.GetValue<string>());
        Assert.Equal("sim-maxcdn 1", out1["to_weights"]!.GetValue<string>());

        Fixture.ResetFaults();
        await StepUntilSwitchAsync(6, "sim-fastly restored");
        Assert.Equal([("sim-fastly", 3), ("sim-maxcdn", 1)], Route53Sets(record.Name).Select(s => (s.Id!, s.Weight!.Value)).ToList());
        Assert.Contains("sim-fastly is healthy", (await SteeringAsync())["events"]!.AsArray()[0]!["reason"]!.GetValue<string>());

        // Back to failover: one plain CNAME, no weighted set beside it.
        await PutAsync(new { policy = "failover", providers = new[] { "sim-fastly", "sim-maxcdn" } });
        await StepUntilSwitchAsync(2, "one CNAME again");
        var plain = Assert.Single(Route53Sets(record.Name));
        Assert.Equal((null, null, fastlyTarget), plain);
        var after = await SteeringAsync();
        Assert.Null(after["records"]![0]!["weights"]);
        Assert.Equal("CNAME", after["records"]![0]!["type"]!.GetValue<string>());
        Assert.Null(after["weights"]);
        Assert.NotNull(after["events"]!.AsArray()[0]!["from_weights"]);

        await using var scope = Fixture.Portal.Services.CreateAsyncScope(Actor.System("test"));
        var audit = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<AuditEntry>().AsNoTracking()
            .Where(e => e.EntityId == id.ToString() && e.Action == "dns-weights").ToListAsync();
        Assert.Equal(3, audit.Count);
    }

    [Fact]
    public async Task PowerDNS_in_dry_run_records_the_set_once_and_enforced_answers_only_the_weighted_targets()
    {
        var (id, _) = await Fixture.DeployedServiceAsync();
        Service = id;
        var record = Assert.Single(await Fixture.WaitForRecordsAsync(id, r => r.Count == 1 && r[0].State == DnsRecordState.Live, "live"));
        var before = await Fixture.AnswerAsync(record.Name);
        Assert.Equal(record.Target, before);

        await PutAsync(new { policy = "weighted", mode = "dry_run", providers = new[] { "sim-fastly", "sim-akamai", "sim-maxcdn" }, weights = new Dictionary<string, int> { ["sim-fastly"] = 3, ["sim-akamai"] = 1, ["sim-maxcdn"] = 0 } });
        for (var i = 0; i < 3; i++)
        {
            await StepAsync();
        }
        Assert.Equal(1, await EventCountAsync(SteeringEventKind.WouldSwitch));
        var would = (await SteeringAsync())["events"]!.AsArray().Single(e => e!["kind"]!.GetValue<string>() == "would_switch")!;
        Assert.Equal("sim-fastly 3, sim-akamai 1", would["to_weights"]!.GetValue<string>());
        Assert.Contains("dry run", would["confirmed"]!.GetValue<string>());
        Assert.Equal(before, await Fixture.AnswerAsync(record.Name));
        Assert.Null((await Fixture.RecordsAsync(id)).Single().Weights);

        await PutAsync(new { policy = "weighted", mode = "enforce", providers = new[] { "sim-fastly", "sim-akamai", "sim-maxcdn" }, weights = new Dictionary<string, int> { ["sim-fastly"] = 3, ["sim-akamai"] = 1 } });
        await StepUntilSwitchAsync(2, "the LUA record");
        var written = WeightedSets.ReadWritten((await Fixture.RecordsAsync(id)).Single().Weights)!;
        var targets = written.Select(w => w.Target).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Equal(2, targets.Count);
        var answered = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < 60; i++)
        {
            var answer = await Fixture.AnswerAsync(record.Name);
            Assert.Contains(answer!, targets);
            answered.Add(answer!);
        }
        // 60 draws at 3:1 all landing on one side: 0.75^60 + 0.25^60, about 3e-8.
        Assert.Equal(targets.Count, answered.Count);
        Assert.Equal("confirmed", (await SteeringAsync())["events"]!.AsArray()[0]!["confirmed"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(SteeringPortal.DesignateFlavor, SteeringPortal.DesignateAccount, "Designate")]
    [InlineData(SteeringPortal.RackspaceFlavor, SteeringPortal.RackspaceAccount, "Rackspace")]
    public async Task Weighted_is_refused_on_a_DNS_account_whose_vendor_has_no_weighted_records(string flavor, string account, string vendor)
    {
        var document = ApiFixture.NewService(ApiFixture.UniqueDomain());
        document["flavor_id"] = flavor;
        Service = await ApiFixture.CreateAsync(Fixture.Admin, document);

        var refused = await PutAsync(new { policy = "weighted", weights = new Dictionary<string, int> { ["sim-fastly"] = 1 } }, HttpStatusCode.BadRequest);
        var error = Assert.Single(refused["errors"]!.AsArray(), e => e!["field"]!.GetValue<string>() == "policy")!["message"]!.GetValue<string>();
        Assert.Contains($"DNS account '{account}'", error);
        Assert.Contains(vendor, error);
        Assert.Contains("no weighted records", error);
        var view = await SteeringAsync();
        Assert.Equal("failover", view["policy"]!.GetValue<string>());
        Assert.Contains(account, view["weighted_refusal"]!.GetValue<string>());

        // The other policies stay available there.
        await PutAsync(new { policy = "failover" });
    }

    [Fact]
    public async Task Weights_are_validated_per_field()
    {
        var (id, _) = await Fixture.DeployedServiceAsync(SteeringPortal.Route53Flavor);
        Service = id;
        var errors = (await PutAsync(new { policy = "weighted", weights = new Dictionary<string, int> { ["sim-fastly"] = 256, ["nobody"] = 1 } },
            HttpStatusCode.BadRequest))["errors"]!.AsArray().Select(e => e!["message"]!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.Contains("from 0 to 255", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'nobody' is not a provider", StringComparison.Ordinal));

        var zero = (await PutAsync(new { policy = "weighted", weights = new Dictionary<string, int> { ["sim-fastly"] = 0 } }, HttpStatusCode.BadRequest)).ToJsonString();
        Assert.Contains("at least one provider needs a positive weight", zero);
        var notWeighted = (await PutAsync(new { policy = "failover", weights = new Dictionary<string, int> { ["sim-fastly"] = 1 } }, HttpStatusCode.BadRequest)).ToJsonString();
        Assert.Contains("weights go with policy weighted", notWeighted);
        var notNumbers = (await PutAsync(new { policy = "weighted", weights = new { sim_fastly = "heavy" } }, HttpStatusCode.BadRequest)).ToJsonString();
        Assert.Contains("whole number", notNumbers);
    }
}
