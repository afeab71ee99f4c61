using Microsoft.Playwright;
using Xunit;

namespace Poppy.Portal.E2E.Tests.Infrastructure;

/// <summary>
/// One headless Debian Chromium for the whole collection, driven by Playwright. Playwright's own browser download
/// (<c>playwright install</c>) is never used: CI installs the distribution's package (<c>apt-get install -y chromium</c>).
/// </summary>
public sealed class ChromiumBrowser : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    private IPlaywright? playwright;
    private IBrowser? browser;

    public IBrowser Browser => browser ?? throw new InvalidOperationException("Chromium is not running.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            // A failure, not a skip: these tests are part of CI, which installs Chromium.
            throw new InvalidOperationException(
                $"Chromium was not found at {ExecutablePath}. The browser tests use Debian's Chromium: install it with " +
                "`apt-get install -y chromium` (.ci/run does this). Do not run `playwright install`.");
        }

        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
            Timeout = 60_000,
        });
        // Web-first assertions (Expect(...)) retry up to this long.
        Assertions.SetDefaultExpectTimeout(10_000);
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
            browser = null;
        }
        playwright?.Dispose();
        playwright = null;
    }
}
