namespace Poppy.Portal.Web.Features.Dns;

/// <summary>
/// What the DNS page says about a local PowerDNS started with the portal in Development: where it answers when it
/// runs, else how to install it. Registered only where such a server is managed (the development PowerDNS); the page
/// shows nothing about a local server when no implementation is registered.
/// </summary>
public interface ILocalDnsServerStatus
{
    /// <summary>Whether this portal manages a local server at all (Development, enabled); nothing is shown otherwise.</summary>
    bool Managed { get; }

    bool Running { get; }

    /// <summary>Why an installed server is not running (it did not start, or its account could not be added); null otherwise.</summary>
    string? Problem { get; }

    /// <summary>The API base the portal's account uses, e.g. <c>http://127.0.0.1:PORT/api/v1/</c>; null when not running.</summary>
    Uri? ApiUrl { get; }

    /// <summary>Where to query it, <c>127.0.0.1:PORT</c> (<c>dig @127.0.0.1 -p PORT name</c>); null when not running.</summary>
    string? DnsAddress { get; }

    /// <summary>The zone it serves for the portal, e.g. <c>cdn.poppy.test</c>.</summary>
    string? Zone { get; }

    /// <summary>What to run when it is not installed, e.g. <c>apt-get install pdns-server pdns-backend-sqlite3</c>.</summary>
    string InstallHint { get; }
}
