using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using MudBlazor.Services;
using Poppy.Portal.Core;
using Poppy.Portal.Core.Configuration;
using Poppy.Portal.Core.Data;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Mail;
using Poppy.Portal.Core.Features.Setup;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Providers.Cdn;
using Poppy.Portal.Providers.Dns;
using Poppy.Portal.Web.Api;
using Poppy.Portal.Web.Components;
using Poppy.Portal.Web.Components.Account;
using Poppy.Portal.Web.Components.Circuits;
using Poppy.Portal.Web.Features.ApiTokens;
using Poppy.Portal.Web.Features.Dashboard;
using Poppy.Portal.Web.Features.Dns;
using Poppy.Portal.Web.Features.Flavors;
using Poppy.Portal.Web.Features.Providers;
using Poppy.Portal.Web.Features.Services;

namespace Poppy.Portal.Web.Hosting;

/// <summary>Everything the host registers and the order of its pipeline, so Program.cs stays three lines.</summary>
public static class PortalWebHosting
{
    public static WebApplicationBuilder AddPortalWeb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // Serve the build's static assets (including their compressed variants) when running from bin/ in any
        // environment, not only Development; a published app has no such manifest and this does nothing.
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.ConfigureKestrel(KestrelRejections.Configure);
        services.AddPortalCore(builder.Configuration, builder.Environment.ContentRootPath);
        services.AddCdnDrivers();
        services.AddDnsDrivers();
        // Accounts and roles come with the core; signing in is the web host's (it needs authentication schemes).
        new IdentityBuilder(typeof(PortalUser), typeof(IdentityRole), services).AddSignInManager<PortalSignInManager>();

        services.AddSingleton<KnownDevices>();
        services.AddSingleton<IEmailSender<PortalUser>, PickupDirectoryEmailSender>();
        // Identity's validator refreshes the cookie's claims once a minute; SessionValidation checks the stamp on every request.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));

        builder.AddPublicUrls();
        builder.AddPortalReverseProxy();
        services.AddAccountRateLimits();

        // API-token requests are told apart by their header; everything else uses the sign-in cookie.
        services.AddAuthentication(ApiTokenAuthentication.CookieOrTokenScheme).AddApiTokenOrCookie().AddIdentityCookies();
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.LoginPath = "/account/login";
            cookie.LogoutPath = "/account/logout";
            cookie.AccessDeniedPath = "/account/access-denied";
            cookie.Cookie.Name = "Poppy.Auth";
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.SlidingExpiration = true;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
            cookie.Events.OnValidatePrincipal = SessionValidation.ValidatePrincipalAsync;
        });
        services.AddAuthorizationBuilder()
            // Everything needs a signed-in user unless it says [AllowAnonymous].
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        services.AddRazorComponents()
            .AddInteractiveServerComponents(ConfigureCircuits(builder.Environment))
            .AddHubOptions(hub =>
            {
                // A circuit's own messages are small (events, form values); uploads do not go through it.
                hub.MaximumReceiveMessageSize = 64 * 1024;
            });
        services.AddMudServices(mud =>
        {
            mud.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomRight;
            mud.SnackbarConfiguration.PreventDuplicates = false;
            mud.SnackbarConfiguration.VisibleStateDuration = 4000;
        });
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, PortalAuthenticationStateProvider>();
        services.AddScoped<CircuitHandler, CircuitActorHandler>();
        services.AddScoped<PortalCalls>();
        services.AddHttpContextAccessor();
        services.AddAntiforgery(o => o.Cookie.Name = "Poppy.Antiforgery");
        services.AddProblemDetails();
        services.AddHealthChecks().AddDbContextCheck<PortalDbContext>("database", customTestQuery: (db, cancellationToken) => db.HasSchemaAsync(cancellationToken));

        services.AddOpenApi(PoppyApiDocument.Name, PoppyApiDocument.Configure);
        services.AddOptions<DevelopmentSimulatorOptions>().Bind(builder.Configuration.GetSection(DevelopmentSimulatorOptions.Section))
            .ValidateSettings(DevelopmentSimulatorOptions.Section, DevelopmentSimulatorOptions.Check);
        services.AddHostedService<DevelopmentSimulators>();
        // One instance: a hosted service, and what the Providers page asks whether the local node runs.
        services.AddSingleton<DevelopmentCacheNode>();
        services.AddHostedService(sp => sp.GetRequiredService<DevelopmentCacheNode>());
        // One instance: a hosted service, and what the DNS page asks about the local PowerDNS (Status).
        services.AddOptions<DevelopmentPowerDnsOptions>().Bind(builder.Configuration.GetSection(DevelopmentPowerDnsOptions.Section))
            .ValidateSettings(DevelopmentPowerDnsOptions.Section, DevelopmentPowerDnsOptions.Check);
        services.AddSingleton<DevelopmentPowerDns>();
        services.AddHostedService(sp => sp.GetRequiredService<DevelopmentPowerDns>());
        services.AddSingleton<ILocalDnsServerStatus>(sp => sp.GetRequiredService<DevelopmentPowerDns>());
        services.AddSingleton<RequestTimings>();
        services.AddOptions<NativeHeapTrimOptions>().Bind(builder.Configuration.GetSection(NativeHeapTrimOptions.Section))
            .ValidateSettings(NativeHeapTrimOptions.Section, NativeHeapTrimOptions.Check);
        services.AddHostedService<NativeHeapTrimmer>();
        services.AddBenchDiagnostics(builder.Configuration);
        return builder;
    }

    public static async Task InitializePortalDatabaseAsync(this WebApplication app, CancellationToken cancellationToken)
    {
        await using var scope = app.Services.CreateAsyncScope(Actor.System());
        await scope.ServiceProvider.GetRequiredService<PortalDatabaseInitializer>().InitializeAsync(cancellationToken);
    }

    public static WebApplication UsePortalWeb(this WebApplication app)
    {
        app.UsePortalReverseProxy();
        app.UseMiddleware<ApiVersionPathMiddleware>();
        app.UseRouting();
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseMiddleware<RequestLoggingMiddleware>();
        app.UseExceptionHandler(ErrorResponses.Options);
        app.UseStatusCodePages(ErrorResponses.WriteStatusCodeAsync);
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }
        // After the status-code pages, which give its 429 a body.
        app.UseRateLimiter();

        app.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = "api/docs";
            ui.DocumentTitle = "Poppy Portal API";
            ui.SwaggerEndpoint($"/openapi/{PoppyApiDocument.Name}.json", "Poppy v1.0");
        });
        app.UseAuthentication();
        app.UseMiddleware<CurrentActorMiddleware>();
        app.UseAuthorization();
        // A second fence for HTTP only: the application services refuse a Viewer's changes themselves, which a test proves
        // by switching this off (Portal:Security:ViewerWriteFence=false).
        if (app.Configuration.GetValue("Portal:Security:ViewerWriteFence", defaultValue: true))
        {
            app.UseMiddleware<ViewerWriteGuardMiddleware>();
        }
        app.UseMiddleware<ApiTokenFormGuardMiddleware>();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapHealthChecks("/healthz").AllowAnonymous();
        app.MapAccountEndpoints();
        app.MapPoppyApi();
        app.MapOpenApi(PoppyApiDocument.Route).AllowAnonymous();
        app.MapServiceExportEndpoints();
        app.MapBenchDiagnostics(app.Configuration);
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>
    /// Circuit limits, chosen rather than inherited (README "Circuits"): a dropped connection keeps its circuit for
    /// 3 minutes (a phone changing networks, a laptop lid) but at most 200 of them wait at once; a slow client may have
    /// 10 render batches in flight before the server waits for it; JS calls give up after 30 s; exception details go
    /// to the browser only in Development.
    /// </summary>
    private static Action<CircuitOptions> ConfigureCircuits(IHostEnvironment environment) => circuit =>
    {
        circuit.DisconnectedCircuitRetentionPeriod = TimeSpan.FromMinutes(3);
        circuit.DisconnectedCircuitMaxRetained = 200;
        circuit.MaxBufferedUnacknowledgedRenderBatches = 10;
        circuit.JSInteropDefaultCallTimeout = TimeSpan.FromSeconds(30);
        circuit.DetailedErrors = environment.IsDevelopment();
    };

    /// <summary>
    /// Browsers navigating to a page get redirected to the login or access-denied page; API and data requests,
    /// and refused form posts, get the status code (a refused post then shows the "Not allowed" page).
    /// </summary>
    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var refusedPost = status == StatusCodes.Status403Forbidden && !HttpMethods.IsGet(context.Request.Method);
        if (RequestKind.WantsHtmlPage(context.Request) && !refusedPost)
        {
            context.Response.Redirect(context.RedirectUri);
        }
        else
        {
            context.Response.StatusCode = status;
        }
        return Task.CompletedTask;
    }
}
