using System.Net;
using System.Net.Http.Json;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Simulators.Fastly;
using Poppy.Portal.Simulators.Tests.Fastly;
using Poppy.Portal.Simulators.Tests.Infrastructure;

namespace Poppy.Portal.Simulators.Tests.Faults;

/// <summary>Each fault over HTTP (<c>/_faults/{vendor}</c>) and in-process, seen through Fastly's API and edge.</summary>
public sealed class FaultInjectionTests : SimulatorTest
{
    private FastlyCalls Api => new(Http, Simulator.Fastly.ApiBaseUrl);

    private Task<HttpResponseMessage> SetFaultsAsync(string vendor, object profile) =>
        Http.PostAsJsonAsync(new Uri(Simulator.BaseUrl, $"_faults/{vendor}"), profile);

    [Fact]
    public async Task Error_rate_fails_about_that_share_of_calls_with_the_vendor_503()
    {
        using (var set = await SetFaultsAsync("fastly", new { errorRate = 0.3 }))
        {
            AssertStatus(HttpStatusCode.OK, set);
        }

        var failures = 0;
        for (var i = 0; i < 200; i++)
        {
            using var response = await Api.GetAsync("/service");
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                failures++;
                Assert.Equal("Service Unavailable", (await JsonOf(response))["msg"]!.GetValue<string>());
            }
            else
            {
                AssertStatus(HttpStatusCode.OK, response);
            }
        }

        Assert.InRange(failures, 40, 80); // 60 expected; ±3.3 standard deviations
    }

    [Fact]
    public async Task Throttle_burst_answers_exactly_count_calls_with_429_and_Retry_After()
    {
        using (var set = await SetFaultsAsync("fastly", new { throttleBurst = new { count = 3, retryAfterSeconds = 7 } }))
        {
            Assert.Equal(3, (await JsonOf(set))["throttleRemaining"]!.GetValue<int>());
        }

        for (var i = 0; i < 3; i++)
        {
            using var throttled = await Api.PostAsync("/service", ("name", "s"));
            AssertStatus(HttpStatusCode.TooManyRequests, throttled);
            Assert.Equal("7", Header(throttled, "Retry-After"));
            Assert.Equal("0", Header(throttled, "Fastly-RateLimit-Remaining"));
            Assert.NotNull((await JsonOf(throttled))["msg"]);
        }

        using var after = await Api.PostAsync("/service", ("name", "s"));
        AssertStatus(HttpStatusCode.OK, after);
        Assert.Single(Simulator.Fastly.Services); // throttled calls changed nothing
    }

    [Fact]
    public async Task Outage_takes_down_the_api_and_the_edge_until_reset()
    {
        await Api.CreateActiveServiceAsync("www.example.com", Origin.Port);
        Simulator.Fastly.Faults.Set(new FaultProfile { Outage = true });

        using (var api = await Api.GetAsync("/service"))
        {
            AssertStatus(HttpStatusCode.ServiceUnavailable, api);
        }

        using (var edge = await EdgeAsync("www.example.com", "/"))
        {
            AssertStatus(HttpStatusCode.ServiceUnavailable, edge);
            Assert.Contains("Varnish", await edge.Content.ReadAsStringAsync());
        }

        using (var reset = await Http.DeleteAsync(new Uri(Simulator.BaseUrl, "_faults/fastly")))
        {
            AssertStatus(HttpStatusCode.NoContent, reset);
        }

        using var recovered = await EdgeAsync("www.example.com", "/");
        AssertStatus(HttpStatusCode.OK, recovered);
    }

    [Fact]
    public async Task Latency_is_added_to_api_and_edge_requests()
    {
        await Api.CreateActiveServiceAsync("www.example.com", Origin.Port);
        var baseline = await TimeAsync(async () => (await Api.GetAsync("/service")).Dispose());

        Simulator.Fastly.Faults.Set(new FaultProfile { LatencyMs = 400, JitterMs = 50 });
        var api = await TimeAsync(async () => (await Api.GetAsync("/service")).Dispose());
        var edge = await TimeAsync(async () => (await EdgeAsync("www.example.com", "/")).Dispose());

        Assert.True(api >= TimeSpan.FromMilliseconds(400), $"api took {api}");
        Assert.True(edge >= TimeSpan.FromMilliseconds(400), $"edge took {edge}");
        Assert.True(baseline < TimeSpan.FromMilliseconds(400), $"baseline took {baseline}");
    }

    [Fact]
    public async Task The_delay_an_edge_answer_really_waited_is_reported_over_http()
    {
        await Api.CreateActiveServiceAsync("www.example.com", Origin.Port);
        using (var set = await SetFaultsAsync("fastly", new { latencyMs = 30 }))
        {
            AssertStatus(HttpStatusCode.OK, set);
        }

        var edge = await TimeAsync(async () => (await EdgeAsync("www.example.com", "/")).Dispose());

        using var faults = await Http.GetAsync(new Uri(Simulator.BaseUrl, "_faults/fastly"));
        AssertStatus(HttpStatusCode.OK, faults);
        var waited = (await JsonOf(faults))["lastEdgeDelayMs"]!.GetValue<double>();
        Assert.Equal(Simulator.Fastly.Faults.LastEdgeDelay.TotalMilliseconds, waited, 3);
        Assert.InRange(waited, 30, edge.TotalMilliseconds);
    }

    [Fact]
    public async Task Timeout_rate_makes_calls_hang_until_the_client_gives_up()
    {
        Simulator.Fastly.Faults.Set(new FaultProfile { TimeoutRate = 1 });
        using var impatient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMilliseconds(500) };
        var calls = new FastlyCalls(impatient, Simulator.Fastly.ApiBaseUrl);
        await Assert.ThrowsAsync<TaskCanceledException>(() => calls.GetAsync("/service"));

        Simulator.Fastly.Faults.Reset();
        using var response = await Api.GetAsync("/service");
        AssertStatus(HttpStatusCode.OK, response);
    }

    [Fact]
    public async Task Fail_matching_answers_only_the_requests_that_carry_the_text_with_the_vendors_error()
    {
        using (var set = await SetFaultsAsync("fastly", new { failMatching = new { text = "poison-7f3a", status = 500 } }))
        {
            AssertStatus(HttpStatusCode.OK, set);
        }

        using (var poisoned = await Api.PostAsync("/service", ("name", "poppy-x"), ("comment", "site poison-7f3a")))
        {
            AssertStatus(HttpStatusCode.InternalServerError, poisoned);
            Assert.Contains("poison-7f3a", (await JsonOf(poisoned))["detail"]!.GetValue<string>());
        }

        using (var clean = await Api.PostAsync("/service", ("name", "poppy-y"), ("comment", "site")))
        {
            AssertStatus(HttpStatusCode.OK, clean);
        }

        using (var inPath = await Api.GetAsync("/service/search?name=poison-7f3a"))
        {
            AssertStatus(HttpStatusCode.InternalServerError, inPath);
        }

        // The vendor's credential check comes first, as at a real vendor.
        var anonymous = new FastlyCalls(Http, Simulator.Fastly.ApiBaseUrl, key: null);
        using (var refused = await anonymous.PostAsync("/service", ("name", "poppy-z"), ("comment", "poison-7f3a")))
        {
            AssertStatus(HttpStatusCode.Unauthorized, refused);
        }

        Simulator.Fastly.Faults.Set(new FaultProfile { FailMatching = new FailingRequests("poison-7f3a", 422) });
        using (var refusedConfig = await Api.PostAsync("/service", ("name", "poppy-w"), ("comment", "poison-7f3a")))
        {
            AssertStatus(HttpStatusCode.UnprocessableEntity, refusedConfig);
        }

        Assert.Equal(["poppy-y"], Simulator.Fastly.Services.Select(s => s.Name));
    }

    [Fact]
    public async Task Invalid_profiles_and_unknown_vendors_are_refused()
    {
        using (var invalid = await SetFaultsAsync("fastly", new { errorRate = 1.5 }))
        {
            AssertStatus(HttpStatusCode.BadRequest, invalid);
        }

        using (var unknown = await SetFaultsAsync("limelight", new { outage = true }))
        {
            AssertStatus(HttpStatusCode.NotFound, unknown);
        }

        Assert.Equal(FaultProfile.None, Simulator.Fastly.Faults.Profile);
        Assert.Throws<ArgumentException>(() => Simulator.Fastly.Faults.Set(new FaultProfile { TimeoutRate = -1 }));
        Assert.Throws<ArgumentException>(() => Simulator.Fastly.Faults.Set(new FaultProfile { FailMatching = new FailingRequests("x", 302) }));
        Assert.Throws<ArgumentException>(() => Simulator.Fastly.Faults.Set(new FaultProfile { FailMatching = new FailingRequests("", 500) }));
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_fault_sequence()
    {
        async Task<string> SequenceAsync()
        {
            await using var simulator = await SimulatorHost.StartAsync(new SimulatorOptions { RandomSeed = 7 }, CancellationToken.None);
            simulator.Fastly.Faults.Set(new FaultProfile { ErrorRate = 0.5 });
            var calls = new FastlyCalls(Http, simulator.Fastly.ApiBaseUrl);
            var codes = new List<int>();
            for (var i = 0; i < 20; i++)
            {
                using var response = await calls.GetAsync("/service");
                codes.Add((int)response.StatusCode);
            }

            return string.Join(",", codes);
        }

        var first = await SequenceAsync();
        Assert.Contains("503", first);
        Assert.Contains("200", first);
        Assert.Equal(first, await SequenceAsync());
    }
}
