using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.ApiTokens;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Tests.Api;

public static class ApiClients
{
    /// <summary>
    /// A client authenticated as the user with a personal API token (X-Auth-Token, as Poppy clients send it), sending
    /// X-Project-ID (if given) on every request. The password proves the user exists as the tests set them up.
    /// </summary>
    public static async Task<HttpClient> ApiClientAsync(this PortalFactory portal, string email, string password, string? project)
    {
        Assert.False(string.IsNullOrEmpty(password));
        await using var scope = portal.Services.CreateAsyncScope(Actor.System());
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync(email);
        var (created, result) = await scope.ServiceProvider.GetRequiredService<ApiTokenService>()
            .CreateAsync(user!.Id, "api tests", projectName: null, expiresAt: null, CancellationToken.None);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors));
        var http = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        http.DefaultRequestHeaders.Add("X-Auth-Token", created!.PlainText);
        if (project is not null)
        {
            http.DefaultRequestHeaders.Add("X-Project-ID", project);
        }
        return http;
    }
}
