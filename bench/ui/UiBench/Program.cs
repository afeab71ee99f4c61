// bench/ui: what a user of the Services page waits for, and what each open page costs the server.
//   usage: UiBench <base-url> <email> <password> <portal-pid> [samples]
// 1. first render: the prerendered /services answer (HttpClient with the browser's cookies, server + loopback time),
//    and in Chromium the time from navigation to the grid's first row (includes starting the circuit);
// 2. a grid page change inside the circuit: click "next page", wait until the first row changes;
// 3. memory: the portal's RSS with 0, 20 and 50 signed-in Chromium pages open on /services.
using System.Diagnostics;
using System.Net;
using Microsoft.Playwright;

var baseUrl = args[0].TrimEnd('/');
var email = args[1];
var password = args[2];
var portalPid = int.Parse(args[3]);
var samples = args.Length > 4 ? int.Parse(args[4]) : 50;
const string FirstRow = ".mud-table-body tr:first-child";
const string NextPage = "button[aria-label='Next page']";

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
var prerender = new List<double>();
for (var i = 0; i < samples + 5; i++)
{
    var watch = Stopwatch.StartNew();
    using var response = await http.GetAsync("/services");
    await response.Content.ReadAsStringAsync();
    if (response.StatusCode != HttpStatusCode.OK)
    {
        throw new InvalidOperationException($"/services answered {(int)response.StatusCode}");
    }
    if (i >= 5)
    {
        prerender.Add(watch.Elapsed.TotalMilliseconds);
    }
}

// 1b. Navigation to the first row in Chromium, and 2. page changes in the circuit.
await using var timing = await browser.NewContextAsync(new() { BaseURL = baseUrl, StorageState = state });
var page = await timing.NewPageAsync();
var firstRows = new List<double>();
var pageChanges = new List<double>();
for (var i = 0; i < Math.Max(10, samples / 5) + 2; i++)
{
    var watch = Stopwatch.StartNew();
    await page.GotoAsync("/services");
    await page.Locator(FirstRow).WaitForAsync();
    if (i >= 2)
    {
        firstRows.Add(watch.Elapsed.TotalMilliseconds);
    }
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
await page.CloseAsync();
await timing.CloseAsync();

// 3. Memory per open page (each is a circuit).
var rss = new SortedDictionary<int, double>();
var open = new List<IBrowserContext>();
foreach (var target in new[] { 0, 20, 50 })
{
    while (open.Count < target)
    {
        var context = await browser.NewContextAsync(new() { BaseURL = baseUrl, StorageState = state });
        var circuitPage = await context.NewPageAsync();
        await circuitPage.GotoAsync("/services");
        await circuitPage.Locator(FirstRow).WaitForAsync();
        open.Add(context);
    }
    await Task.Delay(TimeSpan.FromSeconds(5));
    rss[target] = RssMegabytes(portalPid);
}

Console.WriteLine($"  /services prerendered over HTTP ({samples} requests): p50 {Percentile(prerender, 50):0.0} ms, p95 {Percentile(prerender, 95):0.0} ms");
Console.WriteLine($"  /services navigation to first grid row in Chromium ({firstRows.Count}): p50 {Percentile(firstRows, 50):0.0} ms, p95 {Percentile(firstRows, 95):0.0} ms");
Console.WriteLine($"  grid page change in the circuit, click to new rows ({samples}): p50 {Percentile(pageChanges, 50):0.0} ms, p95 {Percentile(pageChanges, 95):0.0} ms (goal p95 <= 50 ms)");
Console.WriteLine($"  portal RSS: 0 pages {rss[0]:0} MB, 20 pages {rss[20]:0} MB, 50 pages {rss[50]:0} MB");
var perCircuit = (rss[50] - rss[0]) / 50 * 1024;
Console.WriteLine($"  per open page (circuit): {perCircuit:0} KB (goal <= 1024 KB); RSS with 50 pages {(rss[50] <= 300 ? "<=" : ">")} 300 MB");
foreach (var context in open)
{
    await context.CloseAsync();
}

static double Percentile(List<double> values, double percent)
{
    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(percent / 100 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}

static double RssMegabytes(int pid)
{
    var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
}
