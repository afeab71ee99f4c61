using System.Security.Claims;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Components.Circuits;

namespace Poppy.Portal.Web.Tests.Components;

/// <summary>
/// bUnit tests of portal components against the real application: a real portal (fresh SQLite file) whose services the
/// components call through <see cref="PortalCalls"/>, as a circuit does, acting as a real user of that database. Only the
/// browser side is bUnit's: rendering, clicks, and JS interop (loose, or planned where a test asserts a call).
/// </summary>
public abstract class PortalComponentTest : BunitContext, IAsyncLifetime
{
    private readonly BunitAuthorizationContext authorization;

    protected PortalComponentTest()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(mud => mud.PopoverOptions.CheckForPopoverProvider = false);
        authorization = AddAuthorization();
        // The portal's own steering notifications, which live steering views (panel, banner) subscribe to.
        Services.AddSingleton(_ => Portal.Services.GetRequiredService<Poppy.Portal.Core.Features.Steering.SteeringEvents>());
        Services.AddScoped(sp => new PortalCalls(Portal.Services.GetRequiredService<IServiceScopeFactory>(), sp.GetRequiredService<AuthenticationStateProvider>()));
    }

    protected PortalFactory Portal { get; } = new();

    /// <summary>The signed-in user of the component under test (set by <see cref="SignInAsync"/>).</summary>
    protected Actor Actor { get; private set; } = Actor.Anonymous;

    public virtual async Task InitializeAsync()
    {
        await SignInAsync(PortalFactory.AdminEmail);
        // As in a circuit: interactive server rendering (this fixes bUnit's services, so it comes last).
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    /// <summary>A new user of <paramref name="role"/> in the first project, signed in for what renders next.</summary>
    protected async Task<Actor> SignInAsNewUserAsync(string role, params string[] projects)
    {
        var email = $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}@test.local";
        await Portal.CreateUserAsync(email, role, projects.Length == 0 ? [PortalFactory.FirstProject] : projects);
        return await SignInAsync(email);
    }

    /// <summary>
    /// Makes the existing account <paramref name="email"/> the circuit's user, with its real id, stamp and role. Call
    /// before the first render: bUnit's services are fixed once something was resolved from them.
    /// </summary>
    protected async Task<Actor> SignInAsync(string email)
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System());
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByEmailAsync(email) ?? throw new InvalidOperationException($"No user {email}.");
        var principal = await scope.ServiceProvider.GetRequiredService<IUserClaimsPrincipalFactory<PortalUser>>().CreateAsync(user);
        authorization.SetAuthorized(email);
        authorization.SetRoles([.. principal.FindAll(ClaimTypes.Role).Select(c => c.Value)]);
        authorization.SetClaims([.. principal.Claims.Where(c => c.Type is not ClaimTypes.Name and not ClaimTypes.Role)]);
        // What PortalCalls will derive from that state (resolving it here would freeze bUnit's services too early).
        Actor = Web.Hosting.PrincipalActor.From(new ClaimsPrincipal(new ClaimsIdentity(
            [.. principal.Claims.Where(c => c.Type != ClaimTypes.Name), new Claim(ClaimTypes.Name, email)], "test")));
        return Actor;
    }

    /// <summary>The project and user context the layout cascades to pages, for the signed-in user.</summary>
    protected Task<WorkingContext> WorkingAsync() =>
        Services.GetRequiredService<PortalCalls>().RunAsync<UserPreferences, WorkingContext>((preferences, ct) => preferences.GetAsync(ct), CancellationToken.None);

    /// <summary>Renders a page as the layout would: inside the cascaded working context, with MudBlazor's providers.</summary>
    protected async Task<IRenderedComponent<TPage>> RenderPageAsync<TPage>(Action<ComponentParameterCollectionBuilder<TPage>>? parameters = null)
        where TPage : IComponent
    {
        var working = await WorkingAsync();
        Render<MudPopoverProvider>();
        Render<MudDialogProvider>();
        Render<MudSnackbarProvider>();
        return Render<TPage>(builder =>
        {
            builder.AddCascadingValue(working);
            parameters?.Invoke(builder);
        });
    }

    /// <summary>Runs <paramref name="call"/> on the real application as the system (test set-up, checks of what was stored).</summary>
    protected async Task<T> AsSystemAsync<TService, T>(Func<TService, Task<T>> call) where TService : notnull
    {
        await using var scope = Portal.Services.CreateAsyncScope(Actor.System("test"));
        return await call(scope.ServiceProvider.GetRequiredService<TService>());
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Portal.DisposeAsync();
    }
}
