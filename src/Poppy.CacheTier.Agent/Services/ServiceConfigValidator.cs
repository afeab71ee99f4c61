using System.Net;
using System.Text.RegularExpressions;

namespace Poppy.CacheTier.Agent.Services;

/// <summary>
/// Checks a service document before anything of it reaches nginx. Every value that ends up in the configuration is held
/// to a narrow character set here, so the renderer never has to escape its way out of an injection.
/// </summary>
public static partial class ServiceConfigValidator
{
    public const int MaxDomains = 50;
    public const int MaxOrigins = 10;
    public const int MaxTtl = 31_536_000;
    public const int MaxRules = 100;
    public const int MaxUrlLength = 1024;

    public static bool IsServiceId(string id) => ServiceIdPattern().IsMatch(id);

    /// <summary>Field path (<c>origins[0].rules[1].request_url</c>) → messages; empty when the document is valid.</summary>
    public static Dictionary<string, string[]> Validate(string serviceId, ServiceConfig config)
    {
        var errors = new Dictionary<string, List<string>>();
        void Fail(string path, string message)
        {
            if (!errors.TryGetValue(path, out var list))
            {
                errors[path] = list = [];
            }
            list.Add(message);
        }

        if (!IsServiceId(serviceId))
        {
            Fail("service_id", "A service id is 1 to 128 letters, digits, '-' or '_', starting with a letter or digit.");
        }
        if (config.ServiceId is not null && config.ServiceId != serviceId)
        {
            Fail("service_id", $"The document is for '{config.ServiceId}' but was sent to '{serviceId}'.");
        }

        if (config.Domains.Count is < 1 or > MaxDomains)
        {
            Fail("domains", $"A service needs 1 to {MaxDomains} domains; {config.Domains.Count} given.");
        }
        var seenDomains = new HashSet<string>();
        for (var i = 0; i < config.Domains.Count; i++)
        {
            var domain = config.Domains[i].Domain;
            if (!IsHostName(domain))
            {
                Fail($"domains[{i}].domain", $"'{domain}' is not a lowercase host name.");
            }
            else if (!seenDomains.Add(domain))
            {
                Fail($"domains[{i}].domain", $"'{domain}' appears more than once.");
            }
        }

        if (config.Origins.Count is < 1 or > MaxOrigins)
        {
            Fail("origins", $"A service needs 1 to {MaxOrigins} origins; {config.Origins.Count} given.");
        }
        for (var i = 0; i < config.Origins.Count; i++)
        {
            var origin = config.Origins[i];
            var path = $"origins[{i}]";
            if (!IsHostName(origin.Origin) && !IPAddress.TryParse(origin.Origin, out _))
            {
                Fail($"{path}.origin", $"'{origin.Origin}' is not a host name or IP address.");
            }
            if (origin.Port is < 1 or > 65535)
            {
                Fail($"{path}.port", $"Port {origin.Port} is out of range.");
            }
            switch (origin.HostHeaderType)
            {
                case HostHeaderType.Custom when origin.HostHeaderValue is null || !HostHeaderPattern().IsMatch(origin.HostHeaderValue):
                    Fail($"{path}.host_header_value", "A custom host header needs a host name (optionally with :port).");
                    break;
                case not HostHeaderType.Custom when origin.HostHeaderValue is not null:
                    Fail($"{path}.host_header_value", "Only a custom host header takes a value.");
                    break;
            }
            ValidateRules(origin.Rules, $"{path}.rules", Fail);
        }

        for (var i = 0; i < config.Caching.Count; i++)
        {
            var rule = config.Caching[i];
            Name(rule.Name, $"caching[{i}].name", required: true, Fail);
            if (rule.Ttl is < 0 or > MaxTtl)
            {
                Fail($"caching[{i}].ttl", $"TTL {rule.Ttl} is out of range; use 0 to {MaxTtl} seconds.");
            }
            ValidateRules(rule.Rules, $"caching[{i}].rules", Fail);
        }

        for (var i = 0; i < config.Restrictions.Count; i++)
        {
            var restriction = config.Restrictions[i];
            var path = $"restrictions[{i}]";
            Name(restriction.Name, $"{path}.name", required: true, Fail);
            if (restriction.Rules.Count is < 1 or > MaxRules)
            {
                Fail($"{path}.rules", $"A restriction needs 1 to {MaxRules} rules.");
            }
            for (var r = 0; r < restriction.Rules.Count; r++)
            {
                var rule = restriction.Rules[r];
                var rulePath = $"{path}.rules[{r}]";
                Name(rule.Name, $"{rulePath}.name", required: false, Fail);
                RequestUrl(rule.RequestUrl, $"{rulePath}.request_url", Fail);
                var kinds = (rule.Referrer is null ? 0 : 1) + (rule.ClientIp is null ? 0 : 1) + (rule.Countries is null ? 0 : 1);
                if (kinds != 1)
                {
                    Fail(rulePath, "A restriction rule needs exactly one of referrer, client_ip or countries.");
                }
                else if (rule.Referrer is not null && !IsHostName(rule.Referrer))
                {
                    Fail($"{rulePath}.referrer", $"'{rule.Referrer}' is not a lowercase host name.");
                }
                else if (rule.ClientIp is not null && !IsClientIp(rule.ClientIp))
                {
                    Fail($"{rulePath}.client_ip", $"'{rule.ClientIp}' is not an IP address or network (10.0.0.0/8, 2001:db8::/32).");
                }
                else if (rule.Countries is not null && (rule.Countries.Count == 0 || rule.Countries.Any(c => !CountryPattern().IsMatch(c))))
                {
                    Fail($"{rulePath}.countries", "Give one or more ISO 3166 alpha-2 codes in capitals, such as US or CA.");
                }
            }
        }

        if (config.DefaultTtl is < 0 or > MaxTtl)
        {
            Fail("default_ttl", $"TTL {config.DefaultTtl} is out of range; use 0 to {MaxTtl} seconds.");
        }
        if (config.DefaultRootObject is { } root && (!RootObjectPattern().IsMatch(root) || root.Split('/').Any(s => s is "" or "." or "..")))
        {
            Fail("default_root_object", "Give an object path such as 'index.html': 1 to 255 letters, digits and - _ . ~ /, no leading '/'.");
        }
        if (config.Files is { } files)
        {
            AbsoluteHttpUrl(files.EdgeBaseUrl, "files.edge_base_url", Fail);
            AbsoluteHttpUrl(files.SourceBaseUrl, "files.source_base_url", Fail);
        }

        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray());
    }

    /// <summary>Lowercase letters, digits and inner hyphens, dot-separated (one label allowed).</summary>
    public static bool IsHostName(string? value) => value is { Length: >= 1 and <= 253 } && HostNamePattern().IsMatch(value);

    public static bool IsClientIp(string value) =>
        value.Contains('/') ? IPNetwork.TryParse(value, out _) : IPAddress.TryParse(value, out _);

    private static void ValidateRules(List<PathRule> rules, string path, Action<string, string> fail)
    {
        if (rules.Count > MaxRules)
        {
            fail(path, $"At most {MaxRules} rules.");
        }
        for (var r = 0; r < rules.Count; r++)
        {
            Name(rules[r].Name, $"{path}[{r}].name", required: false, fail);
            RequestUrl(rules[r].RequestUrl, $"{path}[{r}].request_url", fail);
        }
    }

    private static void RequestUrl(string value, string path, Action<string, string> fail)
    {
        if (value.Length is < 1 or > MaxUrlLength || !RequestUrlPattern().IsMatch(value) || BadEscape().IsMatch(value))
        {
            fail(path, $"'{value}' is not a request path pattern: start with '/' or '*', use letters, digits and - _ . * $ / ~ @ : + & = % , ; ! ( ), %XX escapes only.");
        }
    }

    private static void Name(string? value, string path, bool required, Action<string, string> fail)
    {
        if (value is null ? required : value.Length is < 1 or > 100 || value.Any(char.IsControl))
        {
            fail(path, "A name is 1 to 100 characters without control characters.");
        }
    }

    private static void AbsoluteHttpUrl(string? value, string path, Action<string, string> fail)
    {
        if (value is not null && !(Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Query.Length == 0 && uri.Fragment.Length == 0))
        {
            fail(path, $"'{value}' is not an absolute http or https URL without query.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")]
    private static partial Regex ServiceIdPattern();

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex HostNamePattern();

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$")]
    private static partial Regex HostHeaderPattern();

    [GeneratedRegex(@"^[/*][A-Za-z0-9_\-.*$/~@:+&=%,;!()]*$")]
    private static partial Regex RequestUrlPattern();

    [GeneratedRegex("%(?![0-9A-Fa-f]{2})")]
    private static partial Regex BadEscape();

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex CountryPattern();

    [GeneratedRegex("^[A-Za-z0-9_\\-.~][A-Za-z0-9_\\-.~/]{0,254}$")]
    private static partial Regex RootObjectPattern();
}
