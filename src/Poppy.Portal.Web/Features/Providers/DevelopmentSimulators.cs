using Microsoft.Extensions.Options;
using Poppy.Portal.Core.Configuration;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Benchmarks;
using Poppy.Portal.Core.Features.Flavors;
using Poppy.Portal.Core.Features.Providers;
using Poppy.Portal.Simulators;

namespace Poppy.Portal.Web.Features.Providers;

/// <summary>Settings of the built-in vendor simulators (section <c>Portal:Simulators</c>).</summary>
public sealed class DevelopmentSimulatorOptions
{
    public const string Section = "Portal:Simulators";

    /// <summary>Start the simulators with the portal; on in appsettings.Development.json, off elsewhere.</summary>
    public bool Enabled { get; set; }

    /// <summary>Loopback port; 0 picks a free one.</summary>
    public int Port { get; set; } = 5090;

    /// <summary>How long CloudFront and Akamai take to roll a change out (simulators started here only).</summary>
    public TimeSpan DeployDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Base URL of simulators already running in another process (e.g. <c>http://127.0.0.1:5091/</c>, started with
    /// <c>dotnet run --project src/Poppy.Portal.Simulators</c>): none are started here, the accounts point there. Their
    /// state then outlives the portal process, which is what crash tests and benchmarks need.
    /// </summary>
    public string? ExternalUrl { get; set; }

    /// <summary>The external simulators' base URL ending in '/', when <see cref="ExternalUrl"/> is set and valid.</summary>
    public Uri? ExternalBaseUrl =>
        !string.IsNullOrWhiteSpace(ExternalUrl) && Uri.TryCreate(ExternalUrl.Trim().TrimEnd('/') + "/", UriKind.Absolute, out var external)
            && external.Scheme is "http" or "https"
            ? external
            : null;

    public static void Check(DevelopmentSimulatorOptions o, SettingChecks check) => check
        .Between(nameof(Port), o.Port, 0, 65535)
        .Between(nameof(DeployDelay), o.DeployDelay, TimeSpan.Zero, TimeSpan.FromHours(1))
        .Require(nameof(ExternalUrl), string.IsNullOrWhiteSpace(o.ExternalUrl) || o.ExternalBaseUrl is not null, o.ExternalUrl, "an absolute http(s) URL");
}

/// <summary>
/// Makes a fresh `dotnet run` alive: starts the four CDN simulators on a loopback port beside the portal (or uses the ones
/// at <see cref="DevelopmentSimulatorOptions.ExternalUrl"/>) and, when they are missing, adds a provider account for each
/// (with the simulators' default credentials) and a flavor "cdn" using all four.
/// </summary>
public sealed class DevelopmentSimulators(
    IServiceScopeFactory scopes, IOptions<DevelopmentSimulatorOptions> settings, TimeProvider clock, EdgeProber prober,
    ILogger<DevelopmentSimulators> logger) : IHostedService
{
    public const string FlavorId = "cdn";
    private SimulatorHost? host;

    /// <summary>The running simulators, when enabled (tests inspect the vendors' stored state and inject faults through it).</summary>
    public SimulatorHost? Host => host;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = settings.Value;
        if (!options.Enabled)
        {
            return;
        }
        var simulatorOptions = new SimulatorOptions { Port = options.Port, TimeProvider = clock, DeployDelay = options.DeployDelay };
        Uri simulatorsUrl;
        if (string.IsNullOrWhiteSpace(options.ExternalUrl))
        {
            host = await SimulatorHost.StartAsync(simulatorOptions, cancellationToken);
            simulatorsUrl = host.BaseUrl;
            logger.LogInformation("CDN simulators listening on {Url}", simulatorsUrl);
        }
        else
        {
            // Checked at start (DevelopmentSimulatorOptions.Check).
            simulatorsUrl = options.ExternalBaseUrl!;
            logger.LogInformation("Using the CDN simulators at {Url}", simulatorsUrl);
        }

        await using var scope = scopes.CreateAsyncScope(Actor.System("development-simulators"));
        var accounts = scope.ServiceProvider.GetRequiredService<ProviderAccountDirectory>();
        var providers = new List<FlavorProviderSpec>();
        foreach (var (name, kind, vendor, credentials, homepage) in Accounts(simulatorOptions))
        {
            if (await accounts.FindByNameAsync(name, cancellationToken) is null)
            {
                var created = await accounts.CreateAsync(new ProviderAccountSpec(name, kind, vendor.ApiBaseUrl(simulatorsUrl).ToString(), credentials), cancellationToken);
                if (!created.Succeeded)
                {
                    logger.LogWarning("Could not add simulator account {Name}: {Errors}", name, string.Join("; ", created.Errors));
                    continue;
                }
            }
            providers.Add(FlavorProviderSpec.WithProviderUrl(name, homepage));
            // The simulated edges' host names resolve nowhere: probes of this account go to the simulators' port, and
            // name the vendor, since a service's domain is configured at all four simulated vendors at once.
            prober.AddConnectTo(new EdgeConnectTo
            {
                Provider = name,
                Address = simulatorsUrl.GetLeftPart(UriPartial.Authority),
                Headers = { ["X-Simulator-Edge"] = vendor.PathSegment() },
            });
        }

        var flavors = scope.ServiceProvider.GetRequiredService<FlavorCatalog>();
        if (await flavors.FindAsync(FlavorId, cancellationToken) is null)
        {
            var created = await flavors.CreateAsync(new FlavorSpec(FlavorId, providers), cancellationToken);
            if (!created.Succeeded)
            {
                logger.LogWarning("Could not add the simulator flavor: {Errors}", string.Join("; ", created.Errors));
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    private static IEnumerable<(string Name, ProviderKind Kind, CdnVendor Vendor, Dictionary<string, string?> Credentials, string Homepage)> Accounts(SimulatorOptions sim) =>
    [
        ("sim-fastly", ProviderKind.Fastly, CdnVendor.Fastly,
            new() { ["api_key"] = sim.Fastly.ApiKeys[0] }, "www.fastly.com"),
        ("sim-cloudfront", ProviderKind.CloudFront, CdnVendor.CloudFront,
            new() { ["access_key_id"] = sim.CloudFront.AccessKeyId, ["secret_access_key"] = sim.CloudFront.SecretAccessKey, ["region"] = "us-east-1" }, "aws.amazon.com/cloudfront"),
        ("sim-akamai", ProviderKind.Akamai, CdnVendor.Akamai,
            new() { ["client_token"] = sim.Akamai.ClientToken, ["client_secret"] = sim.Akamai.ClientSecret, ["access_token"] = sim.Akamai.AccessToken }, "www.akamai.com"),
        ("sim-maxcdn", ProviderKind.MaxCdn, CdnVendor.MaxCdn,
            new() { ["company_alias"] = sim.MaxCdn.CompanyAlias, ["consumer_key"] = sim.MaxCdn.ConsumerKey, ["consumer_secret"] = sim.MaxCdn.ConsumerSecret }, "www.maxcdn.com"),
    ];
}
