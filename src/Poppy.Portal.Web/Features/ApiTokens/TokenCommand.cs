using Microsoft.AspNetCore.Identity;
using Poppy.Portal.Core;
using Poppy.Portal.Core.Features.ApiTokens;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Setup;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Web.Features.ApiTokens;

/// <summary>
/// <c>token create|revoke</c> on the host's command line, for automation and first set-up: same configuration and
/// core services as the web host, no web server. <c>create</c> prints only the token, so
/// <c>TOKEN=$(dotnet run --project src/Poppy.Portal.Web -- token create --user …)</c> just works; every other word
/// (errors, usage, logging) goes to standard error.
/// </summary>
public static class TokenCommand
{
    public const int Succeeded = 0;
    public const int BadUsage = 1;
    public const int Refused = 2;

    /// <summary>Who the audit log names for changes made here.</summary>
    public const string AuditActor = "cli";

    public const string Usage = """
        Usage:
          token create --user <email> [--project <name>] [--name <name>] [--expires-days <N>]
          token revoke --user <email> --prefix <prefix>

        create prints the new token (and only it) on standard output. Without --project the token acts in all of the
        user's projects; without --expires-days it never expires. The prefix is what the portal lists, e.g. ppy_abcd1234.
        Exit codes: 0 done, 1 bad usage, 2 refused (unknown user, disabled account, not a member of the project, no such token).
        """;

    private sealed record Arguments(string Verb, string Email, string? Project, string Name, int? ExpiresDays, string? Prefix);

    /// <param name="args">The arguments after <c>token</c>.</param>
    /// <param name="settings">Configuration applied last, over appsettings and the environment (tests point it at their database).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr,
        IReadOnlyDictionary<string, string?>? settings = null, CancellationToken cancellationToken = default)
    {
        if (args is ["--help" or "-h"])
        {
            await stdout.WriteLineAsync(Usage);
            return Succeeded;
        }
        if (Parse(args) is not { } arguments)
        {
            await stderr.WriteLineAsync(Usage);
            return BadUsage;
        }

        using var host = BuildHost(settings);
        // The command line acts as the system, named in the audit log; the user it issues for is named by --user.
        await using var scope = host.Services.CreateAsyncScope(Actor.System(AuditActor));
        var services = scope.ServiceProvider;
        await services.GetRequiredService<PortalDatabaseInitializer>().InitializeAsync(cancellationToken);

        var user = await services.GetRequiredService<UserManager<PortalUser>>().FindByEmailAsync(arguments.Email);
        if (user is null)
        {
            await stderr.WriteLineAsync($"No user has the address {arguments.Email}.");
            return Refused;
        }

        var tokens = services.GetRequiredService<ApiTokenService>();
        if (arguments.Verb == "revoke")
        {
            var revoked = await tokens.RevokeByPrefixAsync(user.Id, arguments.Prefix!, cancellationToken);
            return await ReportAsync(revoked, stderr, $"Revoked the token {arguments.Prefix} of {user.Email}.");
        }

        var expiresAt = arguments.ExpiresDays is { } days ? services.GetRequiredService<TimeProvider>().GetUtcNow().AddDays(days) : (DateTimeOffset?)null;
        var (created, result) = await tokens.CreateAsync(user.Id, arguments.Name, arguments.Project, expiresAt, cancellationToken);
        if (created is null)
        {
            return await ReportAsync(result, stderr, success: "");
        }
        // "\n" rather than WriteLine: the output is the token and one newline on every platform.
        await stdout.WriteAsync(created.PlainText + "\n");
        await stdout.FlushAsync(cancellationToken);
        return Succeeded;
    }

    private static async Task<int> ReportAsync(Result result, TextWriter stderr, string success)
    {
        foreach (var line in result.Succeeded ? [success] : result.Errors)
        {
            await stderr.WriteLineAsync(line);
        }
        return result.Succeeded ? Succeeded : Refused;
    }

    /// <summary>Reads <c>create|revoke --option value …</c>; null when anything is missing, unknown or malformed.</summary>
    private static Arguments? Parse(string[] args)
    {
        if (args is not [("create" or "revoke") and var verb, .. var rest] || rest.Length % 2 != 0)
        {
            return null;
        }
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < rest.Length; i += 2)
        {
            if (!options.TryAdd(rest[i], rest[i + 1]))
            {
                return null;
            }
        }
        string[] allowed = verb == "create" ? ["--user", "--project", "--name", "--expires-days"] : ["--user", "--prefix"];
        if (options.Keys.Except(allowed).Any() || !options.TryGetValue("--user", out var email) || string.IsNullOrWhiteSpace(email))
        {
            return null;
        }

        if (verb == "revoke")
        {
            return options.TryGetValue("--prefix", out var prefix) && !string.IsNullOrWhiteSpace(prefix)
                ? new Arguments(verb, email, null, "", null, prefix)
                : null;
        }

        int? expiresDays = null;
        if (options.TryGetValue("--expires-days", out var daysText))
        {
            if (!int.TryParse(daysText, out var days) || days is < 1 or > 36_500)
            {
                return null;
            }
            expiresDays = days;
        }
        var name = options.GetValueOrDefault("--name", "cli").Trim();
        return name.Length is 0 or > ApiToken.NameMaxLength
            ? null
            : new Arguments(verb, email, options.GetValueOrDefault("--project"), name, expiresDays, null);
    }

    private static IHost BuildHost(IReadOnlyDictionary<string, string?>? settings)
    {
        // As WebApplication.CreateBuilder does: ASPNETCORE_ENVIRONMENT (set by `dotnet run`'s launch profile) chooses
        // appsettings.{Environment}.json, so the command finds the same database as the web host.
        var configuration = new ConfigurationManager();
        configuration.AddEnvironmentVariables("ASPNETCORE_");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Configuration = configuration,
            ApplicationName = typeof(TokenCommand).Assembly.GetName().Name,
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        // Standard output carries the token alone: log warnings and errors only, and to standard error.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<LoggerFilterOptions>(filter =>
        {
            filter.Rules.Clear();
            filter.MinLevel = LogLevel.Warning;
        });

        builder.Services.AddPortalCore(builder.Configuration, builder.Environment.ContentRootPath);
        return builder.Build();
    }
}
