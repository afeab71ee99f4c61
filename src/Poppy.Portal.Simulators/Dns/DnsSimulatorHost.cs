using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Poppy.Portal.Simulators.Dns.Designate;
using Poppy.Portal.Simulators.Dns.Rackspace;
using Poppy.Portal.Simulators.Dns.Route53;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Dns;

/// <summary>
/// The simulated DNS vendors on one Kestrel listener on 127.0.0.1: OpenStack Designate v2 (with a Keystone v3 token
/// endpoint) under <c>{base}/designate/</c>, Rackspace Cloud DNS v1.0 (with Identity v2.0) under
/// <c>{base}/rackspace-dns/</c>, Amazon Route 53 (REST-XML, SigV4) under <c>{base}/route53/</c>, and their fault
/// controls under <c>{base}/_faults/{segment}</c> (the same profile JSON as the CDN simulators'). A separate host from
/// <see cref="SimulatorHost"/>: the DNS vendors have no edge, and steering tests start them beside the CDN ones.
/// </summary>
public sealed class DnsSimulatorHost : IAsyncDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
    private readonly WebApplication app;

    private DnsSimulatorHost(WebApplication app, DnsSimulatorContext context, DesignateSimulator designate, RackspaceDnsSimulator rackspace, Route53Simulator route53)
    {
        this.app = app;
        Context = context;
        Designate = designate;
        Rackspace = rackspace;
        Route53 = route53;
    }

    /// <summary><c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseUrl => Context.BaseUrl;

    public DesignateSimulator Designate { get; }

    public RackspaceDnsSimulator Rackspace { get; }

    public Route53Simulator Route53 { get; }

    public IReadOnlyList<DnsVendorSimulator> Vendors => [Designate, Rackspace, Route53];

    internal DnsSimulatorContext Context { get; }

    public static async Task<DnsSimulatorHost> StartAsync(DnsSimulatorOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var context = new DnsSimulatorContext(options);
        var designate = new DesignateSimulator(context);
        var rackspace = new RackspaceDnsSimulator(context);
        var route53 = new Route53Simulator(context);
        DnsVendorSimulator[] vendors = [designate, rackspace, route53];

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(DnsSimulatorHost).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, options.Port);
        });
        builder.Services.AddRouting();
        builder.Logging.ClearProviders();
        options.ConfigureLogging?.Invoke(builder.Logging);

        var app = builder.Build();
        app.UseRouting();
        app.MapGet("/", () => HttpHelpers.Json(new JsonObject
        {
            ["baseUrl"] = context.BaseUrl.ToString(),
            ["vendors"] = new JsonObject(vendors.Select(v => KeyValuePair.Create(v.Segment, (JsonNode?)new JsonObject { ["api"] = v.ApiBaseUrl.ToString() }))),
        }));
        MapFaults(app, vendors);
        foreach (var vendor in vendors)
        {
            MapVendor(app, vendor, app.Lifetime.ApplicationStopping);
        }

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        context.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return new DnsSimulatorHost(app, context, designate, rackspace, route53);
    }

    /// <summary>Faults first (the vendor's front door), then the credential check, then the handler; vendor errors become bodies.</summary>
    private static void MapVendor(WebApplication app, DnsVendorSimulator vendor, CancellationToken stopping)
    {
        var api = app.MapGroup("/" + vendor.Segment);
        api.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            var decision = vendor.Faults.NextApiRequest();
            if (decision.Delay > TimeSpan.Zero)
            {
                await Task.Delay(decision.Delay, http.RequestAborted);
            }

            switch (decision.Action)
            {
                case FaultAction.Outage or FaultAction.Error:
                    return vendor.Unavailable();
                case FaultAction.Throttle:
                    return vendor.Throttled(decision.RetryAfterSeconds);
                case FaultAction.Timeout:
                    return await TimeoutFault.HangThenDropAsync(http, vendor.Context.Options.TimeoutHang, stopping);
            }

            try
            {
                if (http.GetEndpoint()?.Metadata.GetMetadata<AnonymousVendorCall>() is null
                    && await vendor.AuthenticateAsync(http) is { } refusal)
                {
                    return refusal;
                }

                if (vendor.Faults.Profile.FailMatching is { } failing
                    && ((http.Request.Path.Value + http.Request.QueryString.Value).Contains(failing.Text, StringComparison.Ordinal)
                        || (await HttpHelpers.ReadBodyTextAsync(http.Request)).Contains(failing.Text, StringComparison.Ordinal)))
                {
                    return vendor.Failure(failing.Status, $"The request could not be processed (simulated failure for '{failing.Text}').");
                }

                vendor.Store.Settle();
                return await next(invocation);
            }
            catch (SimulatedApiError error)
            {
                return error.ToResult();
            }
        });

        vendor.MapApi(api);
        api.MapFallback((HttpContext http) => vendor.UnknownPath(http));
    }

    private static void MapFaults(WebApplication app, IReadOnlyList<DnsVendorSimulator> vendors)
    {
        var faults = app.MapGroup("/_faults");
        faults.MapGet("/{vendor}", (string vendor) =>
            vendors.FirstOrDefault(v => v.Segment == vendor) is { } found ? HttpHelpers.Json(Describe(found.Faults)) : UnknownVendor(vendor));
        faults.MapPost("/{vendor}", async (HttpContext http, string vendor) =>
        {
            if (vendors.FirstOrDefault(v => v.Segment == vendor) is not { } found)
            {
                return UnknownVendor(vendor);
            }

            FaultProfile? profile;
            try
            {
                profile = await JsonSerializer.DeserializeAsync<FaultProfile>(http.Request.Body, JsonOptions, http.RequestAborted);
            }
            catch (JsonException e)
            {
                return HttpHelpers.Json(new JsonObject { ["error"] = $"Not a fault profile: {e.Message}" }, StatusCodes.Status400BadRequest);
            }

            if (profile?.Validate() is { } problem)
            {
                return HttpHelpers.Json(new JsonObject { ["error"] = problem }, StatusCodes.Status400BadRequest);
            }

            found.Faults.Set(profile ?? FaultProfile.None);
            return HttpHelpers.Json(Describe(found.Faults));
        });
        faults.MapDelete("/{vendor}", (string vendor) =>
        {
            if (vendors.FirstOrDefault(v => v.Segment == vendor) is not { } found)
            {
                return UnknownVendor(vendor);
            }

            found.Faults.Reset();
            return Results.NoContent();
        });
    }

    private static JsonObject Describe(FaultControl control)
    {
        var json = JsonSerializer.SerializeToNode(control.Profile, JsonOptions)!.AsObject();
        json["throttleRemaining"] = control.ThrottleRemaining;
        return json;
    }

    private static IResult UnknownVendor(string vendor) =>
        HttpHelpers.Json(new JsonObject { ["error"] = $"No simulated DNS vendor '{vendor}'" }, StatusCodes.Status404NotFound);

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(grace.Token);
        await app.DisposeAsync();
    }
}
