using System.Net;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Poppy.Portal.Core.Drivers;
using Poppy.Portal.Providers.Http;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Providers.Cdn.CloudFront;

/// <summary>A CloudFront answer: the XML body (null when empty) and the ETag; an error code the caller chose to handle.</summary>
internal sealed record CloudFrontResponse(HttpStatusCode Status, XElement? Body, string? ETag, string? ErrorCode = null, string? ErrorMessage = null)
{
    public bool Succeeded => ErrorCode is null;
}

/// <summary>
/// Signed REST-XML calls against one account. Each request is signed just before it is sent, at the call's clock, so
/// a retry by the caller carries a fresh signature. Vendor errors become <see cref="CdnDriverException"/> through
/// <see cref="VendorHttp"/>.
/// </summary>
internal sealed class CloudFrontClient
{
    public const string Version = "2020-05-31";

    /// <summary>
    /// Codes that a later attempt can get past: CloudFront throttles with HTTP 400 <c>Throttling</c> (not 429); a
    /// <c>PreconditionFailed</c> means someone changed the distribution since we read its ETag (the next attempt reads it
    /// again); too many invalidations in progress clears as they complete.
    /// </summary>
    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "ServiceUnavailable", "InternalError",
        "PreconditionFailed", "TooManyInvalidationsInProgress",
    };

    private readonly ProviderCall call;
    private readonly AwsSigV4Signer signer;

    public CloudFrontClient(ProviderCall call)
    {
        this.call = call;
        var accessKey = Credential(call, "access_key_id");
        var secret = Credential(call, "secret_access_key");
        var region = call.Credentials.TryGetValue("region", out var r) && !string.IsNullOrWhiteSpace(r) ? r.Trim() : "us-east-1";
        signer = new AwsSigV4Signer(new AwsCredentials(accessKey, secret), region, "cloudfront");
    }

    /// <summary>Sends a signed request; an error whose code is in <paramref name="handled"/> is returned, any other throws.</summary>
    public async Task<CloudFrontResponse> SendAsync(
        HttpMethod method, string path, XElement? body, string? ifMatch, CancellationToken cancellationToken, params string[] handled)
    {
        using var request = new HttpRequestMessage(method, new Uri(call.ApiEndpoint, $"{Version}/{path}"));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToString(SaveOptions.DisableFormatting), Encoding.UTF8, "text/xml");
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        // A create carrying a CallerReference (distribution, invalidation) is idempotent at CloudFront: safe to resend.
        request.Options.Set(ProviderRequestOptions.SafeToRepeat, body?.Elements().Any(e => e.Name.LocalName == "CallerReference") == true);
        await signer.SignAsync(request, call.Clock.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var reply = await VendorHttp.SendAsync(call, request, "CloudFront", $"{method} {path}", cancellationToken).ConfigureAwait(false);
        var xml = Parse(reply.Text);
        if (reply.IsSuccess)
        {
            return new CloudFrontResponse(reply.Status, xml, reply.Headers.ETag?.Tag.Trim('"') ?? reply.Header("ETag"));
        }

        var error = xml?.Element(xml.Name.Namespace + "Error");
        var code = error?.Element(error.Name.Namespace + "Code")?.Value ?? "";
        var message = error?.Element(error.Name.Namespace + "Message")?.Value ?? (reply.Text.Length > 0 && xml is null ? reply.Text : reply.ReasonPhrase ?? "");
        if (handled.Contains(code))
        {
            return new CloudFrontResponse(reply.Status, xml, null, code, message);
        }

        // CloudFront's throttling and races come as 400s with a code: transient although the status says refused.
        throw VendorHttp.Failure(reply, $"CloudFront {method} {path} failed with {reply.StatusCode} {code}: {message}",
            transient: TransientCodes.Contains(code) ? true : null);
    }

    private static XElement? Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return XElement.Parse(text);
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static string Credential(ProviderCall call, string key) =>
        call.Credentials.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value.Trim()
            : throw new CdnDriverException($"The CloudFront account has no {key}.", isTransient: false);
}
