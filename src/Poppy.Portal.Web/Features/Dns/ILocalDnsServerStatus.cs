namespace Poppy.Portal.Web.Features.Dns;

/// <summary>
/// What the DNS page asks about a local PowerDNS started with the portal in Development (<see cref="DevelopmentPowerDns"/>):
/// where it answers when it runs, else why not and how to install it. An interface so that the page's tests can show
/// each state without starting or breaking a pdns_server; the page shows nothing when none is registered or it is disabled.
/// </summary>
public interface ILocalDnsServerStatus
{
    LocalPowerDnsStatus Status { get; }
}
