using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Poppy.Portal.E2E.Tests.Infrastructure;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Poppy.Portal.E2E.Tests;

public sealed partial class PortalBrowserTests
{
    /// <summary>
    /// The provider account form: the kind select swaps the credential inputs in place (no page load), saving shows the
    /// masked hint (never the secret) and the connection test's outcome. Then a flavor with provider rows added and
    /// removed in the flavor form.
    /// </summary>
    [Fact]
    public Task ProviderAccountAndFlavor_FormsChangeInPlace() => RunAsync(nameof(ProviderAccountAndFlavor_FormsChangeInPlace), async (_, page, _) =>
    {
        const string account = "e2e-fastly-two";
        const string secret = "e2e-secret-token-9f3c";
        const string flavor = "e2e-two-providers";
        await SignInAsync(page);

        await page.GotoAsync("/providers/new");
        await WaitForCircuitAsync(page);
        await page.EvaluateAsync("() => { window.e2eNotReloaded = true; }");
        var fields = page.GetByTestId("credential-fields");
        await Expect(fields).ToHaveAttributeAsync("data-kind", "Akamai");
        await Expect(fields.Locator("[data-credential]")).ToHaveCountAsync(3);
        await Expect(fields.Locator("[data-credential=client_secret] input")).ToHaveAttributeAsync("type", "password");

        await SelectAsync(page, page.GetByTestId("account-kind"), "Fastly");
        await Expect(fields).ToHaveAttributeAsync("data-kind", "Fastly");
        await Expect(fields.Locator("[data-credential]")).ToHaveCountAsync(1);
        await Expect(fields.Locator("[data-credential=client_token]")).ToHaveCountAsync(0);
        await SelectAsync(page, page.GetByTestId("account-kind"), "Amazon CloudFront");
        await Expect(fields.Locator("[data-credential=region] input")).ToHaveValueAsync("us-east-1");
        await SelectAsync(page, page.GetByTestId("account-kind"), "Fastly");
        await Expect(fields.Locator("[data-credential=api_key] input")).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "Changing the kind reloaded the page instead of swapping the fields.");

        // An empty form first: the messages appear at the fields.
        await page.GetByTestId("save-account").ClickAsync();
        await Expect(Snackbar(page, "The account was not saved: see the marked fields.")).ToBeVisibleAsync();
        await ExpectFieldErrorAsync(page.GetByTestId("account-name"));
        await ExpectFieldErrorAsync(fields.Locator("[data-credential=api_key] input"));

        await page.GetByTestId("account-name").FillAsync(account);
        // Port 9 (discard) refuses the connection: the test outcome is a failure, the account is saved anyway.
        await page.GetByTestId("account-endpoint").FillAsync("http://127.0.0.1:9/");
        await fields.Locator("[data-credential=api_key] input").FillAsync(secret);
        await page.GetByTestId("save-account").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex(@"/providers/[0-9a-f-]{36}$"));
        await Expect(Snackbar(page, $"Provider account {account} was created. Connection test failed:")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("last-connection-test")).ToContainTextAsync("Connection refused");
        // The outcome of the test run on create stays shown above the form at the account's own address.
        await Expect(page.GetByTestId("connection-test")).ToHaveAttributeAsync("data-outcome", "failed");
        await Expect(page.GetByTestId("connection-test")).ToContainTextAsync("Connection test failed");
        await Expect(page.GetByTestId("credentials-hint")).ToHaveTextAsync("api_key ••••" + secret[^4..]);
        await Expect(page.Locator("body")).Not.ToContainTextAsync(secret);
        await Expect(fields.Locator("[data-credential=api_key] input")).ToHaveValueAsync("");
        Assert.True(await page.EvaluateAsync<bool>("() => window.e2eNotReloaded === true"), "Saving reloaded the page.");
        // Saved again unchanged (the empty secret keeps the stored one): the outcome of the test run with it shows above the form.
        await page.GetByTestId("save-account").ClickAsync();
        await Expect(page.GetByTestId("connection-test")).ToHaveAttributeAsync("data-outcome", "failed", new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("connection-test")).ToContainTextAsync("Connection test failed");
        await Expect(page.GetByTestId("credentials-hint")).ToHaveTextAsync("api_key ••••" + secret[^4..]);
        await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("provider-account.png"), FullPage = true });

        // The list shows it with its hint.
        await page.GotoAsync("/providers");
        await WaitForCircuitAsync(page);
        await Expect(page.Locator("body")).ToContainTextAsync(account);

        // ---- a flavor of the two accounts: rows added, one removed ----
        await page.GotoAsync("/admin/flavors");
        await WaitForCircuitAsync(page);
        await ClickUntilVisibleAsync(page.GetByTestId("new-flavor"), page.GetByTestId("flavor-form"));
        var form = page.GetByTestId("flavor-form");
        var rows = form.GetByTestId("provider-row");
        await Expect(rows).ToHaveCountAsync(1);
        await form.GetByTestId("flavor-id").FillAsync(flavor);
        await SelectAsync(page, rows.Nth(0).GetByTestId("provider-account"), PortalSeed.ProviderAccount);
        await rows.Nth(0).GetByTestId("provider-url").FillAsync("www.fastly.com");
        await form.GetByTestId("add-row").ClickAsync();
        await Expect(rows).ToHaveCountAsync(2);
        await SelectAsync(page, rows.Nth(1).GetByTestId("provider-account"), account);
        await rows.Nth(1).GetByTestId("provider-url").FillAsync("api.fastly.com");
        await form.GetByTestId("add-row").ClickAsync();
        await Expect(rows).ToHaveCountAsync(3);
        await rows.Nth(2).GetByTestId("remove-row").ClickAsync();
        await Expect(rows).ToHaveCountAsync(2);
        // What was typed survives the row changes.
        await Expect(rows.Nth(0).GetByTestId("provider-url")).ToHaveValueAsync("www.fastly.com");
        await page.ScreenshotAsync(new() { Path = RepositoryPaths.Artifact("flavor-form.png"), FullPage = true });
        await form.GetByTestId("save-flavor").ClickAsync();

        await Expect(page.GetByTestId("flavor-form")).ToHaveCountAsync(0);
        await Expect(Snackbar(page, $"Flavor {flavor} was created.")).ToBeVisibleAsync();
        var row = page.GetByTestId("flavors-table").Locator("tr").Filter(new() { Has = page.Locator($"[data-flavor='{flavor}']") });
        await Expect(row.GetByTestId("flavor-provider")).ToHaveCountAsync(2);
        await Expect(row.GetByTestId("flavor-provider").Nth(0)).ToContainTextAsync(PortalSeed.ProviderAccount);
        await Expect(row.GetByTestId("flavor-provider").Nth(1)).ToContainTextAsync(account);
    });
}
