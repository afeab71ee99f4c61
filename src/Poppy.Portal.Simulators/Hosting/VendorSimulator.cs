using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Edge;
using Poppy.Portal.Simulators.Faults;
using Poppy.Portal.Simulators.Inventory;

namespace Poppy.Portal.Simulators.Hosting;

/// <summary>One simulated vendor: its API (under <see cref="ApiBaseUrl"/>), its edge, its faults.</summary>
public abstract class VendorSimulator
{
    internal VendorSimulator(CdnVendor vendor, SimulatorContext context)
    {
        Vendor = vendor;
        Context = context;
        Faults = new FaultControl(vendor, context.Options.RandomSeed + 1 + (int)vendor);
    }

    public CdnVendor Vendor { get; }

    /// <summary>What the vendor's driver takes as its API endpoint, e.g. <c>http://127.0.0.1:PORT/fastly/</c>.</summary>
    public Uri ApiBaseUrl => Vendor.ApiBaseUrl(Context.BaseUrl);

    public FaultControl Faults { get; }

    /// <summary>What the vendor's edge holds right now.</summary>
    public EdgeCache EdgeCache { get; } = new();

    internal SimulatorContext Context { get; }

    /// <summary>The vendor resources held now (a snapshot), each with the portal service id it carries.</summary>
    public abstract IReadOnlyList<SimulatedResource> Inventory();

    internal abstract EdgeBehavior Edge { get; }

    internal abstract void MapApi(RouteGroupBuilder api);

    /// <summary>Null when the caller may go on; otherwise the vendor's own refusal.</summary>
    internal abstract ValueTask<IResult?> AuthenticateAsync(HttpContext http);

    /// <summary>The vendor's transient 503.</summary>
    internal abstract IResult Unavailable();

    /// <summary>The vendor's throttling answer, with <c>Retry-After</c>.</summary>
    internal abstract IResult Throttled(int retryAfterSeconds);

    /// <summary>The vendor's error answer of <paramref name="status"/> (4xx or 5xx) in its own format.</summary>
    internal abstract IResult Failure(int status, string message);

    /// <summary>An API path the vendor does not have.</summary>
    internal abstract IResult UnknownPath(HttpContext http);
}

/// <summary>A vendor's error answer, thrown from deep inside a handler and written by the API pipeline.</summary>
internal abstract class SimulatedApiError(int status, string message) : Exception(message)
{
    public int Status { get; } = status;

    public abstract IResult ToResult();
}

/// <summary>Endpoint metadata: the vendor serves this call without credentials (e.g. Fastly URL purges).</summary>
internal sealed class AnonymousVendorCall
{
    public static readonly AnonymousVendorCall Instance = new();
}
