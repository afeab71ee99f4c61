using System.Text.Json.Nodes;

namespace Poppy.Portal.Simulators.Inventory;

/// <summary>
/// One vendor resource (Fastly service, CloudFront distribution, Akamai property, MaxCDN pull zone) and the portal
/// service it belongs to, read from the id the portal's driver wrote into it; null when it carries none.
/// </summary>
public sealed record SimulatedResource(CdnVendor Vendor, string Id, string Name, Guid? PortalServiceId);

/// <summary>
/// Every resource the simulators hold right now, per vendor: what a crash test or a benchmark counts to prove that a
/// portal service has exactly one resource at each vendor. <c>GET {base}/_inventory</c> answers <see cref="ToJson"/>.
/// </summary>
public sealed class SimulatorInventory
{
    internal SimulatorInventory(IEnumerable<SimulatedResource> resources) =>
        Resources = resources.ToList();

    public IReadOnlyList<SimulatedResource> Resources { get; }

    public IEnumerable<SimulatedResource> Of(CdnVendor vendor) => Resources.Where(r => r.Vendor == vendor);

    /// <summary>How many resources <paramref name="vendor"/> holds for the portal service.</summary>
    public int Count(CdnVendor vendor, Guid portalServiceId) =>
        Resources.Count(r => r.Vendor == vendor && r.PortalServiceId == portalServiceId);

    /// <summary>(vendor, service, count) for every portal service with more than one resource at a vendor.</summary>
    public IReadOnlyList<(CdnVendor Vendor, Guid PortalServiceId, int Count)> Duplicates() =>
        [.. Resources.Where(r => r.PortalServiceId is not null)
            .GroupBy(r => (r.Vendor, Id: r.PortalServiceId!.Value))
            .Where(g => g.Count() > 1)
            .Select(g => (g.Key.Vendor, g.Key.Id, g.Count()))];

    /// <summary>
    /// <c>{"vendors":{"fastly":{"resources":N,"services":N,"duplicates":N,"unowned":N,"items":[{"id","name","serviceId"}]},…}}</c>:
    /// <c>services</c> counts distinct portal services, <c>duplicates</c> the services with more than one resource,
    /// <c>unowned</c> the resources that carry no portal service id.
    /// </summary>
    public JsonObject ToJson() => new()
    {
        ["vendors"] = new JsonObject(Enum.GetValues<CdnVendor>().Select(vendor =>
        {
            var items = Of(vendor).ToList();
            var owned = items.Where(r => r.PortalServiceId is not null).GroupBy(r => r.PortalServiceId).ToList();
            return KeyValuePair.Create(vendor.PathSegment(), (JsonNode?)new JsonObject
            {
                ["resources"] = items.Count,
                ["services"] = owned.Count,
                ["duplicates"] = owned.Count(g => g.Count() > 1),
                ["unowned"] = items.Count(r => r.PortalServiceId is null),
                ["items"] = new JsonArray([.. items.Select(r => (JsonNode)new JsonObject
                {
                    ["id"] = r.Id,
                    ["name"] = r.Name,
                    ["serviceId"] = r.PortalServiceId?.ToString("D"),
                })]),
            });
        })),
    };

    /// <summary>
    /// The portal service id in a vendor name or marker, as the drivers write them: <c>poppy-&lt;id&gt;</c> (Fastly
    /// service name, CloudFront CallerReference, Akamai property name), <c>poppy:&lt;id&gt; …</c> (CloudFront Comment) or
    /// the bare 32 hex digits (MaxCDN zone name).
    /// </summary>
    public static Guid? PortalServiceIdIn(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var value = text.StartsWith("poppy-", StringComparison.Ordinal) || text.StartsWith("poppy:", StringComparison.Ordinal) ? text["poppy-".Length..] : text;
        var end = value.IndexOf(' ', StringComparison.Ordinal);
        value = end < 0 ? value : value[..end];
        return Guid.TryParseExact(value, "D", out var id) || Guid.TryParseExact(value, "N", out id) ? id : null;
    }
}
