using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Poppy.CacheTier.Agent.Api;

/// <summary>
/// Refuses every <c>/api/*</c> request that lacks the node's token in <see cref="AgentOptions.TokenHeader"/>. The
/// comparison is over SHA-256 digests with <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the
/// token's content nor its length shows in how long a refusal takes.
/// </summary>
internal sealed class NodeTokenCheck(string token)
{
    private readonly byte[] expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool Accepts(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(expected, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    /// <summary>Runs after routing: an endpoint of the API group (marked <see cref="RequiresNodeToken"/>) is refused
    /// however its path was spelled, and so is every other path under <c>/api</c>.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var protectedRequest = context.GetEndpoint()?.Metadata.GetMetadata<RequiresNodeToken>() is not null
            || context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);
        if (protectedRequest && !Accepts(context.Request.Headers[AgentOptions.TokenHeader].FirstOrDefault()))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsJsonAsync(
                new { error = $"This node's API needs its token in the {AgentOptions.TokenHeader} header." }, context.RequestAborted);
            return;
        }
        await next(context);
    }
}

/// <summary>Marks the endpoints that need the node token.</summary>
internal sealed class RequiresNodeToken;
