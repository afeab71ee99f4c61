using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.MaxCdn;

/// <summary>Pull zones with their custom domains, and the purge log. Writers hold the lock.</summary>
internal sealed partial class MaxCdnStore(SimulatorContext context)
{
    private static readonly string[] Writable =
    [
        "name", "url", "port", "ip", "compress", "backend_compress", "queries", "set_host_header", "cache_valid",
        "ignore_cache_control", "use_stale", "label", "valid_referers", "expires", "disallow_robots", "canonical_link_headers",
        "content_disposition", "pseudo_streaming", "ignore_setcookie_header", "proxy_cache_lock", "sslshared",
    ];

    private readonly Lock gate = new();
    private readonly List<MaxCdnPullZone> zones = [];
    private readonly List<MaxCdnPurge> purges = [];
    private int nextZoneId = 500000;
    private int nextDomainId = 9000;

    public IReadOnlyList<MaxCdnPullZone> Zones
    {
        get
        {
            lock (gate)
            {
                return [.. zones];
            }
        }
    }

    public IReadOnlyList<MaxCdnPurge> Purges
    {
        get
        {
            lock (gate)
            {
                return [.. purges];
            }
        }
    }

    public MaxCdnPullZone Get(string id)
    {
        lock (gate)
        {
            return zones.FirstOrDefault(z => z.Id.ToString() == id) ?? throw MaxCdnApiError.NotFound($"Pull zone {id} not found");
        }
    }

    public MaxCdnPullZone Create(IReadOnlyDictionary<string, string?> input)
    {
        lock (gate)
        {
            var fields = Defaults();
            Apply(fields, input);
            Validate(fields, null);
            var id = ++nextZoneId;
            var host = $"{fields["name"]}.{context.Options.MaxCdn.CompanyAlias}{MaxCdnSimulator.AccessHostSuffix}";
            fields["tmp_url"] = host;
            fields["cdn_url"] = host;
            fields["creation_date"] = context.Now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss");
            var zone = new MaxCdnPullZone(id, fields.ToImmutableDictionary(), [], context.Now);
            zones.Add(zone);
            return zone;
        }
    }

    public MaxCdnPullZone Update(string id, IReadOnlyDictionary<string, string?> input) =>
        Mutate(id, zone =>
        {
            var fields = zone.Fields.ToDictionary();
            Apply(fields, input.Where(f => f.Key != "name").ToDictionary()); // the name is the zone's host name: fixed
            Validate(fields, zone.Id);
            return zone with { Fields = fields.ToImmutableDictionary() };
        });

    public void Delete(string id)
    {
        lock (gate)
        {
            zones.Remove(Get(id));
        }
    }

    public MaxCdnCustomDomain AddCustomDomain(string zoneId, string domain)
    {
        MaxCdnCustomDomain? added = null;
        Mutate(zoneId, zone =>
        {
            if (zones.Any(z => z.CustomDomains.Any(d => d.Domain == domain)))
            {
                throw MaxCdnApiError.Validation($"The custom domain {domain} is already in use");
            }

            added = new MaxCdnCustomDomain(++nextDomainId, domain);
            return zone with { CustomDomains = zone.CustomDomains.Add(added) };
        });
        return added!;
    }

    public void DeleteCustomDomain(string zoneId, string domainId) =>
        Mutate(zoneId, zone => zone with
        {
            CustomDomains = zone.CustomDomains.Remove(zone.CustomDomains.FirstOrDefault(d => d.Id.ToString() == domainId)
                ?? throw MaxCdnApiError.NotFound($"Custom domain {domainId} not found")),
        });

    public MaxCdnPurge RecordPurge(int zoneId, IReadOnlyList<string> files, int count)
    {
        var purge = new MaxCdnPurge(zoneId, files, count, context.Now);
        lock (gate)
        {
            purges.Add(purge);
        }

        return purge;
    }

    private MaxCdnPullZone Mutate(string id, Func<MaxCdnPullZone, MaxCdnPullZone> change)
    {
        lock (gate)
        {
            var zone = Get(id);
            var changed = change(zone);
            zones[zones.IndexOf(zone)] = changed;
            return changed;
        }
    }

    private static Dictionary<string, string> Defaults() => new(StringComparer.Ordinal)
    {
        ["port"] = "80", ["ip"] = "", ["compress"] = "0", ["backend_compress"] = "0", ["queries"] = "0", ["set_host_header"] = "",
        ["cache_valid"] = "1d", ["ignore_cache_control"] = "0", ["use_stale"] = "0", ["label"] = "", ["valid_referers"] = "",
        ["expires"] = "", ["disallow_robots"] = "0", ["canonical_link_headers"] = "1", ["content_disposition"] = "0",
        ["pseudo_streaming"] = "0", ["ignore_setcookie_header"] = "0", ["proxy_cache_lock"] = "0", ["ssl"] = "0",
        ["sslshared"] = "0", ["suspend"] = "0", ["locked"] = "0", ["inactive"] = "0", ["type"] = "2",
    };

    private static void Apply(Dictionary<string, string> fields, IReadOnlyDictionary<string, string?> input)
    {
        foreach (var (key, value) in input)
        {
            if (Writable.Contains(key) && value is not null)
            {
                fields[key] = value;
            }
        }
    }

    private void Validate(Dictionary<string, string> fields, int? ownId)
    {
        var name = fields.GetValueOrDefault("name") ?? "";
        if (!ZoneName().IsMatch(name))
        {
            throw MaxCdnApiError.Validation("name: must be 3-32 characters: letters, digits and dashes");
        }

        if (zones.Any(z => z.Id != ownId && z.Name == name))
        {
            throw MaxCdnApiError.Validation($"name: the zone name {name} is already taken");
        }

        if (!Uri.TryCreate(fields.GetValueOrDefault("url"), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw MaxCdnApiError.Validation("url: must be a valid http or https origin URL");
        }
    }

    [GeneratedRegex(@"\A[A-Za-z0-9-]{3,32}\z")]
    private static partial Regex ZoneName();
}
