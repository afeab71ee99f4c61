using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Providers.Http;

namespace Poppy.Portal.Providers.Dns;

/// <summary>What the DNS drivers share: credentials, the vendor HTTP helper, JSON bodies, and polling a vendor's change.</summary>
internal static class DnsCalls
{
    /// <summary>The vendor HTTP helper's view of a DNS call: an account-level call (no portal service).</summary>
    public static ProviderCall ToProviderCall(this DnsCall call) =>
        new(Guid.Empty, null, call.ApiEndpoint, call.Credentials, call.Http, call.Clock);

    /// <summary>A credential field the account must have; its absence is a permanent error found before anything is sent.</summary>
    public static string Required(this DnsCall call, string vendor, string key) =>
        call.Credentials.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new CdnDriverException($"The {vendor} account has no '{key}'.", isTransient: false);

    public static string? Optional(this DnsCall call, string key) =>
        call.Credentials.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>Sends and reads; a failed answer throws with the vendor's own message from <paramref name="message"/>.</summary>
    public static async Task<VendorReply> SendAsync(DnsCall call, HttpRequestMessage request, string vendor, string what,
        Func<VendorReply, string?> message, CancellationToken cancellationToken, params int[] alsoAccept)
    {
        var reply = await VendorHttp.SendAsync(call.ToProviderCall(), request, vendor, what, cancellationToken).ConfigureAwait(false);
        if (reply.IsSuccess || alsoAccept.Contains(reply.StatusCode))
        {
            return reply;
        }

        var said = message(reply) ?? (string.IsNullOrWhiteSpace(reply.Text) ? reply.ReasonPhrase : Truncate(reply.Text));
        throw VendorHttp.Failure(reply, $"{vendor} answered {reply.StatusCode} to {what}: {said}");
    }

    /// <summary>A JSON body's string member, or null when the body is not JSON or has no such member.</summary>
    public static string? JsonString(string text, params string[] path)
    {
        try
        {
            JsonNode? node = JsonNode.Parse(text);
            foreach (var step in path)
            {
                node = node is JsonObject o ? o[step] : null;
            }

            return node is JsonValue value && value.TryGetValue<string>(out var s) ? s : node?.ToJsonString();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Polls <paramref name="poll"/> every <see cref="DnsCall.PollInterval"/> until it says the change is done, for at most
    /// <see cref="DnsCall.ChangeTimeout"/> on the call's clock; then a transient error (the change may still finish).
    /// </summary>
    public static async Task PollUntilDoneAsync(DnsCall call, string vendor, string what, Func<CancellationToken, Task<bool>> poll, CancellationToken cancellationToken)
    {
        var deadline = call.Clock.GetUtcNow() + call.ChangeTimeout;
        while (!await poll(cancellationToken).ConfigureAwait(false))
        {
            if (call.Clock.GetUtcNow() >= deadline)
            {
                throw new CdnDriverException($"{vendor} did not finish {what} within {call.ChangeTimeout.TotalSeconds:0} s.", isTransient: true);
            }

            await Task.Delay(call.PollInterval, call.Clock, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text.Trim() : text[..300].Trim() + "…";
}
