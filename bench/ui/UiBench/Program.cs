// bench/ui: what a user of the Services page waits for, and what each open page costs the server.
//   usage: UiBench <base-url> <email> <password> <portal-pid> [samples]
// 1. first render: the prerendered /services answer (HttpClient with the browser's cookies, server + loopback time),
//    and in Chromium the time from navigation to the grid's first row (includes starting the circuit);
// 2. a grid page change inside the circuit: click "next page", wait until the first row changes;
// 3. memory: the portal's RSS with 0, 20 and 50 signed-in Chromium pages open on /services.
// Server time: the portal runs with Portal:Bench:Diagnostics=true, and /bench/diagnostics/timings hands over what it
// measured itself (ServicesPageMetrics: the grid's search, and its request to the end of the render batch with the rows;
// the HTTP server's duration of each prerendered /services), /bench/diagnostics/memory the managed heap after a full GC.
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

var baseUrl = args[0].TrimEnd('/');
var email = args[1];
var password = args[2];
var portalPid = int.Parse(args[3]);
var samples = args.Length > 4 ? int.Parse(args[4]) : 50;
const string FirstRow = ".mud-table-body tr:first-child";
const string NextPage = "button[aria-label='Next page']";
// Set by the circuit once its grid has loaded (RenderedProbe). The prerendered grid holds no services yet (the circuit
// loads them), so waiting for a first table row could be satisfied by a placeholder row before the circuit's rows.
const string CircuitRows = "[data-testid=grid-loaded]";

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new()
{
    ExecutablePath = "/usr/bin/chromium",
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

// Sign in once; every later page shares the cookie.
await using var signIn = await browser.NewContextAsync(new() { BaseURL = baseUrl });
var login = await signIn.NewPageAsync();
await login.GotoAsync("/account/login");
await login.Locator("#email").FillAsync(email);
await login.Locator("#password").FillAsync(password);
await login.Locator("form button[type=submit]").ClickAsync();
await login.WaitForURLAsync(baseUrl + "/");
var state = await signIn.StorageStateAsync();
var cookies = await signIn.CookiesAsync();

// 1a. The prerendered page over HTTP.
var jar = new CookieContainer();
foreach (var cookie in cookies)
{
    jar.Add(new Uri(baseUrl), new System.Net.Cookie(cookie.Name, cookie.Value, cookie.Path, cookie.Domain));
}
using var http = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false }) { BaseAddress = new Uri(baseUrl) };
using var diagnostics = new HttpClient { BaseAddress = new Uri(baseUrl) };
var prerender = new List<double>();
for (var i = 0; i < samples + 5; i++)
{
    if (i == 5)
    {
        await ServerTimingsAsync(); // forget the warm-up
    }
    var watch = Stopwatch.StartNew();
    using var response = await http.GetAsync("/services");
    var html = await response.Content.ReadAsStringAsync();
    if (i == 0)
    {
        Console.WriteLine($"  the prerendered /services holds {html.Split("data-service=").Length - 1} grid rows, {html.Length / 1024} KB of HTML");
    }
    if (response.StatusCode != HttpStatusCode.OK)
    {
        throw new InvalidOperationException($"/services answered {(int)response.StatusCode}");
    }
    if (i >= 5)
    {
        prerender.Add(watch.Elapsed.TotalMilliseconds);
    }
}

var prerenderServer = (await ServerTimingsAsync()).GetValueOrDefault("prerender./services", []);

// 1b. Navigation to the first row in Chromium, and 2. page changes in the circuit.
await using var timing = await browser.NewContextAsync(new() { BaseURL = baseUrl, StorageState = state });
var page = await timing.NewPageAsync();
var firstRows = new List<double>();
var pageChanges = new List<double>();
for (var i = 0; i < Math.Max(10, samples / 5) + 2; i++)
{
    if (i == 2)
    {
        await ServerTimingsAsync();
    }
    var watch = Stopwatch.StartNew();
    await page.GotoAsync("/services");
    await page.Locator(CircuitRows).WaitForAsync(new() { State = WaitForSelectorState.Attached });
    if (i >= 2)
    {
        firstRows.Add(watch.Elapsed.TotalMilliseconds);
    }
}
var firstServer = await ServerTimingsAsync();
// How the grid looks, for a check by eye (off unless asked for).
if (Environment.GetEnvironmentVariable("UIBENCH_SCREENSHOT") is { Length: > 0 } screenshot)
{
    await page.SetViewportSizeAsync(1400, 900);
    await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
}
for (var i = 0; i < samples; i++)
{
    var before = await page.Locator(FirstRow).InnerTextAsync();
    var watch = Stopwatch.StartNew();
    await page.Locator(NextPage).ClickAsync();
    await page.WaitForFunctionAsync(
        "([selector, before]) => { const row = document.querySelector(selector); return row && row.innerText !== before; }",
        new object[] { FirstRow, before });
    pageChanges.Add(watch.Elapsed.TotalMilliseconds);
}
var changeServer = await ServerTimingsAsync();
await page.CloseAsync();
await timing.CloseAsync();

// 3. Memory per open page (each is a circuit).
var rss = new SortedDictionary<int, double>();
var managed = new SortedDictionary<int, double>();
var rssAfterGc = new SortedDictionary<int, double>();
var open = new List<IBrowserContext>();
foreach (var target in new[] { 0, 20, 50 })
{
    while (open.Count < target)
    {
        var context = await browser.NewContextAsync(new() { BaseURL = baseUrl, StorageState = state });
        var circuitPage = await context.NewPageAsync();
        await circuitPage.GotoAsync("/services");
        await circuitPage.Locator(CircuitRows).WaitForAsync(new() { State = WaitForSelectorState.Attached });
        open.Add(context);
    }
    await Task.Delay(TimeSpan.FromSeconds(5));
    rss[target] = RssMegabytes(portalPid);
    var (anonymous, files) = (StatusMegabytes(portalPid, "RssAnon:"), StatusMegabytes(portalPid, "RssFile:"));
    // Which mappings hold the RSS, for `bench/ui/smaps.py` (a diagnosis aid, off unless asked for).
    if (Environment.GetEnvironmentVariable("UIBENCH_SMAPS_DIR") is { Length: > 0 } smaps)
    {
        File.Copy($"/proc/{portalPid}/smaps", Path.Combine(smaps, $"{target}-pages.smaps"), overwrite: true);
    }
    using var memory = JsonDocument.Parse(await diagnostics.GetStringAsync("/bench/diagnostics/memory"));
    double Megabytes(string bytesProperty) => memory.RootElement.GetProperty(bytesProperty).GetDouble() / 1024 / 1024;
    managed[target] = Megabytes("managedAfterGcBytes");
    rssAfterGc[target] = Megabytes("rssAfterGcBytes");
    if (target == 0)
    {
        Console.WriteLine($"  GC: server {memory.RootElement.GetProperty("serverGc")}, latency mode {memory.RootElement.GetProperty("gcLatencyMode")}");
    }
    Console.WriteLine($"  {target} pages: circuits open {memory.RootElement.GetProperty("activeCircuits")}, RSS {rss[target]:0} MB (anonymous {anonymous:0}, files {files:0}), managed heap after a full GC {managed[target]:0.0} MB (GC committed {Megabytes("gcCommittedBytes"):0} MB), SQLite's heap {Megabytes("sqliteHeapBytes"):0.0} MB (peak {Megabytes("sqliteHeapHighwaterBytes"):0.0}), RSS after it {rssAfterGc[target]:0} MB");
    // Where the heap goes, for a look with `dotnet-gcdump report` (a diagnosis aid, off unless asked for).
    if (Environment.GetEnvironmentVariable("UIBENCH_GCDUMP_DIR") is { Length: > 0 } dumps)
    {
        using var dump = Process.Start("dotnet-gcdump", ["collect", "-p", portalPid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", Path.Combine(dumps, $"{target}-pages.gcdump")]);
        await dump.WaitForExitAsync();
    }
}

const string Search = "poppy.ui.services.search.duration";
const string Server = "poppy.ui.services.server.duration";
Console.WriteLine("server time (measured in the portal; goal p95 <= 50 ms):");
Report("first render: /services prerendered (HTTP server duration)", prerenderServer);
Report("first render: the circuit's first grid page, request to render batch end", firstServer.GetValueOrDefault($"{Server}[first]", []));
Report("  of which the catalog's search", firstServer.GetValueOrDefault($"{Search}[first]", []));
Report("  further grid loads during those navigations", firstServer.GetValueOrDefault($"{Server}[change]", []));
Report("grid page change: request to render batch end", changeServer.GetValueOrDefault($"{Server}[change]", []));
Report("  of which the catalog's search", changeServer.GetValueOrDefault($"{Search}[change]", []));
Console.WriteLine("in the client (loopback + the browser's own work on the same cores):");
Report("/services prerendered over HTTP (HttpClient)", [.. prerender]);
Report("/services navigation to the circuit's first grid rows in Chromium", [.. firstRows]);
Report("grid page change in Chromium, click to new rows", [.. pageChanges]);
Console.WriteLine("memory:");
Console.WriteLine($"  portal RSS: 0 pages {rss[0]:0} MB, 20 pages {rss[20]:0} MB, 50 pages {rss[50]:0} MB; RSS with 50 pages {(rss[50] <= 300 ? "<=" : ">")} 300 MB (goal)");
Console.WriteLine($"  per open page (circuit), RSS: {(rss[50] - rss[0]) / 50 * 1024:0} KB (goal <= 1024 KB)");
Console.WriteLine($"  per open page (circuit), managed heap alive after a full GC: {(managed[50] - managed[0]) / 50 * 1024:0} KB");
foreach (var context in open)
{
    await context.CloseAsync();
}

async Task<Dictionary<string, double[]>> ServerTimingsAsync() =>
    await diagnostics.GetFromJsonAsync<Dictionary<string, double[]>>("/bench/diagnostics/timings")
        ?? throw new InvalidOperationException("no timings: is Portal:Bench:Diagnostics on?");

static void Report(string what, double[] values)
{
    var list = values.ToList();
    Console.WriteLine(list.Count == 0
        ? $"  {what}: no samples"
        : $"  {what} ({list.Count}): p50 {Percentile(list, 50):0.0} ms, p95 {Percentile(list, 95):0.0} ms");
}

static double Percentile(List<double> values, double percent)
{
    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(percent / 100 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}

static double RssMegabytes(int pid) => StatusMegabytes(pid, "VmRSS:");

static double StatusMegabytes(int pid, string field)
{
    var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
    return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
}
