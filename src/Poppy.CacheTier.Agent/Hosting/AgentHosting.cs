using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Poppy.CacheTier.Agent.Api;
using Poppy.CacheTier.Agent.Files;
using Poppy.CacheTier.Agent.Services;

namespace Poppy.CacheTier.Agent.Hosting;

/// <summary>Registers the agent in a web application: <see cref="AddCacheTierAgent"/>, then <see cref="MapCacheTierAgent"/>.</summary>
public static class AgentHosting
{
    public static IServiceCollection AddCacheTierAgent(this IServiceCollection services, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddRouting();
        services.AddSingleton(sp => new EdgeHttpClient(new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false, // the edge is on this machine
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // each call sets its own
        }));
        services.AddSingleton(sp => new CacheNode(options, sp.GetRequiredService<EdgeHttpClient>().Client,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CacheNode>>()));
        services.AddSingleton(sp => new EdgeFiles(sp.GetRequiredService<CacheNode>(), sp.GetRequiredService<EdgeHttpClient>().Client,
            options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EdgeFiles>>()));
        services.AddHostedService<NodeLifetime>();
        return services;
    }

    public static WebApplication MapCacheTierAgent(this WebApplication app)
    {
        var check = new NodeTokenCheck(app.Services.GetRequiredService<AgentOptions>().Token);
        app.UseRouting();
        app.Use(check.InvokeAsync);
        AgentEndpoints.Map(app);
        return app;
    }

    /// <summary>The agent's own client to its nginx (a type of its own, so it never meets another registration's).</summary>
    internal sealed class EdgeHttpClient(HttpClient client) : IDisposable
    {
        public HttpClient Client { get; } = client;

        public void Dispose() => Client.Dispose();
    }

    /// <summary>Brings the node up before the API listens, and stops nginx on the way out when the options say so.</summary>
    private sealed class NodeLifetime(CacheNode node) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => node.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => node.StopAsync(cancellationToken);
    }
}
