using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Poppy.Portal.Core.Features.Dns;

namespace Poppy.Portal.Core.Features.Steering;

/// <summary>
/// Asks a DNS account's authoritative server (<see cref="ServiceDnsOptions.Nameservers"/>) for a steering CNAME, with
/// DnsClient and no cache, to confirm that a switch is what the server answers.
/// </summary>
public static class DnsConfirmation
{
    /// <summary>An address and port from <c>host:port</c> (an IP address or <c>localhost</c>); null when it is not one.</summary>
    public static IPEndPoint? ParseEndpoint(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out var port) || port is < 1 or > 65535)
        {
            return null;
        }
        var host = text[..colon].Trim('[', ']');
        var address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var ip) ? ip : null;
        return address is null ? null : new IPEndPoint(address, port);
    }

    /// <summary>The CNAME target the server answers for <paramref name="name"/> (no trailing dot), or null for none.</summary>
    public static async Task<string?> QueryCnameAsync(IPEndPoint server, string name, CancellationToken cancellationToken)
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(server))
        {
            UseCache = false,
            Recursion = false,
            Retries = 1,
            Timeout = TimeSpan.FromSeconds(2),
            ThrowDnsErrors = false,
        });
        var answer = await client.QueryAsync(DnsRecordNames.Absolute(name), QueryType.CNAME, cancellationToken: cancellationToken);
        return answer.Answers.OfType<CNameRecord>().Select(r => DnsRecordNames.Relative(r.CanonicalName.Value)).FirstOrDefault();
    }

    /// <summary>
    /// <see cref="DnsConfirmations.Confirmed"/> when the server answers <paramref name="target"/> for every name, else
    /// what it answered; <see cref="DnsConfirmations.NotChecked"/> without a server.
    /// </summary>
    public static async Task<string> ConfirmAsync(IPEndPoint? server, IEnumerable<string> names, string target, CancellationToken cancellationToken)
    {
        if (server is null)
        {
            return DnsConfirmations.NotChecked;
        }
        var wrong = new List<string>();
        foreach (var name in names)
        {
            try
            {
                var answered = await QueryCnameAsync(server, name, cancellationToken);
                if (!string.Equals(answered, target, StringComparison.OrdinalIgnoreCase))
                {
                    wrong.Add($"{name} → {answered ?? "no CNAME"}");
                }
            }
            catch (DnsResponseException e)
            {
                wrong.Add($"{name}: {e.Message}");
            }
        }
        return wrong.Count == 0 ? DnsConfirmations.Confirmed : $"{DnsConfirmations.NotConfirmed}: {server} answered {string.Join("; ", wrong)}";
    }
}
