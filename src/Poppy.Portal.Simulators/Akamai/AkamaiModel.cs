using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Poppy.Portal.Simulators.Akamai;

public static class AkamaiNetworks
{
    public const string Staging = "STAGING";
    public const string Production = "PRODUCTION";
}

public sealed record AkamaiProperty(
    string PropertyId,
    string PropertyName,
    string ContractId,
    string GroupId,
    string ProductId,
    string AssetId,
    ImmutableList<AkamaiPropertyVersion> Versions)
{
    public AkamaiPropertyVersion LatestVersion => Versions[^1];

    public AkamaiPropertyVersion? Version(int number) => Versions.FirstOrDefault(v => v.PropertyVersion == number);
}

/// <param name="RulesJson">The rule tree as last written (<c>{"name":"default",…}</c>).</param>
public sealed record AkamaiPropertyVersion(
    int PropertyVersion,
    string ETag,
    string RuleFormat,
    string RulesJson,
    ImmutableList<AkamaiHostname> Hostnames,
    string Note,
    DateTimeOffset UpdatedDate)
{
    public JsonObject Rules => JsonNode.Parse(RulesJson)!.AsObject();
}

public sealed record AkamaiHostname(string CnameType, string CnameFrom, string CnameTo, string? EdgeHostnameId, string CertProvisioningType);

public sealed record AkamaiEdgeHostname(
    string EdgeHostnameId,
    string DomainPrefix,
    string DomainSuffix,
    string ProductId,
    string IpVersionBehavior)
{
    public string Domain => $"{DomainPrefix}.{DomainSuffix}";
}

/// <summary>An activation or deactivation of one property version on one network.</summary>
public sealed record AkamaiActivation(
    string ActivationId,
    string PropertyId,
    string PropertyName,
    int PropertyVersion,
    string Network,
    string ActivationType,
    IReadOnlyList<string> NotifyEmails,
    DateTimeOffset SubmitDate,
    DateTimeOffset CompletesAt)
{
    public bool IsDeactivation => ActivationType == "DEACTIVATE";

    public bool CompleteAt(DateTimeOffset now) => now >= CompletesAt;

    /// <summary>Activations walk PENDING → ZONE_1 → ZONE_2 → ZONE_3 → ACTIVE; deactivations PENDING_DEACTIVATION → DEACTIVATED.</summary>
    public string StatusAt(DateTimeOffset now)
    {
        if (IsDeactivation)
        {
            return CompleteAt(now) ? "DEACTIVATED" : "PENDING_DEACTIVATION";
        }

        if (CompleteAt(now))
        {
            return "ACTIVE";
        }

        var share = (now - SubmitDate) / (CompletesAt - SubmitDate);
        return share switch
        {
            < 0.25 => "PENDING",
            < 0.5 => "ZONE_1",
            < 0.75 => "ZONE_2",
            _ => "ZONE_3",
        };
    }
}

public sealed record AkamaiPurge(
    string PurgeId,
    string Action,
    string Type,
    string Network,
    IReadOnlyList<string> Objects,
    int ObjectsPurged,
    DateTimeOffset At);
