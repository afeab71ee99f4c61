using System.Text.Json.Nodes;
using static Poppy.Portal.Providers.Cdn.Fastly.FastlyApiClient;
using static Poppy.Portal.Providers.Cdn.Fastly.FastlyDriver;

namespace Poppy.Portal.Providers.Cdn.Fastly;

/// <summary>
/// The writes that turn one version (as <c>/details</c> shows it) into the wanted <see cref="FastlyConfig"/>: deletes of
/// objects not wanted, creates and updates of the rest, ACL entry changes and settings. Computed with reads only, so a
/// call that has nothing to change writes nothing (Fastly counts every write against an hourly budget).
/// </summary>
internal sealed class FastlyPlan
{
    private readonly List<(string Kind, string Name)> deletes = [];
    private readonly List<(FastlyObjectSpec Object, bool Exists)> upserts = [];
    private readonly Dictionary<string, string> settings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> aclIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<JsonObject>> aclEntryOps = new(StringComparer.Ordinal);

    public bool IsEmpty => deletes.Count == 0 && upserts.Count == 0 && settings.Count == 0 && aclEntryOps.Values.All(o => o.Count == 0);

    public static async Task<FastlyPlan> CreateAsync(FastlyApiClient api, string sid, JsonObject version, FastlyConfig config, CancellationToken ct)
    {
        var plan = new FastlyPlan();
        foreach (var kind in FastlyConfig.CreateOrder.Reverse())
        {
            var existing = Existing(version, kind);
            var wanted = config.Objects.Where(o => o.Kind == kind).ToDictionary(o => o.Name, StringComparer.Ordinal);
            plan.deletes.AddRange(existing.Keys.Where(name => !wanted.ContainsKey(name)).Select(name => (kind, name)));
        }

        foreach (var kind in FastlyConfig.CreateOrder)
        {
            var existing = Existing(version, kind);
            foreach (var wanted in config.Objects.Where(o => o.Kind == kind))
            {
                if (!existing.TryGetValue(wanted.Name, out var current))
                {
                    plan.upserts.Add((wanted, false));
                }
                else if (wanted.Fields.Any(f => !Same(Text(current[f.Key]), f.Value)))
                {
                    plan.upserts.Add((wanted, true));
                }

                if (kind == FastlyConfig.Acl && current is not null && Text(current["id"]) is { } id)
                {
                    plan.aclIds[wanted.Name] = id;
                }
            }
        }

        // ACL entries are versionless (they belong to the ACL's id, which a clone keeps): compare with the live list.
        foreach (var (acl, entries) in config.AclEntries)
        {
            var current = new List<JsonObject>();
            if (plan.aclIds.TryGetValue(acl, out var aclId))
            {
                var listed = await api.GetAsync($"service/{Esc(sid)}/acl/{Esc(aclId)}/entries", ct).ConfigureAwait(false);
                current = (listed as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
            }

            var ops = new List<JsonObject>();
            foreach (var stale in current.Where(c => !entries.Any(e => Matches(c, e))))
            {
                ops.Add(new JsonObject { ["op"] = "delete", ["id"] = Text(stale["id"]) });
            }

            foreach (var missing in entries.Where(e => !current.Any(c => Matches(c, e))))
            {
                var op = new JsonObject { ["op"] = "create", ["ip"] = missing.Ip, ["negated"] = "0" };
                if (missing.Subnet is { } subnet)
                {
                    op["subnet"] = subnet;
                }

                ops.Add(op);
            }

            plan.aclEntryOps[acl] = ops;
        }

        var currentSettings = version["settings"] as JsonObject;
        foreach (var (key, value) in config.Settings)
        {
            if (!Same(Text(currentSettings?[key]), value))
            {
                plan.settings[key] = value;
            }
        }

        return plan;
    }

    /// <summary>Applies the plan to the editable version <paramref name="draft"/>.</summary>
    public async Task ExecuteAsync(FastlyApiClient api, string sid, int draft, CancellationToken ct)
    {
        var versionPath = $"service/{Esc(sid)}/version/{draft}";
        foreach (var (kind, name) in deletes)
        {
            await api.DeleteAsync($"{versionPath}/{kind}/{Esc(name)}", ct, notFoundIsNull: true).ConfigureAwait(false);
        }

        foreach (var (wanted, exists) in upserts)
        {
            var fields = wanted.Fields.Select(f => KeyValuePair.Create(f.Key, f.Value)).ToList();
            if (exists)
            {
                await api.PutAsync($"{versionPath}/{wanted.Kind}/{Esc(wanted.Name)}", fields, ct).ConfigureAwait(false);
                continue;
            }

            var created = await api.PostAsync($"{versionPath}/{wanted.Kind}", fields.Prepend(KeyValuePair.Create("name", wanted.Name)), ct)
                .ConfigureAwait(false);
            if (wanted.Kind == FastlyConfig.Acl && Text(created?["id"]) is { } aclId)
            {
                aclIds[wanted.Name] = aclId;
            }
        }

        foreach (var (acl, ops) in aclEntryOps.Where(a => a.Value.Count > 0))
        {
            var aclId = aclIds.GetValueOrDefault(acl) ?? throw new Core.Drivers.CdnDriverException($"Fastly sent no id for ACL '{acl}'.", isTransient: true);
            await api.PatchJsonAsync($"service/{Esc(sid)}/acl/{Esc(aclId)}/entries",
                new JsonObject { ["entries"] = new JsonArray([.. ops.Select(o => (JsonNode)o.DeepClone())]) }, ct).ConfigureAwait(false);
        }

        if (settings.Count > 0)
        {
            await api.PutAsync($"{versionPath}/settings", settings.Select(s => KeyValuePair.Create(s.Key, s.Value)), ct).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, JsonObject> Existing(JsonObject version, string kind) =>
        (version[FastlyConfig.Plurals[kind]] as JsonArray)?.OfType<JsonObject>()
            .Where(o => Text(o["name"]) is not null)
            .GroupBy(o => Text(o["name"])!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal)
        ?? new Dictionary<string, JsonObject>(StringComparer.Ordinal);

    private static bool Matches(JsonObject current, FastlyAclEntrySpec wanted) =>
        Text(current["ip"]) == wanted.Ip
        && Same(Text(current["subnet"]), wanted.Subnet?.ToString(System.Globalization.CultureInfo.InvariantCulture))
        && !IsTrue(current["negated"]);

    /// <summary>Fastly echoes booleans as true/1 and empties as null or "": compare them as the same value.</summary>
    private static bool Same(string? current, string? wanted) => Normalize(current) == Normalize(wanted);

    private static string Normalize(string? value) => value switch
    {
        null or "null" => "",
        "1" or "true" or "True" => "true",
        "0" or "false" or "False" => "false",
        _ => value,
    };
}
