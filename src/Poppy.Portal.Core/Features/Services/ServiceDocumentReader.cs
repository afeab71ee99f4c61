using System.Text.Json;
using Poppy.Portal.Core.Features.Validation;

namespace Poppy.Portal.Core.Features.Services;

/// <summary>
/// Reads Poppy's JSON service document into a <see cref="ServiceSpec"/>, strictly, as Poppy's JSON schema does: wrong
/// types (<c>"port": "80"</c>), unknown keys and missing required fields are errors naming the field. Range and
/// functional rules are left to <see cref="ServiceSpecValidator"/>.
/// </summary>
public sealed class ServiceDocumentReader
{
    private static readonly string[] TopLevelKeys = ["name", "flavor_id", "domains", "origins", "caching", "restrictions", "log_delivery", "delivery"];
    private readonly List<ValidationError> _errors = [];

    private ServiceDocumentReader()
    {
    }

    /// <summary>Returns the document, or null with the reasons in <paramref name="errors"/>.</summary>
    public static ServiceSpec? Read(JsonElement document, out List<ValidationError> errors)
    {
        var reader = new ServiceDocumentReader();
        var spec = reader.ReadService(document);
        errors = reader._errors;
        return errors.Count == 0 ? spec : null;
    }

    private ServiceSpec ReadService(JsonElement json)
    {
        var spec = new ServiceSpec();
        if (!IsObject(json, "", TopLevelKeys))
        {
            return spec;
        }
        spec.Name = String(json, "name", "", required: true) ?? "";
        spec.FlavorId = String(json, "flavor_id", "", required: true) ?? "";
        spec.Domains = List(json, "domains", "", required: true, ReadDomain);
        spec.Origins = List(json, "origins", "", required: true, ReadOrigin);
        spec.Caching = List(json, "caching", "", required: false, ReadCachingRule);
        spec.Restrictions = List(json, "restrictions", "", required: false, ReadRestriction);
        if (Property(json, "log_delivery", "", required: false) is { } logDelivery && IsObject(logDelivery, "log_delivery", ["enabled"]))
        {
            spec.LogDelivery.Enabled = Bool(logDelivery, "enabled", "log_delivery", required: true) ?? false;
        }
        if (Property(json, "delivery", "", required: false) is { } delivery)
        {
            ReadDelivery(delivery, spec.Delivery);
        }
        return spec;
    }

    private DomainSpec ReadDomain(JsonElement json, string path)
    {
        var domain = new DomainSpec();
        if (!IsObject(json, path, ["domain", "protocol", "certificate"]))
        {
            return domain;
        }
        domain.Domain = String(json, "domain", path, required: true) ?? "";
        domain.Protocol = Enum<DomainProtocol>(json, "protocol", path, ["http", "https"]) ?? DomainProtocol.Http;
        domain.Certificate = Enum<CertificateType>(json, "certificate", path, ["shared", "san", "sni", "custom"]);
        return domain;
    }

    private OriginSpec ReadOrigin(JsonElement json, string path)
    {
        var origin = new OriginSpec();
        if (!IsObject(json, path, ["origin", "port", "ssl", "rules", "hostheadertype", "hostheadervalue"]))
        {
            return origin;
        }
        origin.Origin = String(json, "origin", path, required: true) ?? "";
        origin.Port = Int(json, "port", path) ?? 80;
        origin.Ssl = Bool(json, "ssl", path, required: false) ?? false;
        origin.Rules = List(json, "rules", path, required: false, ReadRule);
        origin.HostHeaderType = Enum<HostHeaderType>(json, "hostheadertype", path, ["domain", "origin", "custom"]) ?? HostHeaderType.Domain;
        origin.HostHeaderValue = String(json, "hostheadervalue", path, required: false);
        return origin;
    }

    private RuleSpec ReadRule(JsonElement json, string path)
    {
        var rule = new RuleSpec();
        if (IsObject(json, path, ["name", "request_url"]))
        {
            rule.Name = String(json, "name", path, required: true) ?? "";
            rule.RequestUrl = String(json, "request_url", path, required: true) ?? "";
        }
        return rule;
    }

    private CachingRuleSpec ReadCachingRule(JsonElement json, string path)
    {
        var rule = new CachingRuleSpec();
        if (IsObject(json, path, ["name", "ttl", "rules"]))
        {
            rule.Name = String(json, "name", path, required: true) ?? "";
            rule.Ttl = Int(json, "ttl", path, required: true) ?? 0;
            rule.Rules = List(json, "rules", path, required: false, ReadRule);
        }
        return rule;
    }

    private RestrictionSpec ReadRestriction(JsonElement json, string path)
    {
        var restriction = new RestrictionSpec();
        // "type" is a legacy key Poppy accepts and ignores.
        if (IsObject(json, path, ["name", "access", "rules", "type"]))
        {
            restriction.Name = String(json, "name", path, required: true) ?? "";
            restriction.Access = Enum<RestrictionAccess>(json, "access", path, ["whitelist", "blacklist"]) ?? RestrictionAccess.Whitelist;
            restriction.Rules = List(json, "rules", path, required: true, ReadRestrictionRule);
        }
        return restriction;
    }

    private RestrictionRuleSpec ReadRestrictionRule(JsonElement json, string path)
    {
        var rule = new RestrictionRuleSpec();
        if (IsObject(json, path, ["name", "referrer", "geography", "client_ip", "request_url"]))
        {
            rule.Name = String(json, "name", path, required: false);
            rule.Referrer = String(json, "referrer", path, required: false);
            rule.Geography = String(json, "geography", path, required: false);
            rule.ClientIp = String(json, "client_ip", path, required: false);
            rule.RequestUrl = String(json, "request_url", path, required: false) ?? ServiceDefaults.EverythingUrl;
        }
        return rule;
    }

    private void ReadDelivery(JsonElement json, DeliverySettings delivery)
    {
        const string path = "delivery";
        if (!IsObject(json, path, ["viewer_protocol_policy", "origin_protocol_policy", "default_root_object", "forward_query_strings", "forward_cookies", "min_ttl", "default_ttl", "max_ttl"]))
        {
            return;
        }
        delivery.ViewerProtocolPolicy = Enum<ViewerProtocolPolicy>(json, "viewer_protocol_policy", path, ["allow-all", "redirect-to-https", "https-only"]) ?? delivery.ViewerProtocolPolicy;
        delivery.OriginProtocolPolicy = Enum<OriginProtocolPolicy>(json, "origin_protocol_policy", path, ["http-only", "match-viewer", "https-only"]) ?? delivery.OriginProtocolPolicy;
        delivery.DefaultRootObject = String(json, "default_root_object", path, required: false);
        delivery.ForwardQueryStrings = Bool(json, "forward_query_strings", path, required: false) ?? delivery.ForwardQueryStrings;
        delivery.ForwardCookies = Bool(json, "forward_cookies", path, required: false) ?? delivery.ForwardCookies;
        delivery.MinTtl = Int(json, "min_ttl", path) ?? delivery.MinTtl;
        delivery.DefaultTtl = Int(json, "default_ttl", path) ?? delivery.DefaultTtl;
        delivery.MaxTtl = Int(json, "max_ttl", path) ?? delivery.MaxTtl;
    }

    private bool IsObject(JsonElement json, string path, string[] allowedKeys)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            Fail(path, "Must be a JSON object.");
            return false;
        }
        foreach (var property in json.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException)
            {
                Fail(path, "A field name is not valid Unicode (it holds invalid UTF-8 or a lone surrogate).");
                continue;
            }
            if (!allowedKeys.Contains(name))
            {
                Fail(Join(path, name), $"Unknown field; allowed here: {string.Join(", ", allowedKeys)}.");
            }
        }
        return true;
    }

    private JsonElement? Property(JsonElement json, string name, string path, bool required)
    {
        if (json.TryGetProperty(name, out var value))
        {
            return value;
        }
        if (required)
        {
            Fail(Join(path, name), "Required.");
        }
        return null;
    }

    private string? String(JsonElement json, string name, string path, bool required)
    {
        var value = Property(json, name, path, required);
        if (value is null || (!required && value.Value.ValueKind == JsonValueKind.Null))
        {
            return null;
        }
        if (value.Value.ValueKind != JsonValueKind.String)
        {
            Fail(Join(path, name), "Must be a string.");
            return null;
        }
        try
        {
            return value.Value.GetString();
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 or an escaped lone surrogate: System.Text.Json parses it and throws only on reading.
            Fail(Join(path, name), "Must be valid Unicode text (it holds invalid UTF-8 or a lone surrogate).");
            return null;
        }
    }

    private bool? Bool(JsonElement json, string name, string path, bool required)
    {
        var value = Property(json, name, path, required);
        if (value is null)
        {
            return null;
        }
        if (value.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Fail(Join(path, name), "Must be true or false.");
            return null;
        }
        return value.Value.GetBoolean();
    }

    private int? Int(JsonElement json, string name, string path, bool required = false)
    {
        var value = Property(json, name, path, required);
        if (value is null)
        {
            return null;
        }
        if (value.Value.ValueKind != JsonValueKind.Number || !value.Value.TryGetInt32(out var number))
        {
            Fail(Join(path, name), "Must be a whole number.");
            return null;
        }
        return number;
    }

    private T? Enum<T>(JsonElement json, string name, string path, string[] names) where T : struct, System.Enum
    {
        var text = String(json, name, path, required: false);
        if (text is null)
        {
            return null;
        }
        var index = Array.IndexOf(names, text);
        if (index < 0)
        {
            Fail(Join(path, name), $"'{text}' is not one of: {string.Join(", ", names)}.");
            return null;
        }
        return System.Enum.GetValues<T>()[index];
    }

    private List<T> List<T>(JsonElement json, string name, string path, bool required, Func<JsonElement, string, T> readItem)
    {
        var value = Property(json, name, path, required);
        if (value is null)
        {
            return [];
        }
        var listPath = Join(path, name);
        if (value.Value.ValueKind != JsonValueKind.Array)
        {
            Fail(listPath, "Must be a JSON array.");
            return [];
        }
        return value.Value.EnumerateArray().Select((item, i) => readItem(item, $"{listPath}[{i}]")).ToList();
    }

    private void Fail(string path, string message) => _errors.Add(new ValidationError(path, message));

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
