using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Poppy.CacheTier.Agent.Hosting;

namespace Poppy.CacheTier.Agent;

/// <summary>
/// Standalone: <c>Agent__Token=… dotnet run --project src/Poppy.CacheTier.Agent -- --urls http://0.0.0.0:8081</c>.
/// Options are the <c>Agent</c> section (<see cref="AgentOptions"/>) from the environment, the command line, or an
/// appsettings.json in the working directory.
/// </summary>
/// <remarks>A named entry point, not top-level statements, so tests and the portal can reference this project.</remarks>
internal static class AgentProgram
{
    public static async Task<int> Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var options = builder.Configuration.GetSection(AgentOptions.Section).Get<AgentOptions>() ?? new AgentOptions();
        if (options.Validate() is { } problem)
        {
            await Console.Error.WriteLineAsync(problem);
            return 1;
        }
        builder.Services.AddCacheTierAgent(options);
        var app = builder.Build();
        app.MapCacheTierAgent();
        await app.RunAsync();
        return 0;
    }
}
