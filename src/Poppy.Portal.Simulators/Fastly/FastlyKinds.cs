namespace Poppy.Portal.Simulators.Fastly;

/// <summary>The versioned object types the simulator keeps, with the fields Fastly documents for each.</summary>
public static class FastlyKinds
{
    public const string Domain = "domain";
    public const string Backend = "backend";
    public const string Condition = "condition";
    public const string CacheSettings = "cache_settings";
    public const string Header = "header";
    public const string ResponseObject = "response_object";
    public const string Acl = "acl";
    public const string Gzip = "gzip";
    public const string Healthcheck = "healthcheck";
    public const string RequestSettings = "request_settings";

    internal static readonly IReadOnlyDictionary<string, FastlyKind> All = new[]
    {
        new FastlyKind(Domain, "domains", ["name"], new() { ["comment"] = "" }),
        new FastlyKind(Backend, "backends", ["name", "address"], new()
            {
                ["port"] = "80", ["use_ssl"] = "false", ["override_host"] = null, ["ssl_cert_hostname"] = null,
                ["ssl_sni_hostname"] = null, ["ssl_check_cert"] = "true", ["connect_timeout"] = "1000",
                ["first_byte_timeout"] = "15000", ["between_bytes_timeout"] = "10000", ["healthcheck"] = null,
                ["shield"] = null, ["weight"] = "100", ["request_condition"] = "", ["auto_loadbalance"] = "false",
                ["max_conn"] = "200", ["hostname"] = null, ["comment"] = "",
            },
            IntFields: ["port", "connect_timeout", "first_byte_timeout", "between_bytes_timeout", "weight", "max_conn"],
            BoolFields: ["use_ssl", "ssl_check_cert", "auto_loadbalance"]),
        new FastlyKind(Condition, "conditions", ["name", "statement", "type"], new() { ["priority"] = "100", ["comment"] = "" },
            Enums: new() { ["type"] = ["REQUEST", "CACHE", "RESPONSE", "PREFETCH"] }),
        new FastlyKind(CacheSettings, "cache_settings", ["name"], new()
            {
                ["action"] = null, ["ttl"] = null, ["stale_ttl"] = null, ["cache_condition"] = "",
            },
            Enums: new() { ["action"] = ["pass", "cache", "restart"] }),
        new FastlyKind(Header, "headers", ["name", "type", "action"], new()
            {
                ["dst"] = null, ["src"] = null, ["regex"] = null, ["substitution"] = null, ["ignore_if_set"] = "0",
                ["priority"] = "100", ["request_condition"] = null, ["cache_condition"] = null, ["response_condition"] = null,
            },
            Enums: new() { ["type"] = ["request", "fetch", "cache", "response"], ["action"] = ["set", "append", "delete", "regex", "regex_repeat"] }),
        new FastlyKind(ResponseObject, "response_objects", ["name"], new()
            {
                ["status"] = "200", ["response"] = "Ok", ["content"] = "", ["content_type"] = "",
                ["request_condition"] = "", ["cache_condition"] = "",
            }),
        new FastlyKind(Acl, "acls", ["name"], new(), HasId: true),
        new FastlyKind(Gzip, "gzips", ["name"], new() { ["content_types"] = null, ["extensions"] = null, ["cache_condition"] = null }),
        new FastlyKind(Healthcheck, "healthchecks", ["name"], new()
            {
                ["host"] = null, ["path"] = "/", ["method"] = "HEAD", ["check_interval"] = "5000", ["threshold"] = "3",
                ["window"] = "5", ["expected_response"] = "200", ["timeout"] = "500",
            }),
        new FastlyKind(RequestSettings, "request_settings", ["name"], new()
            {
                ["action"] = null, ["force_ssl"] = null, ["bypass_busy_wait"] = null, ["request_condition"] = "",
            }),
    }.ToDictionary(k => k.Path, StringComparer.Ordinal);
}

internal sealed record FastlyKind(
    string Path,
    string Plural,
    string[] Required,
    Dictionary<string, string?> Defaults,
    string[]? IntFields = null,
    string[]? BoolFields = null,
    Dictionary<string, string[]>? Enums = null,
    bool HasId = false)
{
    public bool Knows(string field) => Required.Contains(field) || Defaults.ContainsKey(field);

    public bool IsInt(string field) => IntFields?.Contains(field) == true;

    public bool IsBool(string field) => BoolFields?.Contains(field) == true;

    /// <summary>Normalises a written value; returns an error detail when the value is not allowed.</summary>
    public string? Normalize(string field, ref string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (IsBool(field))
        {
            value = value is "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase) ? "true" : "false";
        }
        else if (IsInt(field) && value.Length > 0 && !int.TryParse(value, out _))
        {
            return $"Invalid {field}: '{value}' is not an integer";
        }
        else if (Enums?.GetValueOrDefault(field) is { } allowed && value.Length > 0)
        {
            var written = value;
            var match = allowed.FirstOrDefault(a => a.Equals(written, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                return $"Invalid {field}: '{value}' (expected one of {string.Join(", ", allowed)})";
            }

            value = match;
        }

        return null;
    }
}
