using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Providers.Signing;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Dns.Route53;

/// <summary>
/// Amazon Route 53's REST-XML API (2013-04-01, SigV4 <c>us-east-1</c>/<c>route53</c>) under <c>{base}/route53/</c>:
/// hosted zones by name, ChangeResourceRecordSets (CREATE, UPSERT, DELETE; atomic), ListResourceRecordSets and
/// GetChange (PENDING, then INSYNC after the change delay). Weighted sets (<c>SetIdentifier</c> + <c>Weight</c> 0..255)
/// are kept apart from a plain set of the same name and type: a batch that would leave both is an InvalidChangeBatch. Errors are Route 53's: <c>ErrorResponse</c> with
/// <c>Throttling</c> (400), <c>NoSuchHostedZone</c> (404), <c>SignatureDoesNotMatch</c> (403), and
/// <c>InvalidChangeBatch</c> with its <c>Messages</c>.
/// </summary>
public sealed class Route53Simulator : DnsVendorSimulator
{
    internal static readonly XNamespace Ns = "https://route53.amazonaws.com/doc/2013-04-01/";
    private const string Version = "2013-04-01";

    private readonly AwsSigV4Verifier verifier;
    private readonly Dictionary<string, DateTimeOffset> changes = [];
    private readonly Lock gate = new();

    internal Route53Simulator(DnsSimulatorContext context)
        : base("route53", context, 11)
    {
        verifier = new AwsSigV4Verifier("us-east-1", "route53", accessKeyId =>
            context.Options.Route53 is { } c && c.AccessKeyId == accessKeyId ? new AwsCredentials(c.AccessKeyId, c.SecretAccessKey) : null);
        foreach (var zone in context.Options.Zones)
        {
            Store.AddZone(new SimulatedDnsZone("Z" + context.Ids.Next(IdGenerator.UpperAlnum, 13), DnsZoneStore.Normalize(zone)));
        }
    }

    /// <summary>Change batches accepted so far (each one atomic).</summary>
    public int ChangeCount
    {
        get
        {
            lock (gate)
            {
                return changes.Count;
            }
        }
    }

    internal override void MapApi(RouteGroupBuilder api)
    {
        var v = api.MapGroup("/" + Version);
        v.MapGet("/hostedzonesbyname", (HttpContext http) =>
        {
            // Zones in name order from dnsname on, as Route 53 lists them: the caller checks the name.
            var from = DnsZoneStore.Normalize(http.Request.Query["dnsname"].ToString());
            var zones = Store.Zones.Where(z => string.CompareOrdinal(z.Name, from) >= 0).OrderBy(z => z.Name, StringComparer.Ordinal).ToList();
            return Xml(new XElement(Ns + "ListHostedZonesByNameResponse",
                new XElement(Ns + "HostedZones", zones.Select(z => new XElement(Ns + "HostedZone",
                    new XElement(Ns + "Id", "/hostedzone/" + z.Id),
                    new XElement(Ns + "Name", z.Name + "."),
                    new XElement(Ns + "CallerReference", "sim-" + z.Id),
                    new XElement(Ns + "Config", new XElement(Ns + "PrivateZone", "false")),
                    new XElement(Ns + "ResourceRecordSetCount", Store.InZone(z.Id).Count + 2)))),
                new XElement(Ns + "DNSName", from + "."),
                new XElement(Ns + "IsTruncated", "false"),
                new XElement(Ns + "MaxItems", "100")));
        });
        v.MapGet("/hostedzone/{id}/rrset", (HttpContext http, string id) =>
        {
            var zone = ZoneOrThrow(id);
            var name = DnsZoneStore.Normalize(http.Request.Query["name"].ToString());
            var type = http.Request.Query["type"].ToString();
            var max = HttpHelpers.ParseInt(http.Request.Query["maxitems"]) ?? 300;
            // Listed in Route 53's order (by name, then type) from (name, type) on.
            var sets = Store.InZone(zone.Id)
                .OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Type, StringComparer.Ordinal).ThenBy(r => r.SetIdentifier, StringComparer.Ordinal)
                .Where(r => name.Length == 0 || string.CompareOrdinal(r.Name, name) > 0
                    || (r.Name == name && (type.Length == 0 || string.CompareOrdinal(r.Type, type) >= 0)))
                .Take(max)
                .ToList();
            return Xml(new XElement(Ns + "ListResourceRecordSetsResponse",
                new XElement(Ns + "ResourceRecordSets", sets.Select(r => new XElement(Ns + "ResourceRecordSet",
                    new XElement(Ns + "Name", r.Name + "."),
                    new XElement(Ns + "Type", r.Type),
                    r.SetIdentifier is null ? null : new XElement(Ns + "SetIdentifier", r.SetIdentifier),
                    r.Weight is null ? null : new XElement(Ns + "Weight", r.Weight.Value.ToString(CultureInfo.InvariantCulture)),
                    new XElement(Ns + "TTL", r.Ttl),
                    new XElement(Ns + "ResourceRecords", new XElement(Ns + "ResourceRecord", new XElement(Ns + "Value", r.Data)))))),
                new XElement(Ns + "IsTruncated", "false"),
                new XElement(Ns + "MaxItems", max)));
        });
        // Route 53 documents the path with a trailing slash; routing matches it with or without.
        v.MapPost("/hostedzone/{id}/rrset", async (HttpContext http, string id) => await ChangeAsync(http, id));
        v.MapGet("/change/{id}", (string id) =>
        {
            DateTimeOffset submitted;
            lock (gate)
            {
                if (!changes.TryGetValue(id, out submitted))
                {
                    throw new Route53Error(StatusCodes.Status404NotFound, "NoSuchChange", $"A change with the specified change ID does not exist: {id}");
                }
            }

            return Xml(new XElement(Ns + "GetChangeResponse", ChangeInfo(id, submitted)));
        });
    }

    private async Task<IResult> ChangeAsync(HttpContext http, string zoneId)
    {
        var zone = ZoneOrThrow(zoneId);
        XElement root;
        try
        {
            root = XElement.Parse(await HttpHelpers.ReadBodyTextAsync(http.Request));
        }
        catch (XmlException e)
        {
            throw new Route53Error(StatusCodes.Status400BadRequest, "MalformedInput", $"Could not parse the request body: {e.Message}");
        }

        if (root.Name != Ns + "ChangeResourceRecordSetsRequest")
        {
            throw new Route53Error(StatusCodes.Status400BadRequest, "InvalidInput", $"Expected ChangeResourceRecordSetsRequest, got {root.Name.LocalName}.");
        }

        var requested = root.Element(Ns + "ChangeBatch")?.Element(Ns + "Changes")?.Elements(Ns + "Change").ToList() ?? [];
        if (requested.Count == 0)
        {
            throw new Route53Error(StatusCodes.Status400BadRequest, "InvalidInput", "1 validation error detected: Value null at 'changeBatch.changes' failed to satisfy constraint: Member must not be null");
        }

        // Validate the whole batch in order on a working copy of the zone, then apply it at once: a batch is atomic, and
        // a DELETE earlier in the batch makes room for what a later change creates (how a plain set becomes weighted).
        var original = Store.InZone(zone.Id);
        var working = original.ToList();
        var messages = new List<string>();
        var index = 0;
        foreach (var change in requested)
        {
            index++;
            var action = change.Element(Ns + "Action")?.Value ?? "";
            var set = change.Element(Ns + "ResourceRecordSet");
            var name = DnsZoneStore.Normalize(set?.Element(Ns + "Name")?.Value ?? "");
            var type = set?.Element(Ns + "Type")?.Value ?? "";
            var ttl = int.TryParse(set?.Element(Ns + "TTL")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : -1;
            var values = set?.Element(Ns + "ResourceRecords")?.Elements(Ns + "ResourceRecord").Select(r => DnsZoneStore.Normalize(r.Element(Ns + "Value")?.Value ?? "")).ToList() ?? [];
            var setIdentifier = set?.Element(Ns + "SetIdentifier")?.Value;
            var weightText = set?.Element(Ns + "Weight")?.Value;
            int? weight = null;
            if (weightText is not null)
            {
                if (!long.TryParse(weightText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var w))
                {
                    throw new Route53Error(StatusCodes.Status400BadRequest, "InvalidInput", $"Invalid request: Weight '{weightText}' is not a number.");
                }

                if (w is < 0 or > 255)
                {
                    throw new Route53Error(StatusCodes.Status400BadRequest, "InvalidInput",
                        $"1 validation error detected: Value '{w}' at 'changeBatch.changes.{index}.member.resourceRecordSet.weight' failed to satisfy constraint: "
                        + (w < 0 ? "Member must have value greater than or equal to 0" : "Member must have value less than or equal to 255"));
                }

                weight = (int)w;
            }

            if (weight is not null && string.IsNullOrEmpty(setIdentifier))
            {
                throw new Route53Error(StatusCodes.Status400BadRequest, "InvalidInput",
                    $"Invalid request: Missing field 'SetIdentifier' in Change with [Action={action}, Name={name}., Type={type}, SetIdentifier=null]");
            }

            if (setIdentifier is not null && weight is null)
            {
                throw new Route53Error(StatusCodes.Status400BadRequest, "InvalidInput",
                    $"Invalid request: A resource record set with SetIdentifier must have a routing policy (Weight) in Change with [Action={action}, Name={name}., Type={type}, SetIdentifier={setIdentifier}]");
            }

            if (setIdentifier is { Length: > 128 })
            {
                throw new Route53Error(StatusCodes.Status400BadRequest, "InvalidInput",
                    $"1 validation error detected: Value '{setIdentifier}' at 'changeBatch.changes.{index}.member.resourceRecordSet.setIdentifier' failed to satisfy constraint: Member must have length less than or equal to 128");
            }

            var existing = working.FirstOrDefault(r => r.Name == name && r.Type == type && r.SetIdentifier == setIdentifier);
            var label = setIdentifier is null ? $"[name='{name}.', type='{type}']" : $"[name='{name}.', type='{type}', set-identifier='{setIdentifier}']";
            if (action is not ("CREATE" or "UPSERT" or "DELETE"))
            {
                throw new Route53Error(StatusCodes.Status400BadRequest, "InvalidInput", $"Invalid action '{action}'.");
            }

            if (!(name == zone.Name || name.EndsWith("." + zone.Name, StringComparison.Ordinal)))
            {
                messages.Add($"RRSet with DNS name {name}. is not permitted in zone {zone.Name}.");
                continue;
            }

            if (type == "CNAME" && name == zone.Name)
            {
                messages.Add($"RRSet of type CNAME with DNS name {name}. is not permitted at apex in zone {zone.Name}.");
                continue;
            }

            if (action == "DELETE")
            {
                if (existing is null)
                {
                    messages.Add($"Tried to delete resource record set {label} but it was not found");
                }
                else if (existing.Ttl != ttl || values.Count != 1 || existing.Data != values[0] || existing.Weight != weight)
                {
                    messages.Add($"Tried to delete resource record set {label} but the values provided do not match the current values");
                }
                else
                {
                    working.Remove(existing);
                }

                continue;
            }

            if (ttl is < 0 or > 2147483647 || values.Count != 1 || values[0].Length == 0)
            {
                messages.Add(values.Count > 1 && type == "CNAME"
                    ? $"RRSet of type CNAME with DNS name {name}. contains more than one resource record"
                    : $"Invalid Resource Record: FATAL problem: the record set {label} needs a TTL and exactly one value");
                continue;
            }

            if (action == "CREATE" && existing is not null)
            {
                messages.Add($"Tried to create resource record set {label} but it already exists");
                continue;
            }

            // Route 53 never keeps a weighted and a non-weighted set of one name and type side by side.
            var otherKind = working.Where(r => r.Name == name && r.Type == type && (r.SetIdentifier is null) != (setIdentifier is null)).ToList();
            if (otherKind.Count > 0)
            {
                messages.Add(setIdentifier is null
                    ? $"RRSet with DNS name {name}., type {type} cannot be created as a non-weighted set exists with the same name and type."
                    : $"RRSet with DNS name {name}., type {type}, SetIdentifier {setIdentifier} cannot be created as a non-weighted set exists with the same name and type.");
                continue;
            }

            var record = new SimulatedDnsRecord(existing?.Id ?? Context.Ids.Next(IdGenerator.UpperAlnum, 12), zone.Id, name, type, values[0], ttl, setIdentifier, weight);
            if (existing is not null)
            {
                working[working.IndexOf(existing)] = record;
            }
            else
            {
                working.Add(record);
            }
        }

        if (messages.Count > 0)
        {
            return InvalidChangeBatch(messages);
        }

        foreach (var gone in original.Where(o => !working.Any(w => w.Id == o.Id)))
        {
            Store.Remove(gone.Id);
        }

        foreach (var record in working.Where(w => !original.Contains(w)))
        {
            Store.Put(record);
        }

        var changeId = "C" + Context.Ids.Next(IdGenerator.UpperAlnum, 13);
        var submitted = Context.Now;
        lock (gate)
        {
            changes[changeId] = submitted;
        }

        return Xml(new XElement(Ns + "ChangeResourceRecordSetsResponse", ChangeInfo(changeId, submitted)));
    }

    private XElement ChangeInfo(string id, DateTimeOffset submitted) =>
        new(Ns + "ChangeInfo",
            new XElement(Ns + "Id", "/change/" + id),
            new XElement(Ns + "Status", Context.Now >= submitted + Context.Options.ChangeDelay ? "INSYNC" : "PENDING"),
            new XElement(Ns + "SubmittedAt", HttpHelpers.Iso(submitted)));

    private SimulatedDnsZone ZoneOrThrow(string id) =>
        Store.FindZone(id) ?? throw new Route53Error(StatusCodes.Status404NotFound, "NoSuchHostedZone", $"No hosted zone found with ID: {id}");

    internal override async ValueTask<IResult?> AuthenticateAsync(HttpContext http)
    {
        var request = await http.Request.ReadSignedRequestAsync(http.RequestAborted);
        var verification = verifier.Verify(request, Context.Now);
        return verification.Succeeded ? null : Route53Error.Body(verification.HttpStatus, verification.ErrorCode, verification.Message);
    }

    internal override IResult Unavailable() =>
        Route53Error.Body(StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", "Route 53 is temporarily unable to process the request.", "Receiver");

    /// <summary>Route 53 throttles with 400 <c>Throttling</c> "Rate exceeded", as AWS REST-XML services do.</summary>
    internal override IResult Throttled(int retryAfterSeconds) =>
        Route53Error.Body(StatusCodes.Status400BadRequest, "Throttling", "Rate exceeded")
            .WithHeaders(("Retry-After", retryAfterSeconds.ToString(CultureInfo.InvariantCulture)));

    internal override IResult Failure(int status, string message) =>
        status >= 500
            ? Route53Error.Body(status, "InternalFailure", message, "Receiver")
            : Route53Error.Body(status, "InvalidInput", message);

    internal override IResult UnknownPath(HttpContext http) =>
        Route53Error.Body(StatusCodes.Status404NotFound, "UnknownOperationException", $"Could not find operation for {http.Request.Method} {http.Request.Path}");

    private static IResult InvalidChangeBatch(IEnumerable<string> messages)
    {
        var requestId = Guid.NewGuid().ToString();
        return Xml(new XElement(Ns + "InvalidChangeBatch",
                new XElement(Ns + "Messages", messages.Select(m => new XElement(Ns + "Message", m))),
                new XElement(Ns + "RequestId", requestId)), StatusCodes.Status400BadRequest)
            .WithHeaders(("x-amzn-RequestId", requestId));
    }

    internal static IResult Xml(XElement root, int status = StatusCodes.Status200OK) =>
        Results.Text(new XDeclaration("1.0", "UTF-8", null) + "\n" + root.ToString(SaveOptions.DisableFormatting), "text/xml", Encoding.UTF8, status);
}

/// <summary>Route 53's <c>ErrorResponse</c>: <c>&lt;Error&gt;&lt;Type/&gt;&lt;Code/&gt;&lt;Message/&gt;&lt;/Error&gt;&lt;RequestId/&gt;</c>.</summary>
internal sealed class Route53Error(int status, string code, string message, string type = "Sender") : SimulatedApiError(status, message)
{
    public static IResult Body(int status, string code, string message, string type = "Sender")
    {
        var requestId = Guid.NewGuid().ToString();
        var ns = Route53Simulator.Ns;
        return Route53Simulator.Xml(new XElement(ns + "ErrorResponse",
                new XElement(ns + "Error", new XElement(ns + "Type", type), new XElement(ns + "Code", code), new XElement(ns + "Message", message)),
                new XElement(ns + "RequestId", requestId)), status)
            .WithHeaders(("x-amzn-RequestId", requestId));
    }

    public override IResult ToResult() => Body(Status, code, Message, type);
}
