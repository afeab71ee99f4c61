using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Poppy.Portal.Simulators.Akamai;
using Poppy.Portal.Simulators.CloudFront;
using Poppy.Portal.Simulators.Edge;
using Poppy.Portal.Simulators.Fastly;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Simulators.Hosting;
using Poppy.Portal.Simulators.Inventory;
using Poppy.Portal.Simulators.MaxCdn;

namespace Poppy.Portal.Simulators;

/// <summary>
/// The running simulators: one Kestrel listener on 127.0.0.1 that serves every vendor API under a path prefix
/// (<c>{base}/fastly/…</c>, …), every vendor edge by Host header, and the fault controls under <c>{base}/_faults/</c>.
/// Start it in-process with <see cref="StartAsync"/>; dispose it to stop.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly EdgeServer edge;

    private SimulatorHost(WebApplication app, EdgeServer edge, SimulatorContext context, FastlySimulator fastly, CloudFrontSimulator cloudFront, AkamaiSimulator akamai, MaxCdnSimulator maxCdn)
    {
        MaxCdn = maxCdn;
        Akamai = akamai;
        this.app = app;
        this.edge = edge;
        Context = context;
        Fastly = fastly;
        CloudFront = cloudFront;
    }

    /// <summary><c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseUrl => Context.BaseUrl;

    public FastlySimulator Fastly { get; }

    public CloudFrontSimulator CloudFront { get; }

    public AkamaiSimulator Akamai { get; }

    public MaxCdnSimulator MaxCdn { get; }

    public IReadOnlyList<VendorSimulator> Vendors => [Fastly, CloudFront, Akamai, MaxCdn];

    internal SimulatorContext Context { get; }

    /// <summary>The options it runs with; <see cref="SimulatorOptions.OriginOverrides"/> is read per request, so a test may add origins.</summary>
    public SimulatorOptions Options => Context.Options;

    public VendorSimulator this[CdnVendor vendor] => Vendors.Single(v => v.Vendor == vendor);

    public static async Task<SimulatorHost> StartAsync(SimulatorOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var context = new SimulatorContext(options);
        var fastly = new FastlySimulator(context);
        var cloudFront = new CloudFrontSimulator(context);
        var akamai = new AkamaiSimulator(context);
        var maxCdn = new MaxCdnSimulator(context);
        VendorSimulator[] vendors = [fastly, cloudFront, akamai, maxCdn];

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SimulatorHost).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false; // each vendor edge names its own server
            kestrel.Listen(IPAddress.Loopback, options.Port);
        });
        builder.Services.AddRouting();
        builder.Logging.ClearProviders();
        options.ConfigureLogging?.Invoke(builder.Logging);

        var app = builder.Build();
        var edge = new EdgeServer(context, vendors);
        app.Use((http, next) => edge.InvokeAsync(http, () => next(http)));
        app.UseRouting();
        app.MapGet("/", () => HttpHelpers.Json(Describe(context, vendors)));
        app.MapGet("/_inventory", () => HttpHelpers.Json(TakeInventory(vendors).ToJson()));
        app.MapFaultEndpoints(vendors);
        foreach (var vendor in vendors)
        {
            app.MapVendorApi(vendor, app.Lifetime.ApplicationStopping);
        }

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        context.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return new SimulatorHost(app, edge, context, fastly, cloudFront, akamai, maxCdn);
    }

    /// <summary>Every vendor resource held now (also <c>GET {base}/_inventory</c>), to count resources per portal service.</summary>
    public SimulatorInventory Inventory() => TakeInventory(Vendors);

    private static SimulatorInventory TakeInventory(IEnumerable<VendorSimulator> vendors) => new(vendors.SelectMany(v => v.Inventory()));

    /// <summary>What <c>GET {base}/</c> answers: where each vendor's API is and how its edge host names look.</summary>
    private static JsonObject Describe(SimulatorContext context, IEnumerable<VendorSimulator> vendors) => new()
    {
        ["baseUrl"] = context.BaseUrl.ToString(),
        ["faults"] = new Uri(context.BaseUrl, "_faults/").ToString(),
        ["inventory"] = new Uri(context.BaseUrl, "_inventory").ToString(),
        ["vendors"] = new JsonObject(vendors.Select(v => KeyValuePair.Create(v.Vendor.PathSegment(),
            (JsonNode?)new JsonObject { ["api"] = v.ApiBaseUrl.ToString() }))),
    };

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(grace.Token);
        await app.DisposeAsync();
        edge.Dispose();
    }
}
