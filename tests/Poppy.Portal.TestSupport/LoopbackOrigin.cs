using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Poppy.Portal.TestSupport;

/// <summary>
/// A real origin web server on 127.0.0.1: answers <c>{name} {path} #{n}</c> (n counts requests for that path), with
/// the response headers a test set for the path, and records the Host header each request carried.
/// </summary>
public sealed class LoopbackOrigin : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, int> counts = new();
    private readonly ConcurrentDictionary<string, (string Name, string Value)[]> headers = new();
    private readonly ConcurrentQueue<string> hosts = new();

    private LoopbackOrigin(WebApplication app) => this.app = app;

    public int Port { get; private set; }

    public IPAddress Address { get; private set; } = IPAddress.Loopback;

    public Uri Url => new($"http://{Address}:{Port}/");

    /// <summary>When set, every request answers 500 (an origin in trouble).</summary>
    public bool Failing { get; set; }

    /// <summary>How long every answer waits before it is sent (an origin that is slow to serve a file).</summary>
    public TimeSpan Delay { get; set; }

    public IReadOnlyCollection<string> HostHeaders => hosts;

    public int RequestsFor(string pathAndQuery) => counts.GetValueOrDefault(pathAndQuery);

    public void SetHeaders(string path, params (string Name, string Value)[] values) => headers[path] = values;

    /// <param name="name">Starts each answer, so a test with several origins sees which one served.</param>
    /// <param name="endpoint">Where to listen; default 127.0.0.1 on a free port. (The portal accepts origins on port 80
    /// or 443 only: a test that provisions through it listens on port 80 of an address of its own in 127.0.0.0/8.)</param>
    public static async Task<LoopbackOrigin> StartAsync(string name = "origin", IPEndPoint? endpoint = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(endpoint ?? new IPEndPoint(IPAddress.Loopback, 0)));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var origin = new LoopbackOrigin(app);
        app.Run(async http =>
        {
            var key = http.Request.Path.Value + http.Request.QueryString.Value;
            var n = origin.counts.AddOrUpdate(key, 1, (_, c) => c + 1);
            origin.hosts.Enqueue(http.Request.Host.Value ?? "");
            if (origin.Delay > TimeSpan.Zero)
            {
                await Task.Delay(origin.Delay, http.RequestAborted);
            }
            if (origin.Failing)
            {
                http.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }

            foreach (var (name, value) in origin.headers.GetValueOrDefault(http.Request.Path.Value ?? "", []))
            {
                http.Response.Headers[name] = value;
            }

            http.Response.ContentType = "text/plain";
            await http.Response.WriteAsync($"{name} {key} #{n}");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        origin.Port = new Uri(address).Port;
        origin.Address = endpoint?.Address ?? IPAddress.Loopback;
        return origin;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
