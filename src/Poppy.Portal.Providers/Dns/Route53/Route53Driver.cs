using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Providers.Http;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Dns.Route53;

/// <summary>
/// Amazon Route 53 (REST-XML 2013-04-01), every request signed with SigV4 for <c>us-east-1</c>/<c>route53</c> at the
/// call's clock. The endpoint is the API host (<c>https://route53.amazonaws.com/</c>); the hosted zone is found by
/// name (<c>hostedzonesbyname</c>) unless the account names it in <c>hosted_zone_id</c>. A set is one
/// ChangeResourceRecordSets <c>UPSERT</c>, a delete a <c>DELETE</c> carrying the record's current values (Route 53
/// refuses any other); weighted sets are CNAME sets of one name with <c>SetIdentifier</c> and <c>Weight</c>, never beside a
/// plain one (each write replaces the other kind in the same batch); the driver then polls GetChange until <c>INSYNC</c>. Route 53 throttles with 400
/// <c>Throttling</c> and refuses concurrent batches with <c>PriorRequestNotComplete</c>: both are transient.
/// </summary>
public sealed class Route53Driver : IDnsDriver
{
    /// <summary>Credential fields.</summary>
    public const string AccessKeyId = "access_key_id", SecretAccessKey = "secret_access_key", HostedZoneId = "hosted_zone_id";

    private const string Vendor = "Route 53";
    private const string Version = "2013-04-01";
    private static readonly XNamespace Ns = "https://route53.amazonaws.com/doc/2013-04-01/";

    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "Throttling", "ThrottlingException", "PriorRequestNotComplete", "RequestLimitExceeded", "ServiceUnavailable", "InternalFailure",
    };

    /// <inheritdoc />
    public DnsProviderKind Kind => DnsProviderKind.Route53;

    /// <inheritdoc />
    public string? WeightedUnsupportedReason => null;

    /// <inheritdoc />
    public async Task SetCnameAsync(DnsCall call, string name, string target, int ttlSeconds, CancellationToken cancellationToken)
    {
        var zoneId = await ZoneIdAsync(call, cancellationToken).ConfigureAwait(false);
        var current = await FindAllAsync(call, zoneId, name, cancellationToken).ConfigureAwait(false);
        // Weighted sets of the name go in the same batch: a plain CNAME cannot stand beside them.
        var changes = current.Where(c => c.SetIdentifier is not null).Select(c => Change("DELETE", c)).ToList();
        changes.Add(Change("UPSERT", new RecordSet(name, null, null, target, ttlSeconds)));
        await ChangeAsync(call, zoneId, changes, $"UPSERT CNAME {name}", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DeleteCnameAsync(DnsCall call, string name, CancellationToken cancellationToken)
    {
        var zoneId = await ZoneIdAsync(call, cancellationToken).ConfigureAwait(false);
        var current = await FindAllAsync(call, zoneId, name, cancellationToken).ConfigureAwait(false);
        if (current.Count == 0)
        {
            return;
        }

        // DELETE must carry each set's current values exactly (Route 53 refuses any other).
        await ChangeAsync(call, zoneId, current.Select(c => Change("DELETE", c)).ToList(), $"DELETE CNAME {name}", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DnsCname?> GetCnameAsync(DnsCall call, string name, CancellationToken cancellationToken) =>
        (await FindAllAsync(call, await ZoneIdAsync(call, cancellationToken).ConfigureAwait(false), name, cancellationToken).ConfigureAwait(false))
            .Where(c => c.SetIdentifier is null).Select(c => new DnsCname(c.Name, c.Target, c.TtlSeconds)).FirstOrDefault();

    /// <summary>
    /// Weighted resource record sets: one CNAME set per target, all of the name, each with its <c>SetIdentifier</c> (the
    /// target's id) and <c>Weight</c>. One batch deletes a plain CNAME of the name and the sets no longer wanted, and
    /// upserts the others; nothing is sent when the vendor already holds exactly this set.
    /// </summary>
    public async Task SetWeightedAsync(DnsCall call, string name, IReadOnlyList<DnsWeightedTarget> targets, int ttlSeconds, CancellationToken cancellationToken)
    {
        DnsWeights.Validate(targets);
        var zoneId = await ZoneIdAsync(call, cancellationToken).ConfigureAwait(false);
        var current = await FindAllAsync(call, zoneId, name, cancellationToken).ConfigureAwait(false);
        var wanted = targets.Select(t => new RecordSet(DnsRecordNames.Relative(name), t.Id, t.Weight, DnsRecordNames.Relative(t.Target).ToLowerInvariant(), ttlSeconds)).ToList();
        var changes = current.Where(c => c.SetIdentifier is null || !wanted.Any(w => w.SetIdentifier == c.SetIdentifier)).Select(c => Change("DELETE", c)).ToList();
        changes.AddRange(wanted.Where(w => !current.Contains(w)).Select(w => Change("UPSERT", w)));
        if (changes.Count == 0)
        {
            return;
        }

        await ChangeAsync(call, zoneId, changes, $"UPSERT weighted CNAME {name}", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DnsWeightedSet?> GetWeightedAsync(DnsCall call, string name, CancellationToken cancellationToken)
    {
        var sets = (await FindAllAsync(call, await ZoneIdAsync(call, cancellationToken).ConfigureAwait(false), name, cancellationToken).ConfigureAwait(false))
            .Where(c => c.SetIdentifier is not null).OrderBy(c => c.SetIdentifier, StringComparer.Ordinal).ToList();
        return sets.Count == 0
            ? null
            : new DnsWeightedSet(DnsRecordNames.Relative(name), sets.Select(c => new DnsWeightedTarget(c.SetIdentifier!, c.Target, c.Weight ?? 0)).ToList(),
                sets[0].TtlSeconds);
    }

    /// <inheritdoc />
    public Task<ConnectionTestResult> TestConnectionAsync(DnsCall call, CancellationToken cancellationToken) =>
        VendorHttp.TestConnectionAsync(Vendor, async ct => $"hosted zone {call.Zone} found ({await ZoneIdAsync(call, ct).ConfigureAwait(false)})", cancellationToken);

    /// <summary>A CNAME resource record set: plain (no SetIdentifier) or weighted.</summary>
    private sealed record RecordSet(string Name, string? SetIdentifier, int? Weight, string Target, int TtlSeconds);

    private static XElement Change(string action, RecordSet set) =>
        new(Ns + "Change",
            new XElement(Ns + "Action", action),
            new XElement(Ns + "ResourceRecordSet",
                // Route 53's schema order: Name, Type, SetIdentifier, Weight, ..., TTL, ResourceRecords.
                new XElement(Ns + "Name", DnsRecordNames.Absolute(set.Name)),
                new XElement(Ns + "Type", "CNAME"),
                set.SetIdentifier is null ? null : new XElement(Ns + "SetIdentifier", set.SetIdentifier),
                set.Weight is null ? null : new XElement(Ns + "Weight", set.Weight.Value.ToString(CultureInfo.InvariantCulture)),
                new XElement(Ns + "TTL", set.TtlSeconds.ToString(CultureInfo.InvariantCulture)),
                new XElement(Ns + "ResourceRecords",
                    new XElement(Ns + "ResourceRecord", new XElement(Ns + "Value", DnsRecordNames.Relative(set.Target))))));

    private async Task ChangeAsync(DnsCall call, string zoneId, IReadOnlyList<XElement> changes, string what, CancellationToken cancellationToken)
    {
        var body = new XElement(Ns + "ChangeResourceRecordSetsRequest",
            new XElement(Ns + "ChangeBatch",
                new XElement(Ns + "Comment", $"poppy: {what}"),
                new XElement(Ns + "Changes", changes)));
        var reply = await SendAsync(call, HttpMethod.Post, $"hostedzone/{zoneId}/rrset/", body, what, cancellationToken).ConfigureAwait(false);
        var info = Parse(reply).Element(Ns + "ChangeInfo");
        var changeId = info?.Element(Ns + "Id")?.Value.Split('/').Last()
            ?? throw new CdnDriverException($"{Vendor} answered ChangeResourceRecordSets without a ChangeInfo Id.", isTransient: false);
        if (info.Element(Ns + "Status")?.Value == "INSYNC")
        {
            return;
        }

        await DnsCalls.PollUntilDoneAsync(call, Vendor, $"change {changeId}", async ct =>
        {
            var change = await SendAsync(call, HttpMethod.Get, $"change/{changeId}", null, $"GetChange {changeId}", ct).ConfigureAwait(false);
            return Parse(change).Element(Ns + "ChangeInfo")?.Element(Ns + "Status")?.Value == "INSYNC";
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every CNAME set of <paramref name="name"/>: the plain one, or the weighted ones (Route 53 lists them together from (name, type) on).</summary>
    private async Task<List<RecordSet>> FindAllAsync(DnsCall call, string zoneId, string name, CancellationToken cancellationToken)
    {
        var wanted = DnsRecordNames.Relative(name);
        var reply = await SendAsync(call, HttpMethod.Get,
            $"hostedzone/{zoneId}/rrset?name={Uri.EscapeDataString(DnsRecordNames.Absolute(wanted))}&type=CNAME&maxitems=100", null,
            $"ListResourceRecordSets {name}", cancellationToken).ConfigureAwait(false);
        // The list starts at (name, type): later names follow, and are left out.
        return (Parse(reply).Element(Ns + "ResourceRecordSets")?.Elements(Ns + "ResourceRecordSet") ?? [])
            .TakeWhile(set => DnsRecordNames.Relative(Unescape(set.Element(Ns + "Name")?.Value ?? "")) == wanted && set.Element(Ns + "Type")?.Value == "CNAME")
            .Select(set => new RecordSet(wanted,
                set.Element(Ns + "SetIdentifier")?.Value,
                set.Element(Ns + "Weight")?.Value is { } weight ? int.Parse(weight, CultureInfo.InvariantCulture) : null,
                DnsRecordNames.Relative(set.Element(Ns + "ResourceRecords")?.Element(Ns + "ResourceRecord")?.Element(Ns + "Value")?.Value ?? "").ToLowerInvariant(),
                int.Parse(set.Element(Ns + "TTL")?.Value ?? "0", CultureInfo.InvariantCulture)))
            .ToList();
    }

    private async Task<string> ZoneIdAsync(DnsCall call, CancellationToken cancellationToken)
    {
        if (call.Optional(HostedZoneId) is { } configured)
        {
            return configured.Split('/').Last();
        }

        var reply = await SendAsync(call, HttpMethod.Get, $"hostedzonesbyname?dnsname={Uri.EscapeDataString(DnsRecordNames.Absolute(call.Zone))}&maxitems=1",
            null, $"ListHostedZonesByName {call.Zone}", cancellationToken).ConfigureAwait(false);
        var zone = Parse(reply).Element(Ns + "HostedZones")?.Elements(Ns + "HostedZone")
            .FirstOrDefault(z => DnsRecordNames.Relative(z.Element(Ns + "Name")?.Value ?? "") == DnsRecordNames.Relative(call.Zone)
                && z.Element(Ns + "Config")?.Element(Ns + "PrivateZone")?.Value != "true");
        return zone?.Element(Ns + "Id")?.Value.Split('/').Last()
            ?? throw new CdnDriverException($"{Vendor} has no public hosted zone named {call.Zone}.", isTransient: false, statusCode: 404);
    }

    private static async Task<VendorReply> SendAsync(DnsCall call, HttpMethod method, string path, XElement? body, string what, CancellationToken cancellationToken)
    {
        var signer = new AwsSigV4Signer(
            new AwsCredentials(call.Required(Vendor, AccessKeyId), call.Required(Vendor, SecretAccessKey)), "us-east-1", "route53");
        using var request = new HttpRequestMessage(method, new Uri(call.ApiEndpoint, $"{Version}/{path}"));
        if (body is not null)
        {
            request.Content = new StringContent(new XDeclaration("1.0", "UTF-8", null) + "\n" + body.ToString(SaveOptions.DisableFormatting),
                Encoding.UTF8, "text/xml");
        }

        // Signed just before sending, at the call's clock (the account's pipeline re-sends only idempotent requests).
        await signer.SignAsync(request, call.Clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var reply = await VendorHttp.SendAsync(call.ToProviderCall(), request, Vendor, what, cancellationToken).ConfigureAwait(false);
        if (reply.IsSuccess)
        {
            return reply;
        }

        var (code, message) = ErrorOf(reply);
        throw VendorHttp.Failure(reply, $"{Vendor} answered {reply.StatusCode} {code} to {what}: {message}",
            transient: TransientCodes.Contains(code) ? true : null);
    }

    /// <summary>An <c>ErrorResponse</c>'s code and message, or an <c>InvalidChangeBatch</c>'s messages.</summary>
    private static (string Code, string Message) ErrorOf(VendorReply reply)
    {
        try
        {
            var root = XElement.Parse(reply.Text);
            if (root.Name.LocalName == "InvalidChangeBatch")
            {
                return ("InvalidChangeBatch", string.Join("; ", root.Descendants().Where(e => e.Name.LocalName == "Message").Select(e => e.Value)));
            }

            var error = root.Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
            return (error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value ?? "",
                error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value ?? reply.ReasonPhrase ?? "");
        }
        catch (XmlException)
        {
            return ("", reply.ReasonPhrase ?? "");
        }
    }

    private static XElement Parse(VendorReply reply)
    {
        try
        {
            return XElement.Parse(reply.Text);
        }
        catch (XmlException e)
        {
            throw new CdnDriverException($"{Vendor} gave an answer that is not XML: {e.Message}", isTransient: false, reply.StatusCode);
        }
    }

    /// <summary>Route 53 escapes some characters in names as <c>\ooo</c>; the portal's names have none but '*' (<c>\052</c>).</summary>
    private static string Unescape(string name) => name.Replace("\\052", "*", StringComparison.Ordinal);
}
