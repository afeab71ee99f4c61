using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Dns;

/// <summary>One simulated DNS vendor: its API under <c>{base}/{Segment}/</c>, its zones and records, its faults.</summary>
public abstract class DnsVendorSimulator
{
    private protected DnsVendorSimulator(string segment, DnsSimulatorContext context, int seedOffset)
    {
        Segment = segment;
        Context = context;
        Faults = new FaultControl(segment, context.Options.RandomSeed + seedOffset);
        Store = new DnsZoneStore(context.Clock);
    }

    /// <summary>The URL segment of the vendor's API: <c>designate</c>, <c>rackspace-dns</c>, <c>route53</c>.</summary>
    public string Segment { get; }

    /// <summary>What the vendor's driver takes as its API endpoint (see each vendor for what it adds).</summary>
    public virtual Uri ApiBaseUrl => new(Context.BaseUrl, Segment + "/");

    public FaultControl Faults { get; }

    /// <summary>The zones the vendor holds.</summary>
    public IReadOnlyList<SimulatedDnsZone> Zones => Store.Zones;

    /// <summary>The records the vendor serves now (changes that have settled).</summary>
    public IReadOnlyList<SimulatedDnsRecord> Records => Store.Records;

    /// <summary>The CNAME <paramref name="name"/> served now, or null.</summary>
    public SimulatedDnsRecord? Cname(string name) =>
        Records.FirstOrDefault(r => r.Type == "CNAME" && r.Name == DnsZoneStore.Normalize(name));

    internal DnsSimulatorContext Context { get; }

    internal DnsZoneStore Store { get; }

    internal abstract void MapApi(RouteGroupBuilder api);

    /// <summary>Null when the caller may go on; otherwise the vendor's own refusal.</summary>
    internal abstract ValueTask<IResult?> AuthenticateAsync(HttpContext http);

    internal abstract IResult Unavailable();

    internal abstract IResult Throttled(int retryAfterSeconds);

    internal abstract IResult Failure(int status, string message);

    internal abstract IResult UnknownPath(HttpContext http);
}

/// <summary>What the DNS vendor modules share: options, clock, ids, and (once started) the base URL.</summary>
internal sealed class DnsSimulatorContext(DnsSimulatorOptions options)
{
    public DnsSimulatorOptions Options { get; } = options;
    public TimeProvider Clock => Options.TimeProvider;
    public IdGenerator Ids { get; } = new(options.RandomSeed);
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1/");
    public DateTimeOffset Now => Clock.GetUtcNow();
}
