using Poppy.Portal.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddPortalWeb();

var app = builder.Build();
await app.InitializePortalDatabaseAsync(app.Lifetime.ApplicationStopping);
app.UsePortalWeb();
await app.RunAsync();

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
