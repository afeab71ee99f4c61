using System.Diagnostics;
using Poppy.Portal.Providers.Dns.PowerDns;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Providers.Tests.Dns;

/// <summary><see cref="PowerDnsProcess"/> on a folder used again, as the Development portal restarts it.</summary>
public sealed class PowerDnsProcessTests
{
    [Fact]
    public async Task A_server_left_running_on_the_folder_is_stopped_and_the_new_one_takes_its_ports_and_zones()
    {
        using var folder = new TempDirectory("poppy-pdns-restart");
        var options = new PowerDnsProcessOptions { Directory = folder.Path, ApiKey = "restart-test-key-0123" };
        // Not disposed: what a portal killed with SIGKILL leaves behind.
        var first = await PowerDnsProcess.StartAsync(options, CancellationToken.None);
        var leftoverPid = int.Parse(await File.ReadAllTextAsync(Path.Combine(folder.Path, "pdns.pid")));
        Assert.True(await first.EnsureZoneAsync("kept.poppy.test", CancellationToken.None));

        await using var second = await PowerDnsProcess.StartAsync(
            new PowerDnsProcessOptions { Directory = folder.Path, ApiKey = options.ApiKey, DnsPort = first.DnsPort, ApiPort = first.ApiPort },
            CancellationToken.None);

        Assert.True(first.HasExited, "the leftover server was stopped");
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(leftoverPid));
        Assert.Equal((first.DnsPort, first.ApiPort), (second.DnsPort, second.ApiPort));
        Assert.False(await second.EnsureZoneAsync("kept.poppy.test", CancellationToken.None), "the zone is in the kept database");
        await first.DisposeAsync();
        Assert.True(File.Exists(Path.Combine(folder.Path, "pdns.pid")), "disposing the stopped leftover leaves the new server's pid file");
    }
}
