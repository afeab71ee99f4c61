using System.Globalization;
using System.Net;

namespace Poppy.CacheTier.Agent;

/// <summary>Where nginx listens (<c>address:port</c>) and how the agent on the same machine reaches it.</summary>
internal sealed record EdgeAddress(IPAddress Address, int Port)
{
    /// <summary>As nginx's <c>listen</c> takes it.</summary>
    public string Listen => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? $"[{Address}]:{Port}"
        : $"{Address}:{Port}";

    /// <summary>The agent's own way in: loopback when nginx listens on every address.</summary>
    public Uri LocalUrl
    {
        get
        {
            var local = Address.Equals(IPAddress.Any) ? IPAddress.Loopback
                : Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
                : Address;
            var host = local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{local}]" : local.ToString();
            return new Uri($"http://{host}:{Port}/");
        }
    }

    public static bool TryParse(string value, out EdgeAddress address)
    {
        address = null!;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }
        var host = value[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        if (host == "*")
        {
            host = "0.0.0.0";
        }
        if (!IPAddress.TryParse(host, out var ip))
        {
            return false;
        }
        address = new EdgeAddress(ip, port);
        return true;
    }
}
