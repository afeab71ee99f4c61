using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core;
using Poppy.Portal.Core.Features.Benchmarks;

// Usage: PageBench <portal base URL> <token> <project> <SQLite file> <services> <days> <samples> [<portal pid>]
// 1. Seeds: four provider accounts (written to SQLite: accounts have no API) and a flavor with all four, <services>
//    services through POST /v1.0/services, then <days> days of hourly rollups and the last hour's minute rollups per
//    service and provider written straight into BenchmarkRollups as RollupBuilder shapes them (counts, per-bucket
//    percentiles, an HdrHistogram of that bucket's probes drawn from the provider's latency profile, LatencyHistogram.Encode).
//    Then the portal's own RollupBuilder runs once, as after an upgrade: it folds those per-service rollups into the
//    project rollups the board reads (timed and reported).
// 2. Times, sequentially over loopback from request sent to the last byte, <samples> requests each (after three warm-ups):
//    the board page (/benchmarks, 1 h default, and ?window=7d / 30d), a service's page (?window=30d&service=ID: board
//    plus the service's chart), and the API's GET /v1.0/services/{id}/benchmarks?window=30d (the chart data, as JSON).
var (portalUrl, token, project, dbPath) = (args[0], args[1], args[2], args[3]);
var (serviceCount, days, samples) = (int.Parse(args[4]), int.Parse(args[5]), int.Parse(args[6]));
// The portal's own CPU time per request (user + system, from /proc): on a machine shared with other builds, wall time
// mostly measures the wait for a core; CPU time says what a request costs.
var portalPid = args.Length > 7 ? int.Parse(args[7]) : 0;
double PortalCpuMs()
{
    if (portalPid == 0)
    {
        return double.NaN;
    }
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th (clock ticks, 100 a second).
    var stat = File.ReadAllText($"/proc/{portalPid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11]) + long.Parse(fields[12])) * 10.0;
}
var http = new HttpClient { BaseAddress = new Uri(portalUrl), Timeout = TimeSpan.FromMinutes(5) };
http.DefaultRequestHeaders.Add("X-Auth-Token", token);
http.DefaultRequestHeaders.Add("X-Project-ID", project);
var clock = Stopwatch.StartNew();
void Log(string text) => Console.Error.WriteLine($"[{clock.Elapsed:mm\\:ss}] {text}");

var providers = new (string Name, string Kind, int BaseMs, int JitterMs)[]
{
    ("bench-fastly", "Fastly", 12, 6), ("bench-cloudfront", "CloudFront", 18, 10), ("bench-akamai", "Akamai", 15, 8), ("bench-maxcdn", "MaxCdn", 35, 25),
};
var accountIds = providers.Select(_ => Guid.NewGuid()).ToArray();
await using (var db = Open())
{
    foreach (var (p, i) in providers.Select((p, i) => (p, i)))
    {
        Execute(db, "INSERT INTO ProviderAccounts (Id, Name, Kind, ApiEndpoint, ProtectedCredentials, CredentialsHint, IsEnabled, CreatedAt, UpdatedAt) "
            + "VALUES ($id, $name, $kind, 'http://127.0.0.1:9/', '', '', 1, 0, 0)", ("$id", accountIds[i].ToString().ToUpperInvariant()), ("$name", p.Name), ("$kind", p.Kind));
    }
}
// The project's service limit is raised by run.sh (Portal:Services:DefaultServiceLimit).
(await http.PostAsJsonAsync("/v1.0/flavors", new JsonObject
{
    ["id"] = "bench4",
    ["providers"] = new JsonArray(providers.Select(p => (JsonNode)new JsonObject
    {
        ["provider"] = p.Name, ["links"] = new JsonArray(new JsonObject { ["href"] = "www.example.com", ["rel"] = "provider_url" }),
    }).ToArray()),
})).EnsureSuccessStatusCode();

var ids = new Guid[serviceCount];
var next = -1;
await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
{
    for (int i; (i = Interlocked.Increment(ref next)) < serviceCount;)
    {
        using var created = await http.PostAsJsonAsync("/v1.0/services", new JsonObject
        {
            ["name"] = $"site-{i:0000}",
            ["flavor_id"] = "bench4",
            ["domains"] = new JsonArray(new JsonObject { ["domain"] = $"www.site{i}.bench-example.com", ["protocol"] = "http" }),
            ["origins"] = new JsonArray(new JsonObject { ["origin"] = $"origin{i}.bench-example.net", ["port"] = 80, ["ssl"] = false }),
        });
        if (!created.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"create answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        }
        ids[i] = Guid.Parse(created.Headers.Location!.Segments[^1]);
    }
}));
Log($"{serviceCount} services created");

// 64 histograms per provider and resolution (an hour of probes every 10 s: 360; a minute: 6), reused at random:
// encoding 2.9 M would only time this.
var random = new Random(1);
LatencyHistogram[][] Shapes(int probes) => providers.Select(p => Enumerable.Range(0, 64).Select(_ =>
{
    var h = new LatencyHistogram();
    for (var n = 0; n < probes; n++)
    {
        h.Record(p.BaseMs + random.NextDouble() * p.JitterMs + (random.NextDouble() < 0.02 ? random.NextDouble() * 300 : 0));
    }
    return h;
}).ToArray()).ToArray();
var shapes = Shapes(360);
var minuteShapes = Shapes(6);
var toBinary = new DateTimeOffsetToBinaryConverter();
long Stored(DateTimeOffset at) => (long)toBinary.ConvertToProvider(at)!;
// One reading of the clock for the whole seed, so the hourly and the minute rollups end at the same moment.
var seededAt = TimeProvider.System.GetUtcNow();
var until = RollupBuilder.Floor(seededAt, TimeSpan.FromHours(1));
var hours = days * 24;
await using (var db = Open())
{
    Execute(db, "PRAGMA journal_mode=WAL");
    using var transaction = db.BeginTransaction();
    using var insert = db.CreateCommand();
    insert.CommandText = "INSERT INTO BenchmarkRollups (ServiceId, ProviderAccountId, ProviderName, Resolution, BucketStart, Count, Errors, Skipped, CacheHits, P50Ms, P95Ms, P99Ms, MeanMs, Histogram) "
        + "VALUES ($s, $a, $n, $r, $b, $count, $e, 0, $c, $p50, $p95, $p99, $mean, $h)";
    var parameters = new[] { "$s", "$a", "$n", "$r", "$b", "$count", "$e", "$c", "$p50", "$p95", "$p99", "$mean", "$h" }
        .ToDictionary(n => n, n => insert.Parameters.Add(new SqliteParameter { ParameterName = n }));
    var encoded = shapes.Select(set => set.Select(h => (Blob: h.Encode(), P50: h.Percentile(50), P95: h.Percentile(95), P99: h.Percentile(99), h.Mean)).ToArray()).ToArray();
    var minuteEncoded = minuteShapes.Select(set => set.Select(h => (Blob: h.Encode(), P50: h.Percentile(50), P95: h.Percentile(95), P99: h.Percentile(99), h.Mean)).ToArray()).ToArray();
    var minuteUntil = RollupBuilder.Floor(seededAt, TimeSpan.FromMinutes(1));
    var rows = 0L;
    foreach (var service in ids)
    {
        parameters["$s"].Value = service.ToString().ToUpperInvariant();
        for (var p = 0; p < providers.Length; p++)
        {
            parameters["$a"].Value = accountIds[p].ToString().ToUpperInvariant();
            parameters["$n"].Value = providers[p].Name;
            foreach (var (resolution, count, buckets, size, end, set) in new[]
            {
                ("Hour", 360, hours, TimeSpan.FromHours(1), until, encoded[p]),
                ("Minute", 6, 61, TimeSpan.FromMinutes(1), minuteUntil, minuteEncoded[p]),
            })
            {
                parameters["$r"].Value = resolution;
                parameters["$count"].Value = count;
                for (var bucket = 1; bucket <= buckets; bucket++)
                {
                    var shape = set[random.Next(64)];
                    parameters["$b"].Value = Stored(end - size * bucket);
                    parameters["$e"].Value = random.Next(count / 120 + 2);
                    parameters["$c"].Value = count - count / 6 + random.Next(count / 6);
                    parameters["$p50"].Value = shape.P50;
                    parameters["$p95"].Value = shape.P95;
                    parameters["$p99"].Value = shape.P99;
                    parameters["$mean"].Value = shape.Mean;
                    parameters["$h"].Value = shape.Blob;
                    insert.ExecuteNonQuery();
                    rows++;
                }
            }
        }
    }
    transaction.Commit();
    Log($"{rows:N0} rollups written ({days} days hourly and the last hour by minute x {serviceCount} services x {providers.Length} providers)");
}

// The portal's RollupBuilder, as its job runs it after an upgrade: no samples to roll up, so it folds the per-service
// rollups into project rollups (newest first, a chunk a transaction).
var portalServices = new ServiceCollection();
portalServices.AddLogging();
portalServices.AddPortalCore(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Database:Provider"] = "Sqlite",
    ["Database:ConnectionString"] = $"Data Source={dbPath}",
    ["Portal:Jobs:Enabled"] = "false",
}).Build(), AppContext.BaseDirectory);
await using (var portal = portalServices.BuildServiceProvider())
{
    var fold = Stopwatch.StartNew();
    var result = await portal.GetRequiredService<RollupBuilder>().RunAsync(default);
    Log($"RollupBuilder folded the per-service rollups into {result.ProjectBucketsFolded:N0} project rollups in {fold.Elapsed.TotalSeconds:0.0} s "
        + $"(load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}; retention removed {result.RollupsDeleted:N0} rollups older than 30 days)");
}
await using (var db = Open())
{
    using var size = db.CreateCommand();
    size.CommandText = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";
    Log($"database: {(long)size.ExecuteScalar()! / 1e6:0} MB");
}

var service0 = ids[serviceCount / 2];
Console.WriteLine($"pages: {serviceCount} services x {providers.Length} providers x {days} days of hourly rollups ({(long)serviceCount * providers.Length * hours:N0} rows) and an hour by minute, "
    + $"{samples} sequential requests each after three warm-up requests (3 when they take over 10 s), request sent to last byte on loopback");
var failed = false;
foreach (var (label, path, html) in new[]
{
    ("board, 1 h (default)", "/benchmarks", true),
    ("board, 7 d", "/benchmarks?window=7d", true),
    ("board, 30 d", "/benchmarks?window=30d", true),
    ("service page, 30 d (board + chart)", $"/benchmarks?window=30d&service={service0}", true),
    ("API chart data, 30 d", $"/v1.0/services/{service0}/benchmarks?window=30d", false),
    ("API chart data, 7 d", $"/v1.0/services/{service0}/benchmarks?window=7d", false),
})
{
    var times = new List<double>();
    var cpuBefore = double.NaN;
    // Three warm-up requests: the first pages after start run code the JIT has not optimised yet.
    const int warmUps = 3;
    for (var n = 0; n < samples + warmUps; n++)
    {
        if (n == warmUps)
        {
            cpuBefore = PortalCpuMs();
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Accept", html ? "text/html" : "application/json");
        var watch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var ms = watch.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {body[..Math.Min(300, body.Length)]}");
        }
        if (n == 0 && html && !body.Contains("bench-maxcdn"))
        {
            throw new InvalidOperationException($"{path} does not show the providers: {body[..Math.Min(400, body.Length)]}");
        }
        if (n >= warmUps)
        {
            times.Add(ms);
        }
        // Slow pages: fewer samples (at least 3), or the run would take an hour.
        if (times.Count >= 3 && times.Sum() > 30_000)
        {
            break;
        }
    }
    var cpuPerRequest = (PortalCpuMs() - cpuBefore) / times.Count;
    times.Sort();
    var p95 = times[Math.Clamp((int)Math.Ceiling(0.95 * times.Count) - 1, 0, times.Count - 1)];
    failed |= p95 > 150;
    Console.WriteLine($"  {label,-36} n={times.Count,3} p50 {times[times.Count / 2],7:0.0} ms  p95 {p95,7:0.0} ms  max {times[^1],7:0.0} ms  "
        + $"portal CPU {cpuPerRequest,6:0.0} ms/request  load {File.ReadAllText("/proc/loadavg").Split(' ')[0],5}  (goal p95 <= 150 ms: {(p95 <= 150 ? "met" : "NOT met")})  {path}");
}
return failed ? 3 : 0;

SqliteConnection Open()
{
    var connection = new SqliteConnection($"Data Source={dbPath}");
    connection.Open();
    return connection;
}

static void Execute(SqliteConnection db, string sql, params (string Name, object Value)[] values)
{
    using var command = db.CreateCommand();
    command.CommandText = sql;
    foreach (var (name, value) in values)
    {
        command.Parameters.AddWithValue(name, value);
    }
    command.ExecuteNonQuery();
}
