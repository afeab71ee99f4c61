using Microsoft.Extensions.Options;

namespace Poppy.Portal.Web.Hosting;

/// <summary>
/// <c>Portal:PublicBaseUrl</c>: the address people and API clients reach the portal at (behind a TLS proxy, the
/// proxy's https address). Every absolute link the portal mails or returns is built from it, never from the request's
/// Host header, which the client chooses.
/// </summary>
public sealed class PublicUrlOptions
{
    public const string Section = "Portal";

    /// <summary>What Development uses when the setting is absent: the launch profile's address.</summary>
    public const string DevelopmentDefault = "http://127.0.0.1:5080";

    public string? PublicBaseUrl { get; set; }
}

/// <summary>Refuses to start without a usable public base URL.</summary>
public sealed class PublicUrlOptionsValidator : IValidateOptions<PublicUrlOptions>
{
    public ValidateOptionsResult Validate(string? name, PublicUrlOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.PublicBaseUrl))
        {
            // Development fills in its default before validation (see PortalWebHosting), so this is any other environment.
            return ValidateOptionsResult.Fail("Portal:PublicBaseUrl is required: the http(s) address people reach the portal at, e.g. https://cdn-portal.example.com (it is what mailed links point to).");
        }
        return PublicUrls.TryParse(options.PublicBaseUrl, out _, out var problem)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Portal:PublicBaseUrl '{options.PublicBaseUrl}' {problem}");
    }
}

/// <summary>Absolute links on the configured public base URL.</summary>
public sealed class PublicUrls(IOptions<PublicUrlOptions> options)
{
    /// <summary>The origin, without a trailing slash: <c>https://portal.example.com</c>.</summary>
    public string Origin { get; } = Parse(options.Value.PublicBaseUrl).GetLeftPart(UriPartial.Authority);

    /// <summary>An absolute URL for a root-relative path (with its query string), e.g. <c>/account/reset-password?code=…</c>.</summary>
    public string Absolute(string rootRelative)
    {
        if (!rootRelative.StartsWith('/') || rootRelative.StartsWith("//", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{rootRelative}' is not a root-relative path.", nameof(rootRelative));
        }
        return Origin + rootRelative;
    }

    private static Uri Parse(string? configured)
    {
        var value = configured ?? "";
        return TryParse(value, out var uri, out var problem)
            ? uri
            : throw new OptionsValidationException(PublicUrlOptions.Section, typeof(PublicUrlOptions), [$"Portal:PublicBaseUrl '{value}' {problem}"]);
    }

    /// <summary>An absolute http(s) origin: no path (the portal serves from the root), query, fragment or user info.</summary>
    public static bool TryParse(string value, out Uri uri, out string problem)
    {
        uri = null!;
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
        {
            problem = "is not an absolute http or https URL.";
            return false;
        }
        if (parsed.AbsolutePath != "/" || parsed.Query.Length > 0 || parsed.Fragment.Length > 0 || parsed.UserInfo.Length > 0)
        {
            problem = "must be an origin only (scheme, host and optional port): the portal serves from the root of its host.";
            return false;
        }
        uri = parsed;
        problem = "";
        return true;
    }
}

public static class PublicUrlsRegistration
{
    /// <summary>Binds and checks <c>Portal:PublicBaseUrl</c> at start (Development falls back to its launch address).</summary>
    public static void AddPublicUrls(this WebApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<PublicUrlOptions>().BindConfiguration(PublicUrlOptions.Section)
            .PostConfigure(o => o.PublicBaseUrl = string.IsNullOrWhiteSpace(o.PublicBaseUrl) && development ? PublicUrlOptions.DevelopmentDefault : o.PublicBaseUrl)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PublicUrlOptions>, PublicUrlOptionsValidator>();
        builder.Services.AddSingleton<PublicUrls>();
    }
}
