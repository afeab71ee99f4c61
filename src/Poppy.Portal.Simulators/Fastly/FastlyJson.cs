using System.Text.Json.Nodes;
using static Poppy.Portal.Simulators.Hosting.HttpHelpers;

namespace Poppy.Portal.Simulators.Fastly;

/// <summary>Fastly's JSON shapes. Like the real API, many numbers of config objects come back as strings.</summary>
internal static class FastlyJson
{
    public static JsonObject Service(FastlyService s)
    {
        var json = ServiceFields(s);
        json["versions"] = new JsonArray([.. s.Versions.Select(v => (JsonNode)Version(s, v))]);
        return json;
    }

    public static JsonObject Details(FastlyService s)
    {
        var json = Service(s);
        json["active_version"] = s.ActiveVersion is { } active ? VersionDetails(s, active) : null;
        json["version"] = VersionDetails(s, s.LatestVersion);
        return json;
    }

    public static JsonObject Version(FastlyService s, FastlyVersion v) => new()
    {
        ["number"] = v.Number,
        ["service_id"] = s.Id,
        ["active"] = v.Active,
        ["locked"] = v.Locked,
        ["deployed"] = v.Deployed,
        ["staging"] = false,
        ["testing"] = false,
        ["comment"] = v.Comment,
        ["created_at"] = Iso(v.CreatedAt),
        ["updated_at"] = Iso(v.UpdatedAt),
        ["deleted_at"] = null,
    };

    public static JsonObject Object(FastlyService s, FastlyVersion v, FastlyObject o)
    {
        var kind = FastlyKinds.All[o.Kind];
        var json = new JsonObject();
        if (o.Id is not null)
        {
            json["id"] = o.Id;
        }

        json["name"] = o.Name;
        foreach (var (field, value) in o.Fields)
        {
            json[field] = value is null ? null
                : kind.IsBool(field) ? value == "true"
                : kind.IsInt(field) && int.TryParse(value, out var number) ? number
                : value;
        }

        json["service_id"] = s.Id;
        json["version"] = v.Number;
        json["created_at"] = Iso(o.CreatedAt);
        json["updated_at"] = Iso(o.UpdatedAt);
        json["deleted_at"] = null;
        return json;
    }

    public static JsonObject Settings(FastlyService s, FastlyVersion v)
    {
        var json = new JsonObject { ["service_id"] = s.Id, ["version"] = v.Number };
        foreach (var (key, value) in v.Settings)
        {
            json[key] = value is "true" or "false" ? value == "true" : int.TryParse(value, out var n) ? n : value;
        }

        return json;
    }

    public static JsonObject AclEntry(FastlyService s, FastlyAclEntry e) => new()
    {
        ["id"] = e.Id,
        ["acl_id"] = e.AclId,
        ["service_id"] = s.Id,
        ["ip"] = e.Ip,
        ["subnet"] = e.Subnet,
        ["negated"] = e.Negated ? "1" : "0",
        ["comment"] = e.Comment,
        ["created_at"] = Iso(e.CreatedAt),
        ["updated_at"] = Iso(e.UpdatedAt),
        ["deleted_at"] = null,
    };

    public static JsonArray List<T>(IEnumerable<T> items, Func<T, JsonNode> render) => new([.. items.Select(render)]);

    private static JsonObject ServiceFields(FastlyService s) => new()
    {
        ["id"] = s.Id,
        ["name"] = s.Name,
        ["type"] = s.Type,
        ["comment"] = s.Comment,
        ["customer_id"] = s.CustomerId,
        ["created_at"] = Iso(s.CreatedAt),
        ["updated_at"] = Iso(s.UpdatedAt),
        ["deleted_at"] = null,
        ["paused"] = false,
        ["publish_key"] = "",
    };

    private static JsonObject VersionDetails(FastlyService s, FastlyVersion v)
    {
        var json = Version(s, v);
        foreach (var kind in FastlyKinds.All.Values)
        {
            json[kind.Plural] = List(v.Of(kind.Path), o => Object(s, v, o));
        }

        json["settings"] = Settings(s, v);
        return json;
    }
}
