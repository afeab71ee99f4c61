using System.Globalization;

namespace Poppy.Portal.Core.Features.Providers;

/// <summary>One node of a cache-tier account: where its agent listens, the token it accepts, and where viewers reach it.</summary>
/// <param name="AgentUrl">The agent's base URL, ending in '/' (e.g. <c>http://10.0.0.5:8081/</c>).</param>
/// <param name="Token">The node token, sent as <c>X-Node-Token</c>.</param>
/// <param name="PublicHost">What a service's domains CNAME to (<c>cache1.example.net</c>), or the URL viewers use
/// (<c>http://127.0.0.1:8080</c> for a node on this machine): the service's access URL at this node.</param>
public sealed record CacheTierNode(Uri AgentUrl, string Token, string PublicHost);

/// <summary>
/// The node list of a cache-tier account, stored as its one credential <see cref="CredentialKey"/> (protected at rest
/// with the other credentials): one node per line, <c>agent_url token public_host</c>. On an edit a token may be
/// written <see cref="KeepToken"/> to keep the one stored for that agent URL, so nodes can be added or moved without
/// typing every token again (tokens are never shown back).
/// </summary>
public static class CacheTierNodes
{
    public const string CredentialKey = "nodes";

    /// <summary>Written instead of a token: keep the token stored for this agent URL.</summary>
    public const string KeepToken = "*";

    public const int MaxNodes = 32;

    /// <summary>The agent refuses shorter tokens.</summary>
    public const int MinTokenLength = 16;

    /// <summary>
    /// Reads a node list. <paramref name="stored"/> supplies the tokens written as <see cref="KeepToken"/>. Errors name the
    /// line; blank lines and lines starting with '#' are skipped.
    /// </summary>
    public static (IReadOnlyList<CacheTierNode> Nodes, IReadOnlyList<string> Errors) Parse(string text, IReadOnlyList<CacheTierNode>? stored = null)
    {
        var nodes = new List<CacheTierNode>();
        var errors = new List<string>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var where = $"Line {(i + 1).ToString(CultureInfo.InvariantCulture)}";
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3)
            {
                errors.Add($"{where}: write the agent URL, the node token and the public host name, separated by spaces.");
                continue;
            }
            if (!TryAgentUrl(parts[0], out var agentUrl))
            {
                errors.Add($"{where}: '{parts[0]}' is not an absolute http:// or https:// agent URL without query.");
                continue;
            }
            if (nodes.Any(n => n.AgentUrl == agentUrl))
            {
                errors.Add($"{where}: the agent {agentUrl} is listed twice.");
                continue;
            }
            var token = parts[1];
            if (token == KeepToken)
            {
                if (stored?.FirstOrDefault(n => n.AgentUrl == agentUrl) is not { } kept)
                {
                    errors.Add($"{where}: no token is stored for {agentUrl}; type it.");
                    continue;
                }
                token = kept.Token;
            }
            else if (token.Length < MinTokenLength)
            {
                errors.Add($"{where}: a node token has at least {MinTokenLength.ToString(CultureInfo.InvariantCulture)} characters.");
                continue;
            }
            if (!TryPublicHost(parts[2], out var publicHost))
            {
                errors.Add($"{where}: '{parts[2]}' is not a public host name (cache1.example.net, with an optional :port) or an http(s) URL.");
                continue;
            }
            nodes.Add(new CacheTierNode(agentUrl, token, publicHost));
        }
        if (nodes.Count == 0 && errors.Count == 0)
        {
            errors.Add("List at least one node: agent URL, node token, public host name.");
        }
        if (nodes.Count > MaxNodes)
        {
            errors.Add($"At most {MaxNodes.ToString(CultureInfo.InvariantCulture)} nodes per account.");
        }
        return (nodes, errors);
    }

    /// <summary>The nodes of stored credentials; empty when they hold none or cannot be read.</summary>
    public static IReadOnlyList<CacheTierNode> From(IReadOnlyDictionary<string, string> credentials) =>
        credentials.TryGetValue(CredentialKey, out var text) && Parse(text) is { Errors.Count: 0 } parsed ? parsed.Nodes : [];

    /// <summary>The stored form: one normalized line per node.</summary>
    public static string Format(IEnumerable<CacheTierNode> nodes) =>
        string.Join('\n', nodes.Select(n => $"{n.AgentUrl} {n.Token} {n.PublicHost}"));

    /// <summary>What may be shown: each node's agent address and public host, with its token masked like other secrets.</summary>
    public static string Hint(IReadOnlyList<CacheTierNode> nodes, Func<string, string> mask) =>
        $"{CredentialKey} " + string.Join("; ", nodes.Select(n => $"{n.AgentUrl.Authority} {mask(n.Token)} {n.PublicHost}"));

    /// <summary>The access URL of a service's domain at this node.</summary>
    public static string AccessUrl(CacheTierNode node) => node.PublicHost;

    private static bool TryAgentUrl(string text, out Uri url)
    {
        url = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https") || parsed.Host.Length == 0
            || parsed.Query.Length > 0 || parsed.Fragment.Length > 0 || parsed.UserInfo.Length > 0)
        {
            return false;
        }
        url = new Uri(parsed.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        return true;
    }

    private static bool TryPublicHost(string text, out string host)
    {
        host = text.TrimEnd('/');
        var asUrl = host.Contains("://", StringComparison.Ordinal) ? host : "http://" + host;
        return host.Length is > 0 and <= 253
            && Uri.TryCreate(asUrl, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" && parsed.Host.Length > 0
            && parsed.AbsolutePath == "/" && parsed.Query.Length == 0 && parsed.Fragment.Length == 0 && parsed.UserInfo.Length == 0;
    }
}
