using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.TestSupport;

namespace Poppy.Portal.Web.Tests;

/// <summary>
/// The real host on a fresh SQLite file, with a first admin in project "alpha". Several factories may share one
/// database folder to act as a restarted process. SQLite pooling is off so that a test that breaks the file sees it at once.
/// </summary>
public sealed class PortalFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@test.local";
    public const string AdminPassword = "Admin-Password-1!";
    public const string FirstProject = "alpha";

    private readonly TempDirectory? ownedFolder;
    private readonly string? postgresConnectionString;
    private readonly bool withFirstAdmin;
    private readonly List<Action<IEndpointRouteBuilder>> extraEndpoints = [];

    public PortalFactory() : this(null)
    {
    }

    /// <param name="dataFolder">Share a folder with another factory to act as the same installation restarted.</param>
    /// <param name="postgresConnectionString">Run on this PostgreSQL database instead of SQLite.</param>
    /// <param name="withFirstAdmin">Configure the first administrator, as an operator would.</param>
    public PortalFactory(string? dataFolder, string? postgresConnectionString = null, bool withFirstAdmin = true)
    {
        this.postgresConnectionString = postgresConnectionString;
        this.withFirstAdmin = withFirstAdmin;
        if (dataFolder is null)
        {
            ownedFolder = new TempDirectory("poppy-web");
            dataFolder = ownedFolder.Path;
        }
        DataFolder = dataFolder;
    }

    public string DataFolder { get; }

    /// <summary>The portal's clock: the real time until a test moves it forward.</summary>
    public AdjustableClock Clock { get; } = new();

    public string ConnectionString => postgresConnectionString ?? $"Data Source={Path.Combine(DataFolder, "portal.db")};Pooling=False";

    /// <summary>More configuration for the host, set before it starts.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>Service registrations that replace the host's, applied before it starts (e.g. a counting decorator).</summary>
    public List<Action<IServiceCollection>> TestServices { get; } = [];

    public string MailFolder => Path.Combine(DataFolder, "mail");

    /// <summary>The public base URL the tests' portal is configured with: TestServer's own address.</summary>
    public const string PublicBaseUrl = "http://localhost";

    /// <summary>A test-only request header: the address the request is to come from (see ClientAddressFilter).</summary>
    public const string ClientAddressHeader = "X-Test-Client-Address";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Database:Provider", postgresConnectionString is null ? "Sqlite" : "PostgreSQL");
        builder.UseSetting("Database:ConnectionString", ConnectionString);
        if (withFirstAdmin)
        {
            builder.UseSetting("Portal:FirstAdmin:Email", AdminEmail);
            builder.UseSetting("Portal:FirstAdmin:Password", AdminPassword);
            builder.UseSetting("Portal:FirstAdmin:Project", FirstProject);
        }
        builder.UseSetting("Mail:PickupDirectory", MailFolder);
        // No job scheduler in web tests unless a test asks for it (Settings["Portal:Jobs:Enabled"] = "true"): it would
        // start a Quartz node per factory and slow every test down. Jobs can still be scheduled into the database.
        builder.UseSetting("Portal:Jobs:Enabled", "false");
        // Nor edge probes (every second, against the simulators) where a test turns jobs on for provisioning: they would
        // add edge requests and database writes to tests about something else. The benchmark tests run rounds themselves.
        builder.UseSetting("Portal:Benchmarks:Enabled", "false");
        // TestServer's requests come from no address, so every test client shares one rate-limit partition: limits far
        // above what a test sends, except in the tests of the limits, which set their own (and client addresses).
        builder.UseSetting("Portal:PublicBaseUrl", PublicBaseUrl);
        foreach (var limit in new[] { "SignIn", "PasswordReset", "ApiTokens" })
        {
            builder.UseSetting($"Portal:RateLimits:{limit}:PermitLimit", "100000");
        }
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<IStartupFilter>(new ExtraEndpointsFilter(extraEndpoints));
            services.AddSingleton<IStartupFilter>(new ClientAddressFilter());
            foreach (var configure in TestServices)
            {
                configure(services);
            }
        });
    }

    /// <summary>
    /// Adds endpoints behind the portal's whole pipeline (authentication, authorization, guards, antiforgery), for
    /// tests that need a kind of endpoint the portal does not have yet. Call before the first request.
    /// </summary>
    public void MapExtraEndpoints(Action<IEndpointRouteBuilder> map) => extraEndpoints.Add(map);

    private sealed class ExtraEndpointsFilter(IReadOnlyList<Action<IEndpointRouteBuilder>> maps) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            // The WebApplication itself, whose route table Program's MapX calls filled; its endpoints are read lazily
            // at the first request, so endpoints added here join the same table and pipeline.
            var endpoints = app.Properties.Values.OfType<IEndpointRouteBuilder>().First();
            foreach (var map in maps)
            {
                map(endpoints);
            }
        };
    }

    /// <summary>
    /// Lets a test say which address a request comes from (<see cref="ClientAddressHeader"/>), as a connection from that
    /// address would: set before the portal's pipeline, so forwarded headers and rate limits see it.
    /// </summary>
    private sealed class ClientAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.Remove(ClientAddressHeader, out var address))
                {
                    context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(address.ToString());
                }
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    public PortalClient CreatePortalClient() =>
        new(CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    /// <summary>Creates a project through the application service, as the admin page does.</summary>
    public async Task<Guid> CreateProjectAsync(string name)
    {
        await using var scope = Services.CreateAsyncScope(Actor.System());
        var (project, result) = await scope.ServiceProvider.GetRequiredService<ProjectDirectory>().CreateAsync(name, "", CancellationToken.None);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors));
        return project!.Id;
    }

    public async Task<Guid> ProjectIdAsync(string name)
    {
        await using var scope = Services.CreateAsyncScope(Actor.System());
        var all = await scope.ServiceProvider.GetRequiredService<ProjectDirectory>().ListAllAsync(CancellationToken.None);
        return all.Single(p => p.Name == name).Id;
    }

    /// <summary>Creates a user through the application service, as the admin page does; returns the password.</summary>
    public async Task<string> CreateUserAsync(string email, string role, params string[] projects)
    {
        const string password = "User-Password-1!";
        await using var scope = Services.CreateAsyncScope(Actor.System());
        var projectIds = new List<Guid>();
        foreach (var project in projects)
        {
            projectIds.Add(await ProjectIdAsync(project));
        }
        var result = await scope.ServiceProvider.GetRequiredService<UserAdministration>()
            .CreateAsync(new NewUser(email, email.Split('@')[0], role, password, projectIds), CancellationToken.None);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors));
        return password;
    }

    /// <summary>Every value of every row the queries return, read from the SQLite file without the application's mapping.</summary>
    public async Task<List<string>> ReadAllTextAsync(params string[] queries)
    {
        var values = new List<string>();
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(DataFolder, "portal.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        foreach (var sql in queries)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    values.Add(reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "");
                }
            }
        }
        return values;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        ownedFolder?.Dispose();
    }
}

public static class PortalFactoryExtensions
{
    public static async Task<PortalClient> CreateAdminClientAsync(this PortalFactory portal)
    {
        var client = portal.CreatePortalClient();
        await client.SignInOrFailAsync(PortalFactory.AdminEmail, PortalFactory.AdminPassword);
        return client;
    }

    /// <summary>A new user of this role in the first project, signed in.</summary>
    public static async Task<PortalClient> CreateSignedInClientAsync(this PortalFactory portal, string role)
    {
        var email = $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}@test.local";
        var password = await portal.CreateUserAsync(email, role, PortalFactory.FirstProject);
        var client = portal.CreatePortalClient();
        await client.SignInOrFailAsync(email, password);
        return client;
    }
}
