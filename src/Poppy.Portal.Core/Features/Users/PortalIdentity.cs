using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Data;

namespace Poppy.Portal.Core.Features.Users;

public static class PortalIdentity
{
    /// <summary>
    /// Accounts, roles and their rules (password length, lockout). Part of the core so the command line manages the
    /// same accounts by the same rules as the web host. Signing in (cookies, <see cref="PortalSignInManager"/>) is the web host's.
    /// </summary>
    public static IServiceCollection AddPortalIdentity(this IServiceCollection services)
    {
        services.AddIdentityCore<PortalUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = 10;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.SignIn.RequireConfirmedAccount = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddClaimsPrincipalFactory<PortalUserClaimsPrincipalFactory>()
            .AddDefaultTokenProviders();
        return services;
    }
}
