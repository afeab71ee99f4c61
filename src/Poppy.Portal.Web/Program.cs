using Poppy.Portal.Web.Features.ApiTokens;
using Poppy.Portal.Web.Hosting;

// `token create|revoke …` issues or revokes an API token from the command line instead of starting the server.
if (args is ["token", .. var tokenArgs])
{
    return await TokenCommand.RunAsync(tokenArgs, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddPortalWeb();

var app = builder.Build();
await app.InitializePortalDatabaseAsync(app.Lifetime.ApplicationStopping);
app.UsePortalWeb();
await app.RunAsync();
return 0;

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
