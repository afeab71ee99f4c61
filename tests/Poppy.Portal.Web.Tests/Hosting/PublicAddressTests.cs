using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Poppy.Portal.Web.Tests.Api;
using Poppy.Portal.Web.Tests.Services;

namespace Poppy.Portal.Web.Tests.Hosting;

/// <summary>
/// Issue 10, item 1: links on the configured public base URL, allowed host names, and forwarded headers believed from
/// the configured proxies only.
/// </summary>
public sealed partial class PublicAddressTests : PortalTest
{
    private const string PublicBase = "https://portal.example.test";

    [Fact]
    public async Task A_reset_link_is_on_the_public_base_url_whatever_host_the_request_names()
    {
        Portal.Settings["Portal:PublicBaseUrl"] = PublicBase;
        Portal.Settings["AllowedHosts"] = "*"; // let the hostile Host header through, to see what the mail says
        using var client = Portal.CreatePortalClient();
        client.Http.DefaultRequestHeaders.Host = "evil.example";

        using var response = await client.SubmitFormAsync("/account/forgot-password",
            new Dictionary<string, string> { ["Input.Email"] = PortalFactory.AdminEmail }, "forgot-password");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var mail = await File.ReadAllTextAsync(Directory.GetFiles(Portal.MailFolder, "*.eml").Single());
        Assert.Matches(ResetLinkOnPublicBase(), mail);
        Assert.DoesNotContain("evil.example", mail);
    }

    [Fact]
    public async Task The_apis_location_headers_and_links_are_on_the_public_base_url()
    {
        Portal.Settings["Portal:PublicBaseUrl"] = PublicBase;
        Portal.Settings["AllowedHosts"] = "*";
        await Portal.SeedFlavorAsync(ServiceTestData.Flavor, "sim-fastly");
        using var api = await Portal.ApiClientAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword, PortalFactory.FirstProject);
        api.DefaultRequestHeaders.Host = "evil.example";
        for (var i = 0; i < 2; i++)
        {
            await ApiFixture.CreateAsync(api, NewService());
        }

        using var created = await api.PostAsJsonAsync("/v1.0/services", NewService());
        using var page = await api.GetAsync("/v1.0/services?limit=1");

        Assert.StartsWith($"{PublicBase}/v1.0/services/", created.Headers.Location!.ToString());
        var body = await page.Content.ReadAsStringAsync();
        Assert.Contains($"\"href\":\"{PublicBase}/v1.0/services?", body.Replace("\\u0026", "&"));
        Assert.DoesNotContain("evil.example", body);
    }

    [Fact]
    public async Task A_request_for_a_host_name_that_is_not_allowed_is_refused()
    {
        Portal.Settings["Portal:PublicBaseUrl"] = PublicBase;
        using var client = Portal.CreatePortalClient();

        using var evil = new HttpRequestMessage(HttpMethod.Get, "/account/login") { Headers = { Host = "evil.example" } };
        using var refused = await client.Http.SendAsync(evil);
        using var ours = new HttpRequestMessage(HttpMethod.Get, "/account/login") { Headers = { Host = "portal.example.test" } };
        using var allowed = await client.Http.SendAsync(ours);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Forwarded_headers_from_a_client_that_is_not_a_configured_proxy_are_ignored()
    {
        ConfigureProxy();
        using var client = ClientFrom("127.0.0.1"); // loopback: trusted by ASP.NET Core's defaults, not here

        using var redirect = await GetPageAsAnonymousAsync(client, "/services");
        using var signIn = await client.SignInAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.StartsWith("http://localhost/account/login", redirect.Headers.Location!.AbsoluteUri);
        Assert.DoesNotContain("secure", AuthCookie(signIn), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Forwarded_headers_from_a_configured_proxy_give_the_clients_scheme_host_and_address()
    {
        ConfigureProxy();
        Portal.Settings["Portal:RateLimits:SignIn:PermitLimit"] = "1";
        using var client = ClientFrom("10.9.8.7");

        using var redirect = await GetPageAsAnonymousAsync(client, "/services");
        using var signIn = await client.SignInAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        // One sign-in post per client: the next from the same forwarded client is refused, one from another is not.
        using var again = await client.SignInAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        client.Http.DefaultRequestHeaders.Remove("X-Forwarded-For");
        client.Http.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.77");
        using var otherClient = await client.SignInAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);

        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.StartsWith("https://portal.example.test/account/login", redirect.Headers.Location!.AbsoluteUri);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Contains("secure", AuthCookie(signIn), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, otherClient.StatusCode);
    }

    [Fact]
    public async Task Allowed_hosts_are_checked_on_the_host_a_configured_proxy_forwards()
    {
        ConfigureProxy();
        Portal.Settings["AllowedHosts"] = "portal.example.test";
        using var proxy = ClientFrom("10.9.8.7");
        proxy.Http.DefaultRequestHeaders.Host = "backend.internal:8080";

        using var forwardedOurs = await proxy.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/healthz"));
        proxy.Http.DefaultRequestHeaders.Remove("X-Forwarded-Host");
        proxy.Http.DefaultRequestHeaders.Add("X-Forwarded-Host", "evil.example");
        using var forwardedEvil = await proxy.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/healthz"));

        Assert.Equal(HttpStatusCode.OK, forwardedOurs.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, forwardedEvil.StatusCode);
    }

    [Theory]
    [InlineData("Portal:PublicBaseUrl", "", "Portal:PublicBaseUrl is required")]
    [InlineData("Portal:PublicBaseUrl", "portal.example.test", "is not an absolute http or https URL")]
    [InlineData("Portal:PublicBaseUrl", "ftp://portal.example.test", "is not an absolute http or https URL")]
    [InlineData("Portal:PublicBaseUrl", "https://portal.example.test/portal", "must be an origin only")]
    [InlineData("Portal:ForwardedHeaders:KnownProxies:0", "proxy.internal", "is not an IP address")]
    [InlineData("Portal:ForwardedHeaders:KnownNetworks:0", "10.0.0.0", "is not a network in CIDR form")]
    [InlineData("Portal:RateLimits:SignIn:PermitLimit", "0", "Portal:RateLimits:SignIn:PermitLimit must be 1 or more")]
    public void The_portal_does_not_start_with_a_bad_setting(string key, string value, string message)
    {
        Portal.Settings[key] = value;

        var error = Assert.ThrowsAny<Exception>(() => Portal.CreatePortalClient());

        var validation = Assert.IsType<OptionsValidationException>(error is AggregateException { InnerExceptions: [var inner] } ? inner : error);
        Assert.Contains(message, validation.Message);
    }

    private void ConfigureProxy()
    {
        Portal.Settings["Portal:PublicBaseUrl"] = PublicBase;
        Portal.Settings["AllowedHosts"] = "localhost;portal.example.test";
        Portal.Settings["Portal:ForwardedHeaders:KnownProxies:0"] = "10.9.8.7";
    }

    /// <summary>A client whose requests come from <paramref name="address"/> and carry a TLS proxy's forwarded headers.</summary>
    private PortalClient ClientFrom(string address)
    {
        var client = Portal.CreatePortalClient();
        var headers = client.Http.DefaultRequestHeaders;
        headers.Add(PortalFactory.ClientAddressHeader, address);
        headers.Add("X-Forwarded-Proto", "https");
        headers.Add("X-Forwarded-Host", "portal.example.test");
        headers.Add("X-Forwarded-For", "198.51.100.66");
        return client;
    }

    private static Task<HttpResponseMessage> GetPageAsAnonymousAsync(PortalClient client, string path) =>
        client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { "Accept", "text/html" } } });

    private static string AuthCookie(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("Poppy.Auth=", StringComparison.Ordinal));

    private static System.Text.Json.Nodes.JsonObject NewService() => ApiFixture.NewService();

    [GeneratedRegex(@"https://portal\.example\.test/account/reset-password\?code=\S+")]
    private static partial Regex ResetLinkOnPublicBase();
}
