using System.Globalization;
using System.Net;

namespace Poppy.CacheTier.Agent.Nginx;

/// <summary>
/// The DNS servers nginx asks for origin host names at request time (its <c>resolver</c> directive). nginx resolves
/// names in <c>upstream</c> blocks and literal <c>proxy_pass</c> URLs once, when it loads the configuration, and refuses
/// the whole configuration when one does not resolve; so origins given by name are resolved per request instead, which
/// also follows their DNS changes. nginx's resolver reads neither <c>/etc/hosts</c> nor <c>/etc/resolv.conf</c>.
/// </summary>
internal static class NameServers
{
    public const string ResolvConf = "/etc/resolv.conf";

    /// <summary>The configured servers, or else the system's (<see cref="ResolvConf"/>), in nginx's form.</summary>
    public static IReadOnlyList<string> For(NginxOptions options) =>
        options.Resolvers is { Length: > 0 } configured
            ? configured.Select(s => TryParse(s, out var server) ? server : throw new InvalidOperationException($"Resolver '{s}' was validated.")).ToList()
            : File.Exists(ResolvConf) ? FromResolvConf(File.ReadAllText(ResolvConf)) : [];

    /// <summary>The <c>nameserver</c> lines of a resolv.conf, in nginx's form (link-local addresses with a zone are
    /// left out: nginx cannot address them).</summary>
    public static IReadOnlyList<string> FromResolvConf(string text)
    {
        var servers = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields is ["nameserver", var address, ..] && !address.Contains('%') && IPAddress.TryParse(address, out var ip))
            {
                servers.Add(Format(ip, null));
            }
        }
        return servers;
    }

    /// <summary>An address with an optional port (<c>10.0.0.2</c>, <c>127.0.0.1:5353</c>, <c>[::1]:53</c>, <c>::1</c>) in
    /// nginx's form.</summary>
    public static bool TryParse(string value, out string server)
    {
        server = "";
        if (value.Contains('%') || value.StartsWith('*'))
        {
            return false;
        }
        // "[v6]:port" or "v4:port"; a bare IPv6 address has more than one colon.
        if (value.StartsWith('[') || value.Count(c => c == ':') == 1)
        {
            if (!EdgeAddress.TryParse(value, out var withPort))
            {
                return false;
            }
            server = Format(withPort.Address, withPort.Port);
            return true;
        }
        if (!IPAddress.TryParse(value, out var bare))
        {
            return false;
        }
        server = Format(bare, null);
        return true;
    }

    private static string Format(IPAddress ip, int? port)
    {
        var host = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();
        return port is { } p ? host + ":" + p.ToString(CultureInfo.InvariantCulture) : host;
    }
}
