using System.Collections.Immutable;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Fastly;

/// <summary>Fastly's services, versions and purge log. Writers hold the lock and swap immutable records.</summary>
internal sealed class FastlyStore(SimulatorContext context)
{
    private readonly Lock gate = new();
    private readonly List<FastlyService> services = [];
    private readonly List<FastlyPurge> purges = [];
    private readonly string customerId = context.Ids.Next(IdGenerator.MixedAlnum, 22);

    /// <summary>The one customer every simulated token belongs to.</summary>
    public string CustomerId => customerId;

    public IReadOnlyList<FastlyService> Services
    {
        get
        {
            lock (gate)
            {
                return [.. services];
            }
        }
    }

    public IReadOnlyList<FastlyPurge> Purges
    {
        get
        {
            lock (gate)
            {
                return [.. purges];
            }
        }
    }

    public FastlyService? Find(string serviceId)
    {
        lock (gate)
        {
            return services.FirstOrDefault(s => s.Id == serviceId);
        }
    }

    public FastlyService Get(string serviceId) =>
        Find(serviceId) ?? throw FastlyApiError.NotFound($"Cannot find service '{serviceId}'");

    public FastlyService Create(string name, string type, string comment)
    {
        var now = context.Now;
        var service = new FastlyService(
            context.Ids.Next(IdGenerator.MixedAlnum, 22), name, type, comment, customerId, now, now,
            [NewVersion(1, now)], []);
        lock (gate)
        {
            services.Add(service);
        }

        return service;
    }

    public FastlyService Update(string serviceId, string? name, string? comment) =>
        Mutate(serviceId, s => s with { Name = name ?? s.Name, Comment = comment ?? s.Comment, UpdatedAt = context.Now });

    public void Delete(string serviceId)
    {
        lock (gate)
        {
            var service = Get(serviceId);
            if (service.ActiveVersion is not null)
            {
                throw FastlyApiError.BadRequest("Cannot delete service with active version");
            }

            services.Remove(service);
        }
    }

    public FastlyVersion AddVersion(string serviceId) =>
        MutateVersion(serviceId, s =>
        {
            var version = NewVersion(s.Versions.Max(v => v.Number) + 1, context.Now);
            return (s with { Versions = s.Versions.Add(version) }, version);
        });

    public FastlyVersion Clone(string serviceId, int number) =>
        MutateVersion(serviceId, s =>
        {
            var source = VersionOf(s, number);
            var now = context.Now;
            var clone = source with
            {
                Number = s.Versions.Max(v => v.Number) + 1, Active = false, Locked = false, Deployed = false,
                CreatedAt = now, UpdatedAt = now,
            };
            return (s with { Versions = s.Versions.Add(clone) }, clone);
        });

    public FastlyVersion UpdateVersion(string serviceId, int number, string? comment) =>
        ChangeVersion(serviceId, number, editable: false, v => v with { Comment = comment ?? v.Comment });

    public FastlyVersion Activate(string serviceId, int number) =>
        MutateVersion(serviceId, s =>
        {
            var target = VersionOf(s, number);
            if (Validate(target).Errors is [var first, ..])
            {
                throw FastlyApiError.BadRequest(first);
            }

            var now = context.Now;
            var versions = s.Versions.Select(v => v.Number == number
                ? v with { Active = true, Locked = true, Deployed = true, UpdatedAt = now }
                : v.Active ? v with { Active = false, UpdatedAt = now } : v).ToImmutableList();
            return (s with { Versions = versions }, versions.Single(v => v.Number == number));
        });

    public FastlyVersion Deactivate(string serviceId, int number) =>
        ChangeVersion(serviceId, number, editable: false, v => v.Active
            ? v with { Active = false }
            : throw FastlyApiError.BadRequest($"Version {number} is not active"));

    public FastlyVersion Lock(string serviceId, int number) =>
        ChangeVersion(serviceId, number, editable: false, v => v with { Locked = true });

    public FastlyObject AddObject(string serviceId, int number, FastlyKind kind, IReadOnlyDictionary<string, string?> input)
    {
        var fields = kind.Defaults.ToDictionary(StringComparer.Ordinal);
        foreach (var required in kind.Required)
        {
            if (string.IsNullOrWhiteSpace(input.GetValueOrDefault(required)))
            {
                throw FastlyApiError.BadRequest($"Required parameter '{required}' is missing");
            }
        }

        Apply(kind, fields, input);
        var name = fields["name"]!;
        fields.Remove("name");
        if (kind.Path == FastlyKinds.Backend && fields["hostname"] is null)
        {
            fields["hostname"] = fields["address"];
        }

        FastlyObject? added = null;
        ChangeVersion(serviceId, number, editable: true, (s, v) =>
        {
            if (v.Find(kind.Path, name) is not null)
            {
                throw FastlyApiError.Duplicate($"Duplicate {kind.Path}: '{name}'");
            }

            if (kind.Path == FastlyKinds.Domain)
            {
                EnsureDomainFree(s.Id, name);
            }

            var now = context.Now;
            added = new FastlyObject(kind.Path, name, kind.HasId ? context.Ids.Next(IdGenerator.MixedAlnum, 22) : null,
                fields.ToImmutableDictionary(StringComparer.Ordinal), now, now);
            return v with { Objects = v.Objects.Add(added) };
        });
        return added!;
    }

    public FastlyObject UpdateObject(string serviceId, int number, FastlyKind kind, string name, IReadOnlyDictionary<string, string?> input)
    {
        FastlyObject? updated = null;
        ChangeVersion(serviceId, number, editable: true, (s, v) =>
        {
            var existing = ObjectOf(v, kind, name);
            var fields = existing.Fields.ToDictionary(StringComparer.Ordinal);
            fields["name"] = existing.Name;
            Apply(kind, fields, input);
            var newName = fields["name"]!;
            fields.Remove("name");
            if (newName != name && v.Find(kind.Path, newName) is not null)
            {
                throw FastlyApiError.Duplicate($"Duplicate {kind.Path}: '{newName}'");
            }

            if (kind.Path == FastlyKinds.Domain && newName != name)
            {
                EnsureDomainFree(s.Id, newName);
            }

            updated = existing with { Name = newName, Fields = fields.ToImmutableDictionary(StringComparer.Ordinal), UpdatedAt = context.Now };
            return v with { Objects = v.Objects.Replace(existing, updated) };
        });
        return updated!;
    }

    public void DeleteObject(string serviceId, int number, FastlyKind kind, string name) =>
        ChangeVersion(serviceId, number, editable: true, v => v with { Objects = v.Objects.Remove(ObjectOf(v, kind, name)) });

    public FastlyVersion UpdateSettings(string serviceId, int number, IReadOnlyDictionary<string, string?> input) =>
        ChangeVersion(serviceId, number, editable: true, v =>
        {
            var settings = v.Settings;
            foreach (var (key, value) in input)
            {
                if (key.StartsWith("general.", StringComparison.Ordinal) && value is not null)
                {
                    settings = settings.SetItem(key, value);
                }
            }

            return v with { Settings = settings };
        });

    public static (IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings) Validate(FastlyVersion version)
    {
        var errors = new List<string>();
        if (version.Domains.Count == 0)
        {
            errors.Add($"Version {version.Number} has no domains");
        }

        if (version.Backends.Count == 0)
        {
            errors.Add($"Version {version.Number} has no backends");
        }

        var conditionNames = version.Conditions.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var reference in version.Objects.SelectMany(o => o.Fields
                     .Where(f => f.Key.EndsWith("condition", StringComparison.Ordinal) && !string.IsNullOrEmpty(f.Value))
                     .Select(f => (o, f.Value!))))
        {
            if (!conditionNames.Contains(reference.Item2))
            {
                errors.Add($"{reference.o.Kind} '{reference.o.Name}' refers to the unknown condition '{reference.Item2}'");
            }
        }

        return (errors, []);
    }

    // ACL entries: versionless, keyed by the ACL's id (which clones keep).

    public FastlyAclEntry AddAclEntry(string serviceId, string aclId, string ip, int? subnet, bool negated, string comment) =>
        MutateAcl(serviceId, aclId, (s, now) =>
        {
            var entry = new FastlyAclEntry(context.Ids.Next(IdGenerator.MixedAlnum, 22), aclId, ip, subnet, negated, comment, now, now);
            return (s with { AclEntries = s.AclEntries.Add(entry) }, entry);
        });

    public void DeleteAclEntry(string serviceId, string aclId, string entryId) =>
        MutateAcl(serviceId, aclId, (s, _) =>
        {
            var entry = s.AclEntries.FirstOrDefault(e => e.AclId == aclId && e.Id == entryId)
                ?? throw FastlyApiError.NotFound($"Cannot find ACL entry '{entryId}'");
            return (s with { AclEntries = s.AclEntries.Remove(entry) }, true);
        });

    public void BulkAclEntries(string serviceId, string aclId, IReadOnlyList<AclOperation> operations) =>
        MutateAcl(serviceId, aclId, (s, now) =>
        {
            var entries = s.AclEntries;
            foreach (var op in operations)
            {
                var existing = op.Id is null ? null : entries.FirstOrDefault(e => e.AclId == aclId && e.Id == op.Id);
                switch (op.Op)
                {
                    case "create":
                        entries = entries.Add(new FastlyAclEntry(context.Ids.Next(IdGenerator.MixedAlnum, 22), aclId,
                            op.Ip ?? throw FastlyApiError.BadRequest("ip is required"), op.Subnet, op.Negated ?? false, op.Comment ?? "", now, now));
                        break;
                    case "update" when existing is not null:
                        entries = entries.Replace(existing, existing with
                        {
                            Ip = op.Ip ?? existing.Ip, Subnet = op.Subnet ?? existing.Subnet,
                            Negated = op.Negated ?? existing.Negated, Comment = op.Comment ?? existing.Comment, UpdatedAt = now,
                        });
                        break;
                    case "delete" when existing is not null:
                        entries = entries.Remove(existing);
                        break;
                    case "update" or "delete":
                        throw FastlyApiError.NotFound($"Cannot find ACL entry '{op.Id}'");
                    default:
                        throw FastlyApiError.BadRequest($"Unknown op '{op.Op}'");
                }
            }

            return (s with { AclEntries = entries }, true);
        });

    public FastlyPurge RecordPurge(FastlyPurgeKind kind, string? serviceId, string target, bool soft, int objects)
    {
        var now = context.Now;
        var purge = new FastlyPurge($"{context.Ids.Next(IdGenerator.Digits, 3)}-{now.ToUnixTimeSeconds()}-{context.Ids.Next(IdGenerator.Digits, 6)}",
            kind, serviceId, target, soft, objects, now);
        lock (gate)
        {
            purges.Add(purge);
        }

        return purge;
    }

    private static void Apply(FastlyKind kind, Dictionary<string, string?> fields, IReadOnlyDictionary<string, string?> input)
    {
        foreach (var (key, raw) in input)
        {
            if (!kind.Knows(key))
            {
                continue; // Fastly ignores parameters an object does not have.
            }

            var value = raw;
            if (kind.Normalize(key, ref value) is { } problem)
            {
                throw FastlyApiError.BadRequest(problem);
            }

            fields[key] = value;
        }
    }

    private static FastlyVersion NewVersion(int number, DateTimeOffset now) =>
        new(number, false, false, false, "", now, now, [], ImmutableDictionary<string, string>.Empty
            .Add("general.default_ttl", "3600").Add("general.default_host", "")
            .Add("general.stale_if_error", "false").Add("general.stale_if_error_ttl", "43200"));

    private static FastlyVersion VersionOf(FastlyService service, int number) =>
        service.Version(number) ?? throw FastlyApiError.NotFound($"Cannot find version {number} of service '{service.Id}'");

    private static FastlyObject ObjectOf(FastlyVersion version, FastlyKind kind, string name) =>
        version.Find(kind.Path, name) ?? throw FastlyApiError.NotFound($"Cannot find {kind.Path} '{name}'");

    /// <summary>Fastly domain names are unique across every service (of every customer).</summary>
    private void EnsureDomainFree(string serviceId, string domain)
    {
        if (services.Any(s => s.Id != serviceId && s.Versions.Any(v => v.Find(FastlyKinds.Domain, domain) is not null)))
        {
            throw FastlyApiError.BadRequest($"Domain '{domain}' is already taken by another customer");
        }
    }

    private FastlyService Mutate(string serviceId, Func<FastlyService, FastlyService> change) =>
        MutateVersion(serviceId, s =>
        {
            var updated = change(s);
            return (updated, updated);
        });

    private T MutateVersion<T>(string serviceId, Func<FastlyService, (FastlyService Updated, T Result)> change)
    {
        lock (gate)
        {
            var index = services.FindIndex(s => s.Id == serviceId);
            if (index < 0)
            {
                throw FastlyApiError.NotFound($"Cannot find service '{serviceId}'");
            }

            var (updated, result) = change(services[index]);
            services[index] = updated with { UpdatedAt = context.Now };
            return result;
        }
    }

    private FastlyVersion ChangeVersion(string serviceId, int number, bool editable, Func<FastlyVersion, FastlyVersion> change) =>
        ChangeVersion(serviceId, number, editable, (_, v) => change(v));

    private FastlyVersion ChangeVersion(string serviceId, int number, bool editable, Func<FastlyService, FastlyVersion, FastlyVersion> change) =>
        MutateVersion(serviceId, s =>
        {
            var version = VersionOf(s, number);
            if (editable && (version.Locked || version.Active))
            {
                throw FastlyApiError.BadRequest($"Version {number} is locked and cannot be edited; clone it to make changes");
            }

            var changed = change(s, version) with { UpdatedAt = context.Now };
            return (s with { Versions = s.Versions.Replace(version, changed) }, changed);
        });

    private T MutateAcl<T>(string serviceId, string aclId, Func<FastlyService, DateTimeOffset, (FastlyService, T)> change) =>
        MutateVersion(serviceId, s =>
        {
            if (!s.Versions.Any(v => v.Acls.Any(a => a.Id == aclId)))
            {
                throw FastlyApiError.NotFound($"Cannot find ACL '{aclId}'");
            }

            return change(s, context.Now);
        });
}

internal sealed record AclOperation(string Op, string? Id, string? Ip, int? Subnet, bool? Negated, string? Comment);
