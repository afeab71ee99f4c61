using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.TestSupport;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Tests.Hosting;

public sealed class HostingTests : PortalTest
{

    [Fact]
    public async Task Healthz_reports_the_database_without_sign_in()
    {
        using var client = Portal.CreatePortalClient();

        using var response = await client.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Healthz_fails_when_the_database_is_unreachable()
    {
        using var folder = new TempDirectory("poppy-unhealthy");
        await using var broken = new PortalFactory(folder.Path);
        using var client = broken.CreatePortalClient();
        (await client.Http.GetAsync("/healthz")).Dispose();
        File.Delete(Path.Combine(folder.Path, "portal.db"));
        Directory.CreateDirectory(Path.Combine(folder.Path, "portal.db")); // a folder where the file was: SQLite cannot open it
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        using var response = await client.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Pages_carry_security_headers_and_no_inline_script()
    {
        using var client = Portal.CreatePortalClient();

        using var response = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/account/login") { Headers = { { "Accept", "text/html" } } });
        var html = await response.Content.ReadAsStringAsync();
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();

        Assert.Contains("script-src 'self';", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        var scripts = PortalClient.Parse(html).Scripts;
        Assert.NotEmpty(scripts);
        Assert.All(scripts, script => Assert.False(string.IsNullOrEmpty(script.Source), "inline <script> found"));
    }

    [Fact]
    public async Task Every_form_carries_an_antiforgery_token()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        // The statically rendered forms post over HTTP (the interactive pages' forms submit through their circuit).
        foreach (var path in new[] { "/account/password" })
        {
            var page = await admin.GetPageAsync(path);
            Assert.NotEmpty(page.Forms);
            Assert.All(page.Forms, form => Assert.NotNull(form.QuerySelector("input[name=__RequestVerificationToken]")));
        }
    }

    [Fact]
    public async Task Errors_are_problem_details_for_data_requests_and_a_page_for_browsers()
    {
        using var admin = await Portal.CreateAdminClientAsync();

        using var data = await admin.Http.GetAsync("/no/such/data");
        using var page = await admin.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/no/such/page") { Headers = { { "Accept", "text/html" } } });

        Assert.Equal(HttpStatusCode.NotFound, data.StatusCode);
        Assert.Equal("application/problem+json", data.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await data.Content.ReadAsStringAsync());
        Assert.Equal(404, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("Page not found", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_restart_keeps_people_signed_in_because_keys_live_in_the_database()
    {
        using var client = Portal.CreatePortalClient();
        await client.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        using var signedIn = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "Accept", "text/html" } } });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        var authCookie = await AuthCookieAsync(Portal);

        await using var restarted = new PortalFactory(Portal.DataFolder);
        using var second = restarted.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { { "Accept", "text/html" }, { "Cookie", authCookie } } };
        using var response = await second.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var scope = restarted.Services.CreateAsyncScope(Actor.System());
        Assert.NotEmpty(await scope.ServiceProvider.GetRequiredService<PortalDbContext>().DataProtectionKeys.ToListAsync());
    }

    [Fact]
    public void Local_urls_are_told_apart_from_other_sites()
    {
        Assert.True(LocalUrl.IsLocal("/services?x=1"));
        Assert.False(LocalUrl.IsLocal("//evil.example"));
        Assert.False(LocalUrl.IsLocal("/\\evil.example"));
        Assert.False(LocalUrl.IsLocal("https://evil.example/"));
        Assert.False(LocalUrl.IsLocal("/\t/evil.example"));
        Assert.False(LocalUrl.IsLocal("/services\r\nSet-Cookie: x=1"));
        Assert.Equal("/", LocalUrl.OrRoot(null));
    }

    /// <summary>Signs in with a cookie-less client and returns the auth cookie exactly as the browser would send it back.</summary>
    private static async Task<string> AuthCookieAsync(PortalFactory factory)
    {
        using var http = factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        using var loginPage = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/account/login") { Headers = { { "Accept", "text/html" } } });
        var antiforgeryCookie = string.Join("; ", loginPage.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        var token = PortalClient.Parse(await loginPage.Content.ReadAsStringAsync())
            .QuerySelector<AngleSharp.Html.Dom.IHtmlInputElement>("input[name=__RequestVerificationToken]")!.Value;
        using var login = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(
            [
                new("__RequestVerificationToken", token), new("_handler", "login"),
                new("Input.Email", PortalFactory.AdminEmail), new("Input.Password", PortalFactory.AdminPassword),
            ]),
        };
        login.Headers.Add("Cookie", antiforgeryCookie);
        using var response = await http.SendAsync(login);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("Poppy.Auth=", StringComparison.Ordinal)).Split(';')[0];
    }
}
