using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Poppy.CacheTier.Agent.Files;
using Poppy.CacheTier.Agent.Services;

namespace Poppy.CacheTier.Agent.Hosting;

/// <summary>
/// An agent with its nginx, in this process, its API on 127.0.0.1: for tests and for a development node beside the
/// portal. Set <see cref="NginxOptions.StopOnExit"/> so that disposing it stops nginx too.
/// </summary>
public sealed class CacheNodeHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private CacheNodeHost(WebApplication app, Uri agentUrl)
    {
        this.app = app;
        AgentUrl = agentUrl;
        Options = app.Services.GetRequiredService<AgentOptions>();
        Node = app.Services.GetRequiredService<CacheNode>();
        Files = app.Services.GetRequiredService<EdgeFiles>();
    }

    /// <summary>The agent's API, <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri AgentUrl { get; }

    /// <summary>nginx as viewers reach it on this machine (send the service's domain as Host).</summary>
    public Uri EdgeUrl => Node.Edge.LocalUrl;

    public AgentOptions Options { get; }

    public CacheNode Node { get; }

    public EdgeFiles Files { get; }

    /// <param name="agentPort">0: any free port.</param>
    public static async Task<CacheNodeHost> StartAsync(AgentOptions options, CancellationToken cancellationToken,
        int agentPort = 0, Action<ILoggingBuilder>? configureLogging = null, TimeProvider? clock = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(CacheNodeHost).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, agentPort));
        builder.Logging.ClearProviders();
        configureLogging?.Invoke(builder.Logging);
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }
        builder.Services.AddCacheTierAgent(options);
        var app = builder.Build();
        app.MapCacheTierAgent();
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.Services.GetRequiredService<CacheNode>().StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new CacheNodeHost(app, new Uri(address.TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await app.StopAsync(grace.Token);
        await app.DisposeAsync();
    }
}
