using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Core.Features.Dns;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Dns.Rackspace;

/// <summary>
/// Rackspace Cloud DNS v1.0. The endpoint is the tenant's API base (<c>https://dns.api.rackspacecloud.com/v1.0/{tenant}/</c>).
/// Each call first takes an Identity v2.0 token (RAX-KSKEY apiKeyCredentials) from <c>identity_url</c> and sends it as
/// <c>X-Auth-Token</c>. Writes answer 202 with an asynchronous job; the driver polls <c>status/{jobId}?showDetails=true</c>
/// until <c>COMPLETED</c>, and reports <c>ERROR</c> with the job's message. Cloud DNS takes no TTL below 300 s, so a
/// shorter one is raised to 300; its rate limits answer <c>413 overLimit</c> with <c>Retry-After</c>, which is transient.
/// </summary>
public sealed class RackspaceDnsDriver : IDnsDriver
{
    /// <summary>Credential fields: Identity's v2.0 base URL, the user and its API key.</summary>
    public const string IdentityUrl = "identity_url", Username = "username", ApiKey = "api_key";

    /// <summary>Cloud DNS's smallest TTL.</summary>
    public const int MinimumTtl = 300;

    private const string Vendor = "Rackspace Cloud DNS";

    /// <inheritdoc />
    public DnsProviderKind Kind => DnsProviderKind.RackspaceDns;

    /// <inheritdoc />
    public string? WeightedUnsupportedReason => "Rackspace Cloud DNS has no weighted records (one CNAME per name, answered alone)";

    /// <inheritdoc />
    public async Task SetCnameAsync(DnsCall call, string name, string target, int ttlSeconds, CancellationToken cancellationToken)
    {
        var session = await SessionAsync(call, cancellationToken).ConfigureAwait(false);
        var ttl = Math.Max(ttlSeconds, MinimumTtl);
        var existing = await FindAsync(session, name, cancellationToken).ConfigureAwait(false);
        using var request = existing is null
            ? session.Request(HttpMethod.Post, "records")
            : session.Request(HttpMethod.Put, $"records/{existing.Value.Id}");
        var record = new JsonObject { ["name"] = DnsRecordNames.Relative(name), ["data"] = DnsRecordNames.Relative(target), ["ttl"] = ttl };
        if (existing is null)
        {
            record["type"] = "CNAME";
        }

        request.Content = DnsCalls.Json(existing is null ? new JsonObject { ["records"] = new JsonArray(record) } : record);
        await RunJobAsync(session, request, $"{request.Method} record {name}", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DeleteCnameAsync(DnsCall call, string name, CancellationToken cancellationToken)
    {
        var session = await SessionAsync(call, cancellationToken).ConfigureAwait(false);
        if (await FindAsync(session, name, cancellationToken).ConfigureAwait(false) is not { } existing)
        {
            return;
        }

        using var request = session.Request(HttpMethod.Delete, $"records/{existing.Id}");
        await RunJobAsync(session, request, $"DELETE record {name}", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DnsCname?> GetCnameAsync(DnsCall call, string name, CancellationToken cancellationToken) =>
        (await FindAsync(await SessionAsync(call, cancellationToken).ConfigureAwait(false), name, cancellationToken).ConfigureAwait(false))?.Record;

    /// <inheritdoc />
    public Task<ConnectionTestResult> TestConnectionAsync(DnsCall call, CancellationToken cancellationToken) =>
        VendorHttp.TestConnectionAsync(Vendor, async ct =>
        {
            var session = await SessionAsync(call, ct).ConfigureAwait(false);
            return $"domain {call.Zone} found ({session.DomainId})";
        }, cancellationToken);

    private static async Task RunJobAsync(Session session, HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(session.Call, request, what, cancellationToken).ConfigureAwait(false);
        var jobId = (string?)JsonNode.Parse(reply.Text)?["jobId"]
            ?? throw new CdnDriverException($"{Vendor} accepted {what} without a job id.", isTransient: false, reply.StatusCode);
        await DnsCalls.PollUntilDoneAsync(session.Call, Vendor, $"job {jobId} ({what})", async ct =>
        {
            using var status = new HttpRequestMessage(HttpMethod.Get, new Uri(session.Call.ApiEndpoint, $"status/{jobId}?showDetails=true"));
            status.Headers.Add("X-Auth-Token", session.Token);
            var job = JsonNode.Parse((await SendAsync(session.Call, status, $"GET status/{jobId}", ct).ConfigureAwait(false)).Text);
            return (string?)job?["status"] switch
            {
                "COMPLETED" => true,
                "ERROR" => throw new CdnDriverException(
                    $"{Vendor} job {jobId} ({what}) failed: {(string?)job["error"]?["details"] ?? (string?)job["error"]?["message"] ?? "no details"}",
                    isTransient: false, job["error"]?["code"]?.GetValue<int>()),
                _ => false,
            };
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(string Id, DnsCname Record)?> FindAsync(Session session, string name, CancellationToken cancellationToken)
    {
        var wanted = DnsRecordNames.Relative(name);
        using var request = session.Request(HttpMethod.Get, $"records?type=CNAME&name={Uri.EscapeDataString(wanted)}");
        var reply = await SendAsync(session.Call, request, $"GET records {name}", cancellationToken).ConfigureAwait(false);
        var found = JsonNode.Parse(reply.Text)?["records"]?.AsArray()
            .FirstOrDefault(r => DnsRecordNames.Relative((string?)r?["name"] ?? "") == wanted && (string?)r?["type"] == "CNAME");
        return found is null
            ? null
            : ((string)found["id"]!, new DnsCname(wanted, DnsRecordNames.Relative((string?)found["data"] ?? ""), (int)found["ttl"]!));
    }

    private static async Task<Session> SessionAsync(DnsCall call, CancellationToken cancellationToken)
    {
        var identity = new Uri(call.Required(Vendor, IdentityUrl).TrimEnd('/') + "/");
        using var auth = new HttpRequestMessage(HttpMethod.Post, new Uri(identity, "tokens"))
        {
            Content = DnsCalls.Json(new JsonObject
            {
                ["auth"] = new JsonObject
                {
                    ["RAX-KSKEY:apiKeyCredentials"] = new JsonObject
                    {
                        ["username"] = call.Required(Vendor, Username), ["apiKey"] = call.Required(Vendor, ApiKey),
                    },
                },
            }),
        };
        var reply = await SendAsync(call, auth, "POST tokens (Identity)", cancellationToken).ConfigureAwait(false);
        var token = (string?)JsonNode.Parse(reply.Text)?["access"]?["token"]?["id"]
            ?? throw new CdnDriverException("Rackspace Identity issued no token.", isTransient: false, reply.StatusCode);

        using var domains = new HttpRequestMessage(HttpMethod.Get, new Uri(call.ApiEndpoint, $"domains?name={Uri.EscapeDataString(call.Zone)}"));
        domains.Headers.Add("X-Auth-Token", token);
        var found = await SendAsync(call, domains, $"GET domains {call.Zone}", cancellationToken).ConfigureAwait(false);
        var domainId = JsonNode.Parse(found.Text)?["domains"]?.AsArray()
                .FirstOrDefault(d => DnsRecordNames.Relative((string?)d?["name"] ?? "") == call.Zone)?["id"]?.ToJsonString()
            ?? throw new CdnDriverException($"{Vendor} has no domain named {call.Zone}.", isTransient: false, statusCode: 404);
        return new Session(call, token, domainId);
    }

    /// <summary>
    /// Sends and reads; a failed answer throws with Cloud DNS's message (<c>validationErrors</c>, <c>details</c>, or the
    /// wrapped <c>{"overLimit":{…}}</c> forms). 413 <c>overLimit</c> is its throttling: transient, with its Retry-After.
    /// </summary>
    private static async Task<VendorReply> SendAsync(DnsCall call, HttpRequestMessage request, string what, CancellationToken cancellationToken)
    {
        var reply = await VendorHttp.SendAsync(call.ToProviderCall(), request, Vendor, what, cancellationToken).ConfigureAwait(false);
        if (reply.IsSuccess)
        {
            return reply;
        }

        JsonNode? body = null;
        try
        {
            body = JsonNode.Parse(reply.Text);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        var wrapped = body is JsonObject { Count: 1 } o && o.First().Value is JsonObject inner && inner.ContainsKey("code") ? (o.First().Key, inner) : default;
        var validation = body?["validationErrors"]?["messages"]?.AsArray().Select(m => (string?)m).Where(m => m is not null);
        var message = validation is not null && validation.Any() ? string.Join("; ", validation)
            : (string?)(wrapped.inner ?? body)?["details"] ?? (string?)(wrapped.inner ?? body)?["message"] ?? reply.ReasonPhrase;
        var overLimit = reply.StatusCode == 413 && wrapped.Key == "overLimit";
        throw VendorHttp.Failure(reply, $"{Vendor} answered {reply.StatusCode} to {what}: {message}", transient: overLimit ? true : null);
    }

    private sealed record Session(DnsCall Call, string Token, string DomainId)
    {
        public HttpRequestMessage Request(HttpMethod method, string path)
        {
            var request = new HttpRequestMessage(method, new Uri(Call.ApiEndpoint, $"domains/{DomainId}/{path}"));
            request.Headers.Add("X-Auth-Token", Token);
            return request;
        }

        /// <summary>Names the domain only: the token is a secret.</summary>
        public override string ToString() => $"Session {{ DomainId = {DomainId} }}";
    }
}
