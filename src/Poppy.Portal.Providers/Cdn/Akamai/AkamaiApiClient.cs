using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Providers.Http;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Cdn.Akamai;

/// <summary>
/// EdgeGrid-signed JSON calls to one Akamai API client (host = the account's API endpoint), each signed at the call's
/// clock. Vendor errors become <see cref="CdnDriverException"/> through <see cref="VendorHttp"/> (a 412 version race is
/// transient too).
/// </summary>
internal sealed class AkamaiApiClient
{
    public const string RulesContentType = "application/vnd.akamai.papirules.latest+json";

    private readonly ProviderCall call;
    private readonly EdgeGridSigner signer;

    public AkamaiApiClient(ProviderCall call)
    {
        this.call = call;
        string Credential(string key) => call.Credentials.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new CdnDriverException($"The Akamai account has no {key} credential.", isTransient: false);
        signer = new EdgeGridSigner(new EdgeGridCredentials(Credential("client_token"), Credential("client_secret"), Credential("access_token")));
    }

    public Task<JsonNode?> GetAsync(string path, CancellationToken ct, bool allowNotFound = false) =>
        SendAsync(HttpMethod.Get, path, null, ct, allowNotFound: allowNotFound);

    /// <summary>Signs (or signs again, for a retry) with the current time and a fresh nonce.</summary>
    private Task SignAsync(HttpRequestMessage request, CancellationToken ct) =>
        signer.SignAsync(request, call.Clock.GetUtcNow(), Guid.NewGuid().ToString(), ct);

    /// <summary>Sends one call; returns the JSON body, or null for a 404 when <paramref name="allowNotFound"/>.</summary>
    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct,
        string contentType = "application/json", string? ifMatch = null, bool allowNotFound = false, bool safeToRepeat = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(call.ApiEndpoint, path));
        request.Options.Set(ProviderRequestOptions.SafeToRepeat, safeToRepeat);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{ifMatch}\"");
        }

        request.Headers.Add("PAPI-Use-Prefixes", "true");
        request.Headers.Accept.ParseAdd("application/json");
        request.Options.Set(ProviderRequestOptions.Resign, SignAsync);
        await SignAsync(request, ct).ConfigureAwait(false);

        var reply = await VendorHttp.SendAsync(call, request, "Akamai", $"{method} {Path(path)}", ct).ConfigureAwait(false);
        if (reply.IsSuccess)
        {
            return reply.Text.Length == 0 ? null : JsonNode.Parse(reply.Text);
        }

        if (allowNotFound && reply.Status == HttpStatusCode.NotFound)
        {
            return null;
        }

        throw Error(method, path, reply);
    }

    private static CdnDriverException Error(HttpMethod method, string path, VendorReply reply)
    {
        string? title = null, detail = null;
        try
        {
            if (JsonNode.Parse(reply.Text) is JsonObject problem)
            {
                title = problem["title"]?.ToString();
                detail = problem["detail"]?.ToString();
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not problem JSON (a proxy's page): the status says enough.
        }

        var message = $"Akamai {method} {Path(path)} answered {reply.StatusCode}" + (title is null ? "" : $" {title}") + (detail is null ? "." : $": {detail}");
        // 412: the version changed under us (another writer); reading it again and retrying resolves it.
        return VendorHttp.Failure(reply, message, transient: reply.StatusCode == 412 ? true : null);
    }

    // Query strings carry only contract and group ids, but keep messages short.
    private static string Path(string path) => path.Split('?')[0];
}
