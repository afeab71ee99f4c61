using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Poppy.Portal.Web.Hosting;

/// <summary>One fixed-window limit: at most <see cref="PermitLimit"/> requests per <see cref="Window"/> and client.</summary>
public sealed class WindowLimit
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; }
}

/// <summary>
/// <c>Portal:RateLimits</c>: how often one client (an IPv4 address, or an IPv6 /64) may post to the pages that check a
/// password or a reset code, or send mail; and how often one user may create or revoke API tokens.
/// </summary>
public sealed class AccountRateLimitSettings
{
    public const string Section = "Portal:RateLimits";

    /// <summary>Posts of the sign-in form. Fewer than lock an account, per minute, times a little slack for typos.</summary>
    public WindowLimit SignIn { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Posts of the forgot-password (sends mail) and reset-password (checks a code) forms.</summary>
    public WindowLimit PasswordReset { get; set; } = new() { PermitLimit = 5, Window = TimeSpan.FromMinutes(15) };

    /// <summary>
    /// Creates and revokes on the API tokens page, per user (they run in the page's circuit, so
    /// <see cref="Features.ApiTokens.ApiTokenChangeLimiter"/> counts them rather than the HTTP limiter).
    /// </summary>
    public WindowLimit ApiTokens { get; set; } = new() { PermitLimit = 20, Window = TimeSpan.FromMinutes(1) };
}

public sealed class AccountRateLimitSettingsValidator : IValidateOptions<AccountRateLimitSettings>
{
    public ValidateOptionsResult Validate(string? name, AccountRateLimitSettings settings)
    {
        var errors = new List<string>();
        foreach (var (key, limit) in new[] { ("SignIn", settings.SignIn), ("PasswordReset", settings.PasswordReset), ("ApiTokens", settings.ApiTokens) })
        {
            if (limit.PermitLimit < 1)
            {
                errors.Add($"{AccountRateLimitSettings.Section}:{key}:PermitLimit must be 1 or more.");
            }
            if (limit.Window < TimeSpan.FromSeconds(1) || limit.Window > TimeSpan.FromDays(1))
            {
                errors.Add($"{AccountRateLimitSettings.Section}:{key}:Window must be between 00:00:01 and 1.00:00:00.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// Per-client limits on the account endpoints (ASP.NET Core's rate limiter, one global partitioned limiter): beyond them
/// a client gets 429 with <c>Retry-After</c>. The client is the connection's address after a known proxy's
/// <c>X-Forwarded-For</c> was applied (see <see cref="ReverseProxy"/>), so it must run after forwarded headers.
/// </summary>
public static class AccountRateLimits
{
    private enum Policy { SignIn, PasswordReset }

    public static IServiceCollection AddAccountRateLimits(this IServiceCollection services)
    {
        services.AddOptions<AccountRateLimitSettings>().BindConfiguration(AccountRateLimitSettings.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccountRateLimitSettings>, AccountRateLimitSettingsValidator>();
        services.AddSingleton<Features.ApiTokens.ApiTokenChangeLimiter>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<AccountRateLimitSettings>>((options, configured) =>
        {
            var settings = configured.Value;
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => PolicyOf(context.Request) switch
            {
                { } policy => RateLimitPartition.GetFixedWindowLimiter($"{policy}|{ClientKey(context.Connection.RemoteIpAddress)}", _ =>
                    Limit(policy == Policy.SignIn ? settings.SignIn : settings.PasswordReset)),
                null => RateLimitPartition.GetNoLimiter(""),
            });
            options.OnRejected = (rejected, _) =>
            {
                var context = rejected.HttpContext;
                if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AccountRateLimits))
                    .LogWarning("Rate limit {Policy} refused {Method} {Path} from {Client}.", PolicyOf(context.Request), context.Request.Method,
                        context.Request.Path.Value, ClientKey(context.Connection.RemoteIpAddress));
                // The body comes from the status-code pages (a page for browsers, ProblemDetails otherwise).
                return ValueTask.CompletedTask;
            };
        });
        return services;
    }

    private static FixedWindowRateLimiterOptions Limit(WindowLimit limit) => new()
    {
        PermitLimit = limit.PermitLimit,
        Window = limit.Window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>Which limit a request counts against: posts to the account pages only (paths match case-insensitively, as routing does).</summary>
    private static Policy? PolicyOf(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method))
        {
            return null;
        }
        var path = (request.Path.Value ?? "").TrimEnd('/');
        return path.ToLowerInvariant() switch
        {
            "/account/login" => Policy.SignIn,
            "/account/forgot-password" or "/account/reset-password" => Policy.PasswordReset,
            _ => null,
        };
    }

    /// <summary>An IPv4 address, or an IPv6 address's /64 (one subscriber usually holds a whole /64).</summary>
    public static string ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
