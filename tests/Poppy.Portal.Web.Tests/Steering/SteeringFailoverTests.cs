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

namespace Poppy.Portal.Web.Tests.Steering;

/// <summary>
/// Steering end to end: probe rounds against the simulated edges, steering rounds on the portal's clock (moved one probe
/// interval per step), the real PowerDNS holding the CNAME, and the simulators' fault controls.
/// </summary>
[Collection(nameof(SteeringCollection))]
public sealed class SteeringFailoverTests(SteeringPortal fixture) : SteeringScenario(fixture)
{
    private async Task<JsonObject> SteeringAsync(Guid id) => (await Fixture.Admin.GetFromJsonAsync<JsonObject>($"/v1.0/services/{id}/steering"))!;

    private async Task<(Guid Id, ServiceDnsRecord Record)> FailoverServiceAsync(string mode = "enforce")
    {
        var (id, _) = await Fixture.DeployedServiceAsync();
        Service = id;
        var record = Assert.Single(await Fixture.WaitForRecordsAsync(id, r => r.Count == 1 && r[0].State == DnsRecordState.Live, "live"));
        // CloudFront's edge refuses these domains (no certificate): it is left out of the order.
        using var put = await Fixture.Admin.PutAsJsonAsync($"/v1.0/services/{id}/steering",
            new { policy = "failover", providers = new[] { "sim-fastly", "sim-akamai", "sim-maxcdn" } });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, await StepAsync());
        }
        return (id, record);
    }

    [Fact]
    public async Task An_outage_of_the_active_edge_switches_the_CNAME_within_two_probe_intervals_and_failover_returns_after_recovery()
    {
        var (id, record) = await FailoverServiceAsync();
        var before = await SteeringAsync(id);
        Assert.Equal("sim-fastly", before["active_provider"]!.GetValue<string>());
        Assert.All(before["health"]!.AsArray().Where(h => h!["provider"]!.GetValue<string>() != "sim-cloudfront"),
            h => Assert.True(h!["healthy"]!.GetValue<bool>(), h.ToJsonString()));

        Fixture.Simulators.Fastly.Faults.Set(new FaultProfile { Outage = true });
        var steps = 0;
        while (await StepAsync() == 0)
        {
            Assert.True(++steps < 2, "no switch within two probe intervals");
        }
        var records = await Fixture.RecordsAsync(id);
        Assert.Equal("sim-akamai", Assert.Single(records).ProviderName);
        Assert.Equal(records[0].Target, await Fixture.AnswerAsync(record.Name));

        var after = await SteeringAsync(id);
        Assert.Equal("sim-akamai", after["active_provider"]!.GetValue<string>());
        Assert.True(after["failover_in_effect"]!.GetValue<bool>());
        var fastlyHealth = after["health"]!.AsArray().Single(h => h!["provider"]!.GetValue<string>() == "sim-fastly")!;
        Assert.False(fastlyHealth["healthy"]!.GetValue<bool>());
        var switched = after["events"]!.AsArray()[0]!;
        Assert.Equal(("switch", "sim-fastly", "sim-akamai", "steering", "confirmed"),
            (switched["kind"]!.GetValue<string>(), switched["from"]!.GetValue<string>(), switched["to"]!.GetValue<string>(),
             switched["actor"]!.GetValue<string>(), switched["confirmed"]!.GetValue<string>()));
        Assert.Contains("sim-fastly is unhealthy", switched["reason"]!.GetValue<string>());
        var fastlyFigures = switched["figures"]!["providers"]!.AsArray().Single(p => p!["provider"]!.GetValue<string>() == "sim-fastly")!;
        Assert.Equal("unhealthy", fastlyFigures["health"]!.GetValue<string>());
        Assert.True(fastlyFigures["samples"]!.GetValue<int>() >= 2);
        Assert.True(fastlyFigures["error_rate"]!.GetValue<double>() > 0);

        // The banner query and the audit log see it too.
        await using (var scope = Fixture.Portal.Services.CreateAsyncScope(Actor.System("test")))
        {
            var banners = await scope.ServiceProvider.GetRequiredService<SteeringService>().FailoversInEffectAsync(null, default);
            var banner = Assert.Single(banners, b => b.ServiceId == id);
            Assert.Equal(("sim-akamai", "sim-fastly"), (banner.ActiveProvider, banner.PreferredProvider));
            var audit = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<AuditEntry>().AsNoTracking()
                .Where(e => e.EntityId == id.ToString() && e.Action == "dns-switch").ToListAsync();
            Assert.Single(audit);
            Assert.Equal(SteeringRound.ActorName, audit[0].ActorName);
        }

        // Recovery: back to the first provider once it answered M (3) probes in a row, not before.
        Fixture.ResetFaults();
        Assert.Equal(0, await StepAsync());
        Assert.Equal(0, await StepAsync());
        Assert.Equal(1, await StepAsync());
        Assert.Equal("sim-fastly", Assert.Single(await Fixture.RecordsAsync(id)).ProviderName);
        Assert.Equal(record.Target, await Fixture.AnswerAsync(record.Name));
        Assert.False((await SteeringAsync(id))["failover_in_effect"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_round_decided_once_is_not_decided_again_by_a_second_node_or_a_repeated_firing()
    {
        var (id, record) = await FailoverServiceAsync();
        Fixture.Simulators.Fastly.Faults.Set(new FaultProfile { Outage = true });
        for (var i = 0; i < 2; i++)
        {
            AdvanceOneInterval();
            await Fixture.ProbeAsync();
        }
        // Two nodes run the same round at once: each service is decided by one of them; a repeated firing decides nothing.
        var number = Fixture.LastRound + 1000;
        var results = await Task.WhenAll(Fixture.SteerAsync(number), Fixture.SteerAsync(number));
        Assert.True(results.Sum(r => r.Switched) >= 1);
        Assert.Equal(0, (await Fixture.SteerAsync(number)).Decided);
        await using var scope = Fixture.Portal.Services.CreateAsyncScope(Actor.System("test"));
        var events = await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Set<SteeringEvent>().AsNoTracking()
            .Where(e => e.ServiceId == id && e.Kind == SteeringEventKind.Switch).ToListAsync();
        Assert.Single(events);
        Assert.Equal(number, events[0].Round);
        Assert.NotEqual(record.Target, await Fixture.AnswerAsync(record.Name));
    }

    [Fact]
    public async Task Dry_run_records_what_it_would_do_once_and_changes_nothing()
    {
        var (id, record) = await FailoverServiceAsync();
        using var put = await Fixture.Admin.PutAsJsonAsync($"/v1.0/services/{id}/steering",
            new { policy = "failover", mode = "dry_run", providers = new[] { "sim-fastly", "sim-akamai", "sim-maxcdn" } });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Fixture.Simulators.Fastly.Faults.Set(new FaultProfile { Outage = true });
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(0, await StepAsync());
        }
        Assert.Equal(record.Target, await Fixture.AnswerAsync(record.Name));
        var view = await SteeringAsync(id);
        Assert.Equal("dry_run", view["mode"]!.GetValue<string>());
        Assert.Equal("sim-fastly", view["active_provider"]!.GetValue<string>());
        var would = Assert.Single(view["events"]!.AsArray(), e => e!["kind"]!.GetValue<string>() == "would_switch")!;
        Assert.Equal("sim-akamai", would["to"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_provider_down_stays_and_raises_one_alert()
    {
        var (id, record) = await FailoverServiceAsync();
        foreach (var vendor in Fixture.Simulators.Vendors)
        {
            vendor.Faults.Set(new FaultProfile { Outage = true });
        }
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(0, await StepAsync());
        }
        Assert.Equal(1, await EventCountAsync(SteeringEventKind.Alert));
        Assert.Equal(record.Target, await Fixture.AnswerAsync(record.Name));
        var view = await SteeringAsync(id);
        Assert.True(view["alert"]!.GetValue<bool>());
        Assert.True(view["failover_in_effect"]!.GetValue<bool>());
        Assert.Single(view["events"]!.AsArray(), e => e!["kind"]!.GetValue<string>() == "alert");
    }

    [Fact]
    public async Task A_pin_by_hand_switches_at_once_in_the_user_s_name()
    {
        var (id, record) = await FailoverServiceAsync();
        using var put = await Fixture.Admin.PutAsJsonAsync($"/v1.0/services/{id}/steering", new { pinned_provider = "sim-maxcdn" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var view = (await put.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(("manual", "sim-maxcdn", "sim-maxcdn"), (view["policy"]!.GetValue<string>(), view["active_provider"]!.GetValue<string>(),
            view["pinned_provider"]!.GetValue<string>()));
        var pinned = view["events"]!.AsArray()[0]!;
        Assert.Equal(PortalFactory.AdminEmail, pinned["actor"]!.GetValue<string>());
        Assert.Equal("confirmed", pinned["confirmed"]!.GetValue<string>());
        Assert.Equal(Assert.Single(await Fixture.RecordsAsync(id)).Target, await Fixture.AnswerAsync(record.Name));
        // The policy's own order: flavor order again (providers left out), so all four are listed.
        Assert.Equal(4, view["providers"]!.AsArray().Count);
    }

    [Fact]
    public async Task Invalid_settings_are_refused_with_a_message_per_field()
    {
        var (id, _) = await Fixture.DeployedServiceAsync();
        using var put = await Fixture.Admin.PutAsJsonAsync($"/v1.0/services/{id}/steering", new
        {
            policy = "weighted",
            mode = "sometimes",
            providers = new[] { "sim-fastly", "nobody", "sim-fastly" },
            thresholds = new { failures_to_unhealthy = 0, fastest_margin = 2.0 },
        });
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        var errors = (await put.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray()
            .Select(e => (Field: e!["field"]!.GetValue<string>(), Message: e["message"]!.GetValue<string>())).ToList();
        // PowerDNS holds weighted records (LUA): weighted is refused here only for the weights it lacks.
        Assert.DoesNotContain(errors, e => e.Field == "policy");
        Assert.Contains(errors, e => e.Field == "weights" && e.Message.Contains("policy weighted needs weights", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Field == "mode");
        Assert.Contains(errors, e => e.Field == "providers" && e.Message.Contains("'nobody'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Field == "providers" && e.Message.Contains("twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Field == "thresholds.failures_to_unhealthy");
        Assert.Contains(errors, e => e.Field == "thresholds.fastest_margin");

        using var unknown = await Fixture.Admin.PutAsJsonAsync($"/v1.0/services/{id}/steering", new { polcy = "manual", thresholds = new { k = 1 } });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        var body = await unknown.Content.ReadAsStringAsync();
        Assert.Contains("polcy", body);
        Assert.Contains("thresholds", body);

        using var manual = await Fixture.Admin.PutAsJsonAsync($"/v1.0/services/{id}/steering", new { policy = "manual" });
        Assert.Equal(HttpStatusCode.BadRequest, manual.StatusCode);
        Assert.Contains("pinned_provider", await manual.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_openapi_document_describes_the_steering_routes()
    {
        using var anonymous = Fixture.Portal.CreateClient();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/poppy-v1.json"))!;
        var path = document["paths"]?["/v1.0/services/{id}/steering"];
        Assert.Contains("active_provider", path?["get"]?["summary"]?.GetValue<string>());
        Assert.Contains("pinned_provider", path?["put"]?["summary"]?.GetValue<string>());
        Assert.Contains("weights: {provider name: weight}", path?["put"]?["summary"]?.GetValue<string>());
        Assert.Contains("0..255", path?["put"]?["summary"]?.GetValue<string>());
    }
}
