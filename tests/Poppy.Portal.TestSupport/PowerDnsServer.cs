using Poppy.Portal.Providers.Dns.PowerDns;
using Xunit;

namespace Poppy.Portal.TestSupport;

/// <summary>
/// A real PowerDNS authoritative server (<see cref="PowerDnsProcess"/>, as the Development portal runs it) in a temp
/// folder on free loopback high ports, with <see cref="ApiKey"/>. The zone <see cref="Zone"/> is created through the API
/// on start.
/// </summary>
public sealed class PowerDnsServer : IAsyncLifetime
{
    public const string ApiKey = "poppy-test-pdns-key";
    public const string Zone = "cdn.operator.test";

    private readonly TempDirectory folder = new("poppy-pdns");
    private PowerDnsProcess? server;

    private PowerDnsProcess Server => server ?? throw new InvalidOperationException("The server has not started.");

    public int DnsPort => Server.DnsPort;

    public int ApiPort => Server.ApiPort;

    /// <summary>The API base the PowerDNS driver takes: <c>http://127.0.0.1:PORT/api/v1/</c>.</summary>
    public Uri ApiBaseUrl => Server.ApiBaseUrl;

    /// <summary>What the server wrote so far (for failure messages).</summary>
    public string Log => server?.Log ?? "";

    public async Task InitializeAsync()
    {
        if (!PowerDnsProcess.IsInstalled(PowerDnsProcessOptions.DefaultExecutable, PowerDnsProcessOptions.DefaultSchema))
        {
            throw new InvalidOperationException(
                $"PowerDNS is not installed. Install it: {PowerDnsProcess.InstallCommand} (test.sh does).");
        }

        server = await PowerDnsProcess.StartAsync(new PowerDnsProcessOptions { Directory = folder.Path, ApiKey = ApiKey }, CancellationToken.None);
        if (!await server.EnsureZoneAsync(Zone, CancellationToken.None))
        {
            throw new InvalidOperationException($"A new PowerDNS database already had the zone {Zone}.");
        }
    }

    /// <summary>A client on the API with the key set (for test set-up; the driver sends its own).</summary>
    public HttpClient Client() => Server.CreateApiClient();

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }

        folder.Dispose();
    }
}
