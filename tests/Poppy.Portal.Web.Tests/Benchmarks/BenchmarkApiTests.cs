using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Tests.Api;

namespace Poppy.Portal.Web.Tests.Benchmarks;

/// <summary>
/// <c>GET /v1.0/services/{id}/benchmarks</c> over real probes of the simulated edges, rolled up on the portal's clock
/// (moved forward so buckets close): the four windows' shapes, and tenancy.
/// </summary>
[Collection(nameof(BenchmarkProbeTests))]
public sealed class BenchmarkApiTests(BenchmarkPortal fixture)
{
    [Fact]
    public async Task Each_window_answers_per_provider_figures_and_a_series_at_its_resolution()
    {
        for (var i = 0; i < 5; i++)
        {
            await fixture.RoundAsync();
        }
        var probed = (await fixture.SamplesAsync()).Where(s => s.Outcome != ProbeOutcome.Skipped)
            .GroupBy(s => s.ProviderName).ToDictionary(g => g.Key, g => g.Count());
        // Close the minute and the hour the samples are in, then roll up as the job does.
        fixture.Portal.Clock.Advance(TimeSpan.FromMinutes(62));
        await fixture.Get<RollupBuilder>().RunAsync(default);

        foreach (var (window, step) in new[] { ("1h", 60), ("24h", 300), ("7d", 3600), ("30d", 3600) })
        {
            // The 1 h window ends now, an hour after the probes: the 24 h one holds them at minute resolution.
            using var response = await fixture.Admin.GetAsync($"/v1.0/services/{fixture.ServiceId}/benchmarks?window={window}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(window, body["window"]!.GetValue<string>());
            Assert.Equal(step, body["step_seconds"]!.GetValue<int>());
            var providers = body["providers"]!.AsArray().Select(p => p!.AsObject()).ToList();
            Assert.Equal(["sim-akamai", "sim-cloudfront", "sim-fastly", "sim-maxcdn"], providers.Select(p => p["provider"]!.GetValue<string>()));
            foreach (var provider in providers)
            {
                foreach (var field in new[] { "samples", "p50_ms", "p95_ms", "p99_ms", "availability", "cache_hit_ratio", "series" })
                {
                    Assert.True(provider.ContainsKey(field), $"{window}: no {field}");
                }
                if (window == "1h")
                {
                    Assert.Equal(0, provider["samples"]!.GetValue<long>());
                    Assert.Empty(provider["series"]!.AsArray());
                    continue;
                }
                var name = provider["provider"]!.GetValue<string>();
                Assert.Equal(probed.GetValueOrDefault(name), provider["samples"]!.GetValue<long>());
                if (name == "sim-cloudfront")
                {
                    // Refused the domain every time (no alias without a certificate): no latency, nothing available.
                    Assert.Null(provider["p50_ms"]);
                    Assert.Equal(0, provider["availability"]!.GetValue<double>());
                }
                else
                {
                    Assert.True(provider["p50_ms"]!.GetValue<double>() <= provider["p95_ms"]!.GetValue<double>());
                    Assert.True(provider["p95_ms"]!.GetValue<double>() <= provider["p99_ms"]!.GetValue<double>());
                    Assert.InRange(provider["availability"]!.GetValue<double>(), 0.5, 1);
                    Assert.InRange(provider["cache_hit_ratio"]!.GetValue<double>(), 0.5, 1);
                }
                var series = provider["series"]!.AsArray().Select(p => p!.AsObject()).ToList();
                Assert.NotEmpty(series);
                Assert.All(series, point =>
                {
                    var time = DateTimeOffset.Parse(point["time"]!.GetValue<string>());
                    Assert.Equal(0, time.UtcTicks % TimeSpan.FromSeconds(step).Ticks);
                    Assert.True(point.ContainsKey("p50") && point.ContainsKey("p95") && point.ContainsKey("errors"));
                });
                Assert.Equal(probed.GetValueOrDefault(name), series.Sum(p => p["samples"]!.GetValue<int>()));
            }
        }

        using var bad = await fixture.Admin.GetAsync($"/v1.0/services/{fixture.ServiceId}/benchmarks?window=2h");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Another_projects_service_is_not_found_and_another_project_is_refused()
    {
        await fixture.Portal.CreateProjectAsync("bench-beta");
        var password = await fixture.Portal.CreateUserAsync("bench-beta@test.local", PortalRoles.Operator, "bench-beta");
        using var beta = await fixture.Portal.ApiClientAsync("bench-beta@test.local", password, "bench-beta");

        using var foreign = await beta.GetAsync($"/v1.0/services/{fixture.ServiceId}/benchmarks?window=24h");
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);

        beta.DefaultRequestHeaders.Remove("X-Project-ID");
        beta.DefaultRequestHeaders.Add("X-Project-ID", "alpha");
        using var notMember = await beta.GetAsync($"/v1.0/services/{fixture.ServiceId}/benchmarks?window=24h");
        Assert.Equal(HttpStatusCode.Forbidden, notMember.StatusCode);

        using var anonymous = fixture.Portal.CreateClient();
        anonymous.DefaultRequestHeaders.Add("X-Project-ID", "alpha");
        using var noToken = await anonymous.GetAsync($"/v1.0/services/{fixture.ServiceId}/benchmarks");
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_benchmarks_endpoint()
    {
        using var anonymous = fixture.Portal.CreateClient();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/poppy-v1.json"))!;
        var get = document["paths"]?["/v1.0/services/{id}/benchmarks"]?["get"];
        Assert.NotNull(get);
        Assert.Contains("window=1h", get!["summary"]!.GetValue<string>());
        Assert.Contains(get["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "window");
    }
}
