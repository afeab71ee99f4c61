using System.Net;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Poppy.Portal.Web.Hosting;

/// <summary>
/// <c>Portal:ForwardedHeaders</c>: the reverse proxies (a TLS terminator, a load balancer) whose <c>X-Forwarded-For</c>,
/// <c>-Proto</c> and <c>-Host</c> the portal believes. From any other client those headers are ignored, so nobody can
/// claim to be https, another host or another address by sending them.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public const string Section = "Portal:ForwardedHeaders";

    /// <summary>Addresses of the proxies, e.g. <c>10.0.0.5</c>; an entry may list several separated by <c>;</c> or <c>,</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies live in, in CIDR form, e.g. <c>10.0.0.0/8</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in a chain to unwind (each one must be known).</summary>
    public int ForwardLimit { get; set; } = 1;

    public IEnumerable<string> ProxyEntries => Split(KnownProxies);

    public IEnumerable<string> NetworkEntries => Split(KnownNetworks);

    private static IEnumerable<string> Split(IEnumerable<string> entries) =>
        entries.SelectMany(e => e.Split([';', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

public sealed class ForwardedHeadersSettingsValidator : IValidateOptions<ForwardedHeadersSettings>
{
    public ValidateOptionsResult Validate(string? name, ForwardedHeadersSettings settings)
    {
        var errors = new List<string>();
        errors.AddRange(settings.ProxyEntries.Where(p => !IPAddress.TryParse(p, out _))
            .Select(p => $"Portal:ForwardedHeaders:KnownProxies '{p}' is not an IP address."));
        errors.AddRange(settings.NetworkEntries.Where(n => !System.Net.IPNetwork.TryParse(n, out _))
            .Select(n => $"Portal:ForwardedHeaders:KnownNetworks '{n}' is not a network in CIDR form (e.g. 10.0.0.0/8)."));
        if (settings.ForwardLimit < 1)
        {
            errors.Add("Portal:ForwardedHeaders:ForwardLimit must be 1 or more.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

public static class ReverseProxy
{
    /// <summary>
    /// Forwarded headers from the configured proxies only, and <c>AllowedHosts</c> checked on the host the client asked
    /// for (after a known proxy's <c>X-Forwarded-Host</c> was applied).
    /// </summary>
    public static void AddPortalReverseProxy(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ForwardedHeadersSettings>().BindConfiguration(ForwardedHeadersSettings.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ForwardedHeadersSettings>, ForwardedHeadersSettingsValidator>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ForwardedHeadersSettings>>((options, configured) =>
        {
            var settings = configured.Value;
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            options.ForwardLimit = settings.ForwardLimit;
            // ASP.NET Core trusts loopback by default; here only what is configured is trusted.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in settings.ProxyEntries)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }
            foreach (var network in settings.NetworkEntries)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });

        // AllowedHosts: what is configured ("*" turns the check off), else the public base URL's host name.
        services.AddOptions<HostFilteringOptions>().Configure<IOptions<PublicUrlOptions>>((options, publicUrl) =>
        {
            var configured = builder.Configuration["AllowedHosts"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            options.AllowedHosts = configured is { Length: > 0 }
                ? configured
                : PublicUrls.TryParse(publicUrl.Value.PublicBaseUrl ?? "", out var uri, out _) ? [uri.IdnHost] : ["*"];
        });
        // The web host's defaults check the Host header before any middleware, i.e. before a proxy's X-Forwarded-Host is
        // applied; UsePortalReverseProxy checks it after instead. (Its options stay as set above either way.)
        var defaultHostFiltering = services.Where(d => d.ServiceType == typeof(IStartupFilter)
            && d.ImplementationType?.FullName == "Microsoft.AspNetCore.HostFilteringStartupFilter").ToList();
        foreach (var descriptor in defaultHostFiltering)
        {
            services.Remove(descriptor);
        }
    }

    /// <summary>First in the pipeline: everything after it sees the client's scheme, host and address.</summary>
    public static void UsePortalReverseProxy(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseHostFiltering();
    }
}
