using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.Akamai;

/// <summary>PAPI properties, edge hostnames, activations and the CCU purge log. Writers hold the lock.</summary>
internal sealed class AkamaiStore(SimulatorContext context)
{
    private const string EmptyRules = """{"name":"default","options":{},"criteria":[],"behaviors":[],"children":[]}""";

    private readonly Lock gate = new();
    private readonly List<AkamaiProperty> properties = [];
    private readonly List<AkamaiEdgeHostname> edgeHostnames = [];
    private readonly List<AkamaiActivation> activations = [];
    private readonly List<AkamaiPurge> purges = [];
    private int nextId = 100000;

    public IReadOnlyList<AkamaiProperty> Properties => Read(() => properties.ToList());

    public IReadOnlyList<AkamaiEdgeHostname> EdgeHostnames => Read(() => edgeHostnames.ToList());

    public IReadOnlyList<AkamaiActivation> Activations => Read(() => activations.ToList());

    public IReadOnlyList<AkamaiPurge> Purges => Read(() => purges.ToList());

    public AkamaiProperty Get(string propertyId) =>
        Read(() => properties.FirstOrDefault(p => p.PropertyId == Prefixed("prp_", propertyId)))
        ?? throw AkamaiProblem.NotFound($"The property {propertyId} does not exist or you do not have access to it.");

    public static string Prefixed(string prefix, string id) => id.StartsWith(prefix, StringComparison.Ordinal) ? id : prefix + id;

    public AkamaiProperty CreateProperty(string name, string productId, string ruleFormat, string contractId, string groupId)
    {
        lock (gate)
        {
            var id = NextId();
            var property = new AkamaiProperty("prp_" + id, name, contractId, groupId, productId, "aid_" + id,
                [new AkamaiPropertyVersion(1, NewETag(), ruleFormat, EmptyRules, [], "", context.Now)]);
            properties.Add(property);
            return property;
        }
    }

    public void DeleteProperty(string propertyId)
    {
        lock (gate)
        {
            var property = Get(propertyId);
            var now = context.Now;
            if (ActiveVersion(property.PropertyId, AkamaiNetworks.Production, now) is not null
                || ActiveVersion(property.PropertyId, AkamaiNetworks.Staging, now) is not null
                || activations.Any(a => a.PropertyId == property.PropertyId && !a.CompleteAt(now)))
            {
                throw new AkamaiProblem(StatusCodes.Status403Forbidden, "/papi/v0/property-active", "Property is active",
                    $"The property {property.PropertyId} is active or activating on a network. Deactivate it on both networks before deleting it.");
            }

            properties.Remove(property);
        }
    }

    public AkamaiPropertyVersion CreateVersion(string propertyId, int fromVersion, string? fromEtag) =>
        MutateProperty(propertyId, property =>
        {
            var source = VersionOf(property, fromVersion);
            if (fromEtag is not null && fromEtag != source.ETag)
            {
                throw new AkamaiProblem(StatusCodes.Status412PreconditionFailed, "/papi/v0/precondition-failed", "Precondition Failed",
                    $"The createFromVersionEtag does not match version {fromVersion}.");
            }

            var version = source with
            {
                PropertyVersion = property.LatestVersion.PropertyVersion + 1, ETag = NewETag(), Note = "", UpdatedDate = context.Now,
            };
            return (property with { Versions = property.Versions.Add(version) }, version);
        });

    public AkamaiPropertyVersion SetHostnames(string propertyId, int number, IReadOnlyList<AkamaiHostname> hostnames) =>
        EditVersion(propertyId, number, null, v => v with { Hostnames = [.. hostnames] });

    public AkamaiPropertyVersion SetRules(string propertyId, int number, string? ifMatch, JsonObject rules, string ruleFormat) =>
        EditVersion(propertyId, number, ifMatch, v => v with { RulesJson = rules.ToJsonString(), RuleFormat = ruleFormat });

    public AkamaiEdgeHostname CreateEdgeHostname(string prefix, string suffix, string productId, string ipVersion)
    {
        lock (gate)
        {
            if (edgeHostnames.Any(e => e.DomainPrefix == prefix && e.DomainSuffix == suffix))
            {
                throw AkamaiProblem.BadRequest($"The edge hostname {prefix}.{suffix} already exists.");
            }

            var edgeHostname = new AkamaiEdgeHostname("ehn_" + NextId(), prefix, suffix, productId, ipVersion);
            edgeHostnames.Add(edgeHostname);
            return edgeHostname;
        }
    }

    public AkamaiActivation Activate(string propertyId, int number, string network, string type, IReadOnlyList<string> emails)
    {
        lock (gate)
        {
            var property = Get(propertyId);
            VersionOf(property, number);
            var now = context.Now;
            if (activations.Any(a => a.PropertyId == property.PropertyId && a.Network == network && !a.CompleteAt(now)))
            {
                throw new AkamaiProblem(StatusCodes.Status422UnprocessableEntity, "/papi/v0/activation-pending", "Activation already pending",
                    $"An activation of {property.PropertyId} on {network} is still in progress.");
            }

            if (type == "DEACTIVATE" && ActiveVersion(property.PropertyId, network, now) != number)
            {
                throw new AkamaiProblem(StatusCodes.Status422UnprocessableEntity, "/papi/v0/activation/not-active", "Version not active",
                    $"Version {number} is not active on {network}.");
            }

            var activation = new AkamaiActivation("atv_" + NextId(), property.PropertyId, property.PropertyName, number, network, type,
                emails, now, now + context.Options.DeployDelay);
            activations.Add(activation);
            return activation;
        }
    }

    /// <summary>The version serving on a network: the latest completed activation there, unless it was a deactivation.</summary>
    public int? ActiveVersion(string propertyId, string network, DateTimeOffset now)
    {
        lock (gate)
        {
            var last = activations.Where(a => a.PropertyId == propertyId && a.Network == network && a.CompleteAt(now))
                .MaxBy(a => a.CompletesAt);
            return last is { IsDeactivation: false } ? last.PropertyVersion : null;
        }
    }

    public AkamaiPurge RecordPurge(string action, string type, string network, IReadOnlyList<string> objects, int purged)
    {
        var purge = new AkamaiPurge($"edcp-{context.Ids.Next(IdGenerator.MixedAlnum, 22)}", action, type, network, objects, purged, context.Now);
        lock (gate)
        {
            purges.Add(purge);
        }

        return purge;
    }

    /// <summary>A version that was ever submitted for activation is locked: PAPI wants a new version for changes.</summary>
    private AkamaiPropertyVersion EditVersion(string propertyId, int number, string? ifMatch, Func<AkamaiPropertyVersion, AkamaiPropertyVersion> change) =>
        MutateProperty(propertyId, property =>
        {
            var version = VersionOf(property, number);
            if (activations.Any(a => a.PropertyId == property.PropertyId && a.PropertyVersion == number))
            {
                throw new AkamaiProblem(StatusCodes.Status403Forbidden, "/papi/v0/property-version-not-editable", "Property version not editable",
                    $"Version {number} of {property.PropertyId} has been activated and can no longer be edited. Create a new version from it.");
            }

            if (!string.IsNullOrEmpty(ifMatch) && ifMatch.Trim('"') != version.ETag)
            {
                throw new AkamaiProblem(StatusCodes.Status412PreconditionFailed, "/papi/v0/precondition-failed", "Precondition Failed",
                    "The If-Match etag does not match the current version of the resource.");
            }

            var changed = change(version) with { ETag = NewETag(), UpdatedDate = context.Now };
            return (property with { Versions = property.Versions.Replace(version, changed) }, changed);
        });

    private T MutateProperty<T>(string propertyId, Func<AkamaiProperty, (AkamaiProperty, T)> change)
    {
        lock (gate)
        {
            var property = Get(propertyId);
            var (updated, result) = change(property);
            properties[properties.IndexOf(property)] = updated;
            return result;
        }
    }

    private static AkamaiPropertyVersion VersionOf(AkamaiProperty property, int number) =>
        property.Version(number) ?? throw AkamaiProblem.NotFound($"Version {number} of {property.PropertyId} does not exist.");

    private T Read<T>(Func<T> read)
    {
        lock (gate)
        {
            return read();
        }
    }

    private int NextId() => Interlocked.Increment(ref nextId);

    private string NewETag() => context.Ids.Next(IdGenerator.Hex, 40);
}
