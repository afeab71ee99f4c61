using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Poppy.Portal.Simulators.Tests.Infrastructure;

/// <summary>Each test gets its own simulator (fake clock, short delays), a loopback origin and an HTTP client.</summary>
public abstract class SimulatorTest : IAsyncLifetime
{
    protected ManualClock Clock { get; } = new();

    protected SimulatorHost Simulator { get; private set; } = null!;

    protected LoopbackOrigin Origin { get; private set; } = null!;

    protected HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false, UseCookies = false, AllowAutoRedirect = false });

    protected virtual void Configure(SimulatorOptions options)
    {
    }

    public async Task InitializeAsync()
    {
        Origin = await LoopbackOrigin.StartAsync();
        var options = new SimulatorOptions
        {
            TimeProvider = Clock,
            DeployDelay = TimeSpan.FromMinutes(5),
            PurgeDelay = TimeSpan.FromSeconds(5),
            TimeoutHang = TimeSpan.FromSeconds(20),
        };
        Configure(options);
        Simulator = await SimulatorHost.StartAsync(options, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Simulator.DisposeAsync();
        await Origin.DisposeAsync();
    }

    /// <summary>A request to an edge: sent to the simulator's port with the given Host header.</summary>
    protected async Task<HttpResponseMessage> EdgeAsync(string host, string pathAndQuery, HttpMethod? method = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, new Uri(Simulator.BaseUrl, pathAndQuery));
        request.Headers.Host = host;
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await Http.SendAsync(request);
    }

    protected async Task<string> EdgeBodyAsync(string host, string pathAndQuery)
    {
        using var response = await EdgeAsync(host, pathAndQuery);
        return await response.Content.ReadAsStringAsync();
    }

    protected static async Task<JsonNode> JsonOf(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty body");

    protected static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(",", contentValues)
        : "";

    protected static async Task<TimeSpan> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed;
    }

    protected static void AssertStatus(HttpStatusCode expected, HttpResponseMessage response, string? body = null) =>
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
}
