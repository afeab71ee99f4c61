using System.Text.Json;
using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Steering;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Providers.Dns.PowerDns;
using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Components.Charts;
using Poppy.Portal.Web.Features.Dashboard;
using Poppy.Portal.Web.Features.Steering;
using Poppy.Portal.Web.Tests.Providers;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Components.Steering;

/// <summary>
/// The steering panel, the service performance chart and the failover banner over a steered service stored as steering
/// leaves it (records, settings, health, events) in a portal whose DNS account is a real PowerDNS on loopback ports, so
/// a pin by hand really switches the CNAME.
/// </summary>
public sealed class SteeringComponentTests : AccountPageTest
{
    private const string DnsAccountName = "pdns-ui";
    private readonly PowerDnsServer powerDns = new();
    private readonly BunitJSModuleInterop chart;
    private Guid serviceId;
    private string domain = "";
    private DateTimeOffset switchedAt;

    public SteeringComponentTests()
    {
        Services.AddSingleton<TimeProvider>(Portal.Clock);
        Services.AddSingleton(_ => Portal.Services.GetRequiredService<RequestTimings>());
        chart = JSInterop.SetupModule(ApexChart.ModulePath);
        chart.Setup<int>("render", _ => true).SetResult(1);
        chart.SetupVoid("update", _ => true).SetVoidResult();
        chart.SetupVoid("download", _ => true).SetVoidResult();
    }

    public override async Task InitializeAsync()
    {
        await powerDns.InitializeAsync();
        Portal.Settings["Portal:Steering:Enabled"] = "false";
        Portal.Settings["Portal:Benchmarks:Enabled"] = "false";
        Portal.Settings["Portal:Dns:DefaultAccount"] = DnsAccountName;
        Portal.Settings[$"Portal:Dns:Nameservers:{DnsAccountName}"] = $"127.0.0.1:{powerDns.DnsPort}";
        await base.InitializeAsync();
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await powerDns.DisposeAsync();
    }

    private static string EdgeOf(string provider, string domain) => $"{domain.Replace('.', '-')}.{provider}.edge.test";

    /// <summary>
    /// A deployed service of fastly-main then akamai-main whose CNAME points at akamai-main: steering (failover) moved
    /// it there five minutes ago because fastly-main failed its probes; fastly-main is unhealthy, akamai-main healthy.
    /// </summary>
    private async Task SeedSteeredServiceAsync(string name = "steered", SteeringMode mode = SteeringMode.Enforce)
    {
        await Portal.SeedFlavorAsync(ServiceTestData.Flavor, "fastly-main", "akamai-main");
        await AsSystemAsync<DnsAccountDirectory, bool>(async accounts =>
        {
            var created = await accounts.CreateAsync(new DnsAccountSpec(DnsAccountName, DnsProviderKind.PowerDns, powerDns.ApiBaseUrl.ToString(),
                PowerDnsServer.Zone, 30, new Dictionary<string, string?> { [PowerDnsDriver.ApiKey] = PowerDnsServer.ApiKey }), CancellationToken.None);
            Assert.True(created.Succeeded, string.Join("; ", created.Errors));
            return true;
        });
        domain = $"{name}.example.com";
        serviceId = await Portal.CreateServiceAsync(ServiceTestData.Spec(name, domain));
        await Portal.SetServiceStatusAsync(serviceId, ProviderStatus.Deployed);

        await using var scope = Portal.Services.CreateAsyncScope(Actor.System("test"));
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var now = Portal.Clock.GetUtcNow();
        switchedAt = now.AddMinutes(-5);
        var providers = await db.Set<ServiceProviderState>().Where(p => p.ServiceId == serviceId).ToListAsync();
        foreach (var provider in providers)
        {
            provider.AccessUrls = AccessUrlJson.Write([new AccessUrl(domain, EdgeOf(provider.ProviderName, domain), null)]);
        }
        var fastly = providers.Single(p => p.ProviderName == "fastly-main");
        var akamai = providers.Single(p => p.ProviderName == "akamai-main");
        var account = await db.Set<DnsAccount>().SingleAsync(a => a.Name == DnsAccountName);
        var projectId = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
        db.Add(new ServiceDnsRecord
        {
            ServiceId = serviceId, ProjectId = projectId, Domain = domain, Name = DnsRecordNames.For(domain, PowerDnsServer.Zone),
            DnsAccountId = account.Id, DnsAccountName = account.Name, Target = EdgeOf("akamai-main", domain), ProviderAccountId = akamai.ProviderAccountId,
            ProviderName = akamai.ProviderName, TtlSeconds = 30, State = DnsRecordState.Live, CreatedAt = now, UpdatedAt = now,
        });
        db.Add(new ServiceSteering
        {
            ServiceId = serviceId, ProjectId = projectId, Policy = SteeringPolicy.Failover, Mode = mode, ActiveProviderAccountId = akamai.ProviderAccountId,
            Health = JsonSerializer.Serialize(new[]
            {
                new ProviderHealthReport(fastly.ProviderAccountId, fastly.ProviderName, HealthState.Unhealthy, "3 failed probes in a row", 6, 0.5, null, 3),
                new ProviderHealthReport(akamai.ProviderAccountId, akamai.ProviderName, HealthState.Healthy, "answering", 6, 0, 42, 6),
            }),
            DecidedAt = now, UpdatedAt = now,
        });
        db.Add(new SteeringEvent
        {
            ServiceId = serviceId, ProjectId = projectId, At = switchedAt, Kind = SteeringEventKind.Switch, Domains = domain,
            FromProviderAccountId = fastly.ProviderAccountId, FromProvider = fastly.ProviderName, ToProviderAccountId = akamai.ProviderAccountId,
            ToProvider = akamai.ProviderName, Policy = SteeringPolicy.Failover, Reason = "fastly-main is unhealthy: 3 failed probes in a row",
            Figures = """{"health":[{"provider":"fastly-main","failures":3}]}""", Actor = SteeringRound.ActorName, Round = 1,
            Confirmation = DnsConfirmations.Confirmed,
        });
        await db.SaveChangesAsync();
    }

    private Task<SteeringView?> ViewAsync() => AsSystemAsync<SteeringService, SteeringView?>(async steering =>
        await steering.GetAsync(await Portal.ProjectIdAsync(PortalFactory.FirstProject), serviceId, CancellationToken.None));

    [Fact]
    public async Task The_panel_shows_the_providers_with_the_active_one_highlighted_the_records_and_the_events()
    {
        await SeedSteeredServiceAsync();

        var panel = await OpenAsync<SteeringPanel>(p => p.Add(x => x.ServiceId, serviceId));

        panel.WaitForAssertion(() => Assert.Equal(2, panel.FindAll("[data-testid=steering-provider]").Count));
        var providers = panel.FindAll("[data-testid=steering-provider]");
        Assert.Equal(["fastly-main", "akamai-main"], providers.Select(p => p.GetAttribute("data-provider")));
        Assert.Equal(["false", "true"], providers.Select(p => p.GetAttribute("data-active")));
        Assert.Equal(["unhealthy", "healthy"], providers.Select(p => p.QuerySelector("[data-testid=provider-health]")!.GetAttribute("data-health")));
        Assert.Contains("3 failed probes in a row", providers[0].TextContent, StringComparison.Ordinal);
        Assert.Equal("failover", panel.Find("[data-testid=steering-banner]").GetAttribute("data-kind"));
        Assert.Equal("enforce", panel.Find("[data-testid=steering-mode]").GetAttribute("data-mode"));

        Assert.Equal(DnsRecordNames.For(domain, PowerDnsServer.Zone), panel.Find("[data-testid=record-name]").TextContent.Trim());
        Assert.Equal(EdgeOf("akamai-main", domain), panel.Find("[data-testid=record-target]").TextContent.Trim());
        Assert.Equal("live", panel.Find("[data-testid=record-state]").TextContent.Trim());

        Assert.Equal("fastly-main → akamai-main", panel.Find("[data-testid=event-move]").TextContent.Trim());
        Assert.Equal(DnsConfirmations.Confirmed, panel.Find("[data-testid=event-confirmation]").TextContent.Trim());
        Assert.Empty(panel.FindAll("[data-testid=event-figures]"));
        await panel.Find("[data-testid=event-figures-toggle]").ClickAsync(new MouseEventArgs());
        Assert.Contains("\"failures\": 3", panel.Find("[data-testid=event-figures]").TextContent, StringComparison.Ordinal);

        // An operator (the administrator here) gets the form and a pin for the providers not live.
        Assert.Single(panel.FindAll("[data-testid=steering-settings]"));
        Assert.Single(panel.FindAll("[data-testid=pin-provider]"));
    }

    [Fact]
    public async Task A_viewer_sees_the_steering_but_no_settings_form_and_no_pin()
    {
        await SeedSteeredServiceAsync();
        await SignInAsNewUserAsync(PortalRoles.Viewer);

        var panel = await OpenAsync<SteeringPanel>(p => p.Add(x => x.ServiceId, serviceId));

        panel.WaitForAssertion(() => Assert.Equal(2, panel.FindAll("[data-testid=steering-provider]").Count));
        Assert.Empty(panel.FindAll("[data-testid=steering-settings]"));
        Assert.Empty(panel.FindAll("[data-testid=pin-provider]"));
        Assert.Single(panel.FindAll("[data-testid=steering-events] tbody [data-testid=event-move]"));
    }

    [Fact]
    public async Task An_invalid_threshold_is_refused_with_its_message_at_the_field_and_nothing_is_stored()
    {
        await SeedSteeredServiceAsync();
        var panel = await OpenAsync<SteeringPanel>(p => p.Add(x => x.ServiceId, serviceId));
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid=steering-settings]")));

        Type(panel, "[data-testid='field-thresholds.failures_to_unhealthy']", "0");
        await ClickAsync(panel, "[data-testid=save-steering]");

        panel.WaitForAssertion(() => Assert.Contains("failures_to_unhealthy must be between 1 and 100.",
            panel.Find("[data-testid='field-thresholds.failures_to_unhealthy']").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain("must be", panel.Find("[data-testid='field-thresholds.successes_to_healthy']").TextContent, StringComparison.Ordinal);
        Assert.Equal(SteeringThresholds.Default, (await ViewAsync())!.Thresholds);

        // Corrected, it saves.
        Type(panel, "[data-testid='field-thresholds.failures_to_unhealthy']", "4");
        await ClickAsync(panel, "[data-testid=save-steering]");
        WaitForSnackbar("Steering saved.");
        Assert.Equal(4, (await ViewAsync())!.Thresholds.FailuresToUnhealthy);
        Assert.DoesNotContain("must be", panel.Find("[data-testid='field-thresholds.failures_to_unhealthy']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pin_asks_first_then_switches_the_records_to_the_pinned_provider()
    {
        await SeedSteeredServiceAsync();
        var panel = await OpenAsync<SteeringPanel>(p => p.Add(x => x.ServiceId, serviceId));
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid=pin-provider]")));

        await ClickAndConfirmAsync(panel.Find("[data-provider=fastly-main] [data-testid=pin-provider]"), "Pin");

        var view = (await ViewAsync())!;
        Assert.Equal(SteeringPolicy.Manual, view.Policy);
        Assert.Equal("fastly-main", view.Pinned?.Name);
        Assert.Equal("fastly-main", view.Active?.Name);
        Assert.Equal(EdgeOf("fastly-main", domain), Assert.Single(view.Records).Target);
        var pinned = view.Events.First();
        Assert.Equal((SteeringEventKind.Switch, "akamai-main", "fastly-main", "pinned by hand"), (pinned.Kind, pinned.From, pinned.To, pinned.Reason));
        Assert.Equal(DnsConfirmations.Confirmed, pinned.Confirmation);
        // The authoritative server answers the new target.
        Assert.Equal(EdgeOf("fastly-main", domain), await DnsConfirmation.QueryCnameAsync(
            new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, powerDns.DnsPort), view.Records[0].Name, CancellationToken.None));
        panel.WaitForAssertion(() => Assert.Equal("true", panel.Find("[data-provider=fastly-main]").GetAttribute("data-active")));
        Assert.Empty(panel.FindAll("[data-testid=steering-banner]"));
    }

    [Fact]
    public async Task A_pin_that_is_not_confirmed_changes_nothing()
    {
        await SeedSteeredServiceAsync();
        var panel = await OpenAsync<SteeringPanel>(p => p.Add(x => x.ServiceId, serviceId));
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid=pin-provider]")));

        await ClickAndConfirmAsync(panel.Find("[data-testid=pin-provider]"), "Cancel");

        var view = (await ViewAsync())!;
        Assert.Equal((SteeringPolicy.Failover, "akamai-main"), (view.Policy, view.Active?.Name));
    }

    [Fact]
    public async Task The_panel_re_renders_when_steering_in_this_process_records_an_event()
    {
        await SeedSteeredServiceAsync();
        // The poll is far away: only the steering notification can bring the change in time.
        var panel = await OpenAsync<SteeringPanel>(p => p.Add(x => x.ServiceId, serviceId).Add(x => x.RefreshEvery, TimeSpan.FromHours(1)));
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid=event-move]")));

        // An operator elsewhere in this process pins fastly-main: the switcher records the event and raises it.
        await AsSystemAsync<SteeringService, bool>(async steering =>
        {
            var result = await steering.UpdateAsync(await Portal.ProjectIdAsync(PortalFactory.FirstProject), serviceId,
                new SteeringChange("manual", null, null, "fastly-main", null), CancellationToken.None);
            Assert.True(result.Succeeded, string.Join("; ", result.Errors));
            return true;
        });

        panel.WaitForAssertion(() =>
        {
            Assert.Equal(2, panel.FindAll("[data-testid=event-move]").Count);
            Assert.Equal("true", panel.Find("[data-provider=fastly-main]").GetAttribute("data-active"));
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_steering_round_in_this_process_tells_the_open_panel_at_once()
    {
        await SeedSteeredServiceAsync();
        var panel = await OpenAsync<SteeringPanel>(p => p.Add(x => x.ServiceId, serviceId).Add(x => x.RefreshEvery, TimeSpan.FromHours(1)));
        panel.WaitForAssertion(() => Assert.Equal(2, panel.FindAll("[data-testid=steering-provider]").Count));
        var raised = new List<Guid>();
        var events = Portal.Services.GetRequiredService<SteeringEvents>();
        void Seen(Guid id)
        {
            lock (raised)
            {
                raised.Add(id);
            }
        }
        events.Changed += Seen;
        // Ten minutes on, nothing probed the providers: the round decides again (new health, new decision time).
        Portal.Clock.Advance(TimeSpan.FromMinutes(10));
        try
        {
            var result = await Portal.Services.GetRequiredService<SteeringRound>()
                .RunAsync(SteeringRound.RoundAt(Portal.Clock.GetUtcNow(), TimeSpan.FromSeconds(2)), default);
            Assert.Equal(1, result.Decided);
        }
        finally
        {
            events.Changed -= Seen;
        }

        lock (raised)
        {
            Assert.Contains(serviceId, raised);
        }
        var decidedAt = (await ViewAsync())!.DecidedAt!.Value;
        panel.WaitForAssertion(() => Assert.Contains(decidedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
            panel.Find("[data-testid=steering-decided]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_chart_draws_each_providers_latency_with_the_live_one_named_and_one_marker_per_switch()
    {
        await SeedSteeredServiceAsync();
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System("test")))
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var accounts = await db.Set<ProviderAccount>().ToDictionaryAsync(a => a.Name, a => a.Id);
            var at = Portal.Clock.GetUtcNow().AddMinutes(-10);
            ProbeSample Sample(string provider, double ms) => new()
            {
                ServiceId = serviceId, ProviderAccountId = accounts[provider], ProviderName = provider, At = at,
                Outcome = ProbeOutcome.Ok, TotalMs = ms, FirstByteMs = ms, Status = 200,
            };
            db.AddRange(Sample("fastly-main", 20), Sample("fastly-main", 30), Sample("akamai-main", 80));
            var projectId = await Portal.ProjectIdAsync(PortalFactory.FirstProject);
            // A second switch, back and forth, and a dry-run decision that is not a switch (so not marked).
            db.Add(new SteeringEvent
            {
                ServiceId = serviceId, ProjectId = projectId, At = switchedAt.AddMinutes(2), Kind = SteeringEventKind.Switch, Domains = domain,
                FromProvider = "akamai-main", ToProvider = "fastly-main", Policy = SteeringPolicy.Manual, Reason = "pinned by hand", Actor = "ops", Round = null,
            });
            db.Add(new SteeringEvent
            {
                ServiceId = serviceId, ProjectId = projectId, At = switchedAt.AddMinutes(3), Kind = SteeringEventKind.WouldSwitch, Domains = domain,
                FromProvider = "fastly-main", ToProvider = "akamai-main", Policy = SteeringPolicy.Failover, Reason = "dry run", Actor = "steering", Round = 7,
            });
            await db.SaveChangesAsync();
        }
        await Portal.Services.GetRequiredService<RollupBuilder>().RunAsync(default);

        var card = await OpenAsync<ServicePerformanceChart>(p => p.Add(x => x.ServiceId, serviceId).Add(x => x.ServiceName, "steered")
            .Add(x => x.RefreshEvery, TimeSpan.FromMilliseconds(100)));

        card.WaitForAssertion(() => Assert.Single(chart.Invocations["render"]));
        var config = JsonSerializer.SerializeToElement(chart.Invocations["render"][0].Arguments[1], JsonSerializerOptions.Web);
        var names = config.GetProperty("series").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["akamai-main (live) p50", "akamai-main (live) p95", "fastly-main p50", "fastly-main p95"], names.Order(StringComparer.Ordinal));
        var akamaiP95 = config.GetProperty("series").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "akamai-main (live) p95");
        Assert.Equal(80, akamaiP95.GetProperty("data").EnumerateArray().Single(p => p.GetProperty("y").ValueKind == JsonValueKind.Number).GetProperty("y").GetDouble(), 0.5);
        var markers = config.GetProperty("markers").EnumerateArray().ToList();
        Assert.Equal([switchedAt.ToUnixTimeMilliseconds(), switchedAt.AddMinutes(2).ToUnixTimeMilliseconds()], markers.Select(m => m.GetProperty("x").GetInt64()));
        Assert.Equal(["fastly-main → akamai-main", "akamai-main → fastly-main"], markers.Select(m => m.GetProperty("label").GetString()));
        Assert.Contains("akamai-main (live)", card.Find("[data-testid=performance-title]").TextContent, StringComparison.Ordinal);

        // The refresh replaces the series in place (an update, never a second chart), with the live provider as steering now says.
        await AsSystemAsync<SteeringService, bool>(async steering =>
            (await steering.UpdateAsync(await Portal.ProjectIdAsync(PortalFactory.FirstProject), serviceId,
                new SteeringChange("manual", null, null, "fastly-main", null), CancellationToken.None)).Succeeded);
        card.WaitForAssertion(() =>
        {
            var update = chart.Invocations["update"].Last();
            var series = JsonSerializer.SerializeToElement(update.Arguments[1], JsonSerializerOptions.Web);
            Assert.Contains("fastly-main (live) p95", series.EnumerateArray().Select(s => s.GetProperty("name").GetString()));
            var updated = JsonSerializer.SerializeToElement(update.Arguments[2], JsonSerializerOptions.Web);
            Assert.Equal(3, updated.GetProperty("markers").GetArrayLength());
        }, TimeSpan.FromSeconds(10));
        Assert.Single(chart.Invocations["render"]);

        await ClickAsync(card, "[data-testid=performance-export]");
        var csv = (string)chart.Invocations["download"].Single().Arguments[1]!;
        Assert.StartsWith("benchmarks-steered-1h-", (string)chart.Invocations["download"].Single().Arguments[0]!, StringComparison.Ordinal);
        Assert.Contains("akamai-main,", csv, StringComparison.Ordinal);
        Assert.Contains("fastly-main,", csv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_dashboard_shows_the_failover_banner_linking_to_the_service_while_a_failover_is_in_effect()
    {
        await SeedSteeredServiceAsync();

        var page = await OpenAsync<DashboardPage>();

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=failover-banner]")));
        var item = page.Find("[data-testid=failover-service]");
        Assert.Equal("failover", item.GetAttribute("data-kind"));
        Assert.Equal($"/services/{serviceId}", item.QuerySelector("a")!.GetAttribute("href"));
        Assert.Contains("traffic goes to akamai-main instead of fastly-main", item.TextContent, StringComparison.Ordinal);

        // Back on the preferred provider, the banner goes at once (the pin raises the steering notification).
        await AsSystemAsync<SteeringService, bool>(async steering =>
            (await steering.UpdateAsync(await Portal.ProjectIdAsync(PortalFactory.FirstProject), serviceId,
                new SteeringChange("failover", null, ["akamai-main", "fastly-main"], null, null), CancellationToken.None)).Succeeded);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=failover-banner]")), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task An_operator_chooses_weighted_sets_weights_per_provider_and_sees_the_weights_written()
    {
        await SeedSteeredServiceAsync();
        var panel = await OpenAsync<SteeringPanel>(p => p.Add(x => x.ServiceId, serviceId));
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid=steering-settings]")));
        Assert.Empty(panel.FindAll("[data-testid=field-weights]"));
        Assert.Empty(panel.FindAll("[data-testid=weighted-refusal]"));

        await ChooseAsync(panel, "Policy", "weighted");
        panel.WaitForAssertion(() => Assert.Equal(["fastly-main", "akamai-main"],
            panel.FindAll("[data-testid=weight-field]").Select(f => f.GetAttribute("data-provider"))));
        // No weight given yet: an equal split to start from.
        Assert.All(panel.FindAll("[data-testid=weight-field] input"), input => Assert.Equal("1", input.GetAttribute("value")));

        Type(panel, "[data-testid=weight-field][data-provider=fastly-main]", "3");
        await ClickAsync(panel, "[data-testid=save-steering]");
        WaitForSnackbar("Steering saved.");
        var saved = (await ViewAsync())!;
        Assert.Equal(SteeringPolicy.Weighted, saved.Policy);
        Assert.Equal([("fastly-main", 3), ("akamai-main", 1)], saved.Weights!.Select(w => (w.Name, w.Weight)));
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid=written-weights-none]")));

        // What a steering round does next: the set written to the real PowerDNS, and the open panel shows it.
        await using (var scope = Portal.Services.CreateAsyncScope(Actor.System("test")))
        {
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var steering = await db.Set<ServiceSteering>().SingleAsync(s => s.ServiceId == serviceId);
            var records = await db.Set<ServiceDnsRecord>().Where(r => r.ServiceId == serviceId).ToListAsync();
            var providers = await db.Set<ServiceProviderState>().AsNoTracking().Where(p => p.ServiceId == serviceId).ToListAsync();
            var weights = saved.Weights!;
            var done = await scope.ServiceProvider.GetRequiredService<SteeringSwitcher>().WriteWeightsAsync(steering, records, providers, weights,
                new SwitchRequest(weights[0].ProviderAccountId, "policy weighted", new { }, SteeringRound.ActorName, Round: 2), CancellationToken.None);
            Assert.NotNull(done);
            Assert.Equal(DnsConfirmations.Confirmed, done.Confirmation);
        }

        panel.WaitForAssertion(() => Assert.Equal([("fastly-main", "3"), ("akamai-main", "1")],
            panel.FindAll("[data-testid=written-weight]").Select(c => (c.GetAttribute("data-provider"), c.GetAttribute("data-weight")))), TimeSpan.FromSeconds(5));
        Assert.Contains("75 %", panel.Find("[data-testid=written-weight][data-provider=fastly-main]").TextContent, StringComparison.Ordinal);
        Assert.Equal($"{EdgeOf("fastly-main", domain)} (3), {EdgeOf("akamai-main", domain)} (1)", panel.Find("[data-testid=record-target]").TextContent.Trim());
        Assert.Equal("akamai-main → fastly-main 3, akamai-main 1", panel.Find("[data-testid=event-move]").TextContent.Trim());
    }

    [Fact]
    public async Task Weights_all_zero_are_refused_at_the_weights_field_and_nothing_is_stored()
    {
        await SeedSteeredServiceAsync();
        var panel = await OpenAsync<SteeringPanel>(p => p.Add(x => x.ServiceId, serviceId));
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid=steering-settings]")));
        await ChooseAsync(panel, "Policy", "weighted");
        panel.WaitForAssertion(() => Assert.Equal(2, panel.FindAll("[data-testid=weight-field]").Count));
        Type(panel, "[data-testid=weight-field][data-provider=fastly-main]", "0");
        Type(panel, "[data-testid=weight-field][data-provider=akamai-main]", "0");

        await ClickAsync(panel, "[data-testid=save-steering]");

        panel.WaitForAssertion(() => Assert.Contains("at least one provider needs a positive weight",
            panel.Find("[data-testid=field-weights]").ParentElement!.TextContent, StringComparison.Ordinal));
        Assert.Equal(SteeringPolicy.Failover, (await ViewAsync())!.Policy);
    }
}
