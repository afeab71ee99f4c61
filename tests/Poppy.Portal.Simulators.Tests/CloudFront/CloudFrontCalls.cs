using System.Text;
using System.Xml.Linq;
using Poppy.Portal.Providers.Signing;

namespace Poppy.Portal.Simulators.Tests.CloudFront;

/// <summary>Signed REST-XML calls, as a CloudFront driver makes them (the Providers project's SigV4 signer).</summary>
internal sealed class CloudFrontCalls : IDisposable
{
    public static readonly XNamespace Ns = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

    private readonly HttpClient http;
    private readonly Uri apiBase;

    public CloudFrontCalls(Uri apiBase, TimeProvider clock, AwsCredentials? credentials = null)
    {
        this.apiBase = apiBase;
        var signer = new AwsSigV4Signer(credentials ?? new AwsCredentials("AKIASIMULATOREXAMPLE", "simulatorSecretKey/ForCloudFront0000000000"), "us-east-1", "cloudfront");
        http = new HttpClient(new AwsSigV4SigningHandler(signer, clock) { InnerHandler = new SocketsHttpHandler { UseProxy = false } });
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? xml = null, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, new Uri(apiBase, path.TrimStart('/')));
        if (xml is not null)
        {
            request.Content = new StringContent(xml, Encoding.UTF8, "text/xml");
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return http.SendAsync(request);
    }

    public static async Task<XElement> XmlOf(HttpResponseMessage response) => XElement.Parse(await response.Content.ReadAsStringAsync());

    public static async Task<string> ErrorCodeOf(HttpResponseMessage response)
    {
        var error = await XmlOf(response);
        Assert.Equal("ErrorResponse", error.Name.LocalName);
        Assert.NotNull(error.Element(Ns + "RequestId"));
        Assert.NotEmpty(error.Element(Ns + "Error")!.Element(Ns + "Message")!.Value);
        return error.Element(Ns + "Error")!.Element(Ns + "Code")!.Value;
    }

    /// <summary>A DistributionConfig with one custom origin on the loopback port and legacy TTLs.</summary>
    public static string Config(
        string callerReference, int originPort, bool enabled = true, string comment = "poppy", string? alias = null,
        bool forwardQuery = false, int defaultTtl = 3600, string cacheBehaviors = "<CacheBehaviors><Quantity>0</Quantity></CacheBehaviors>") =>
        $"""
        <DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
          <CallerReference>{callerReference}</CallerReference>
          {(alias is null ? "<Aliases><Quantity>0</Quantity></Aliases>" : $"<Aliases><Quantity>1</Quantity><Items><CNAME>{alias}</CNAME></Items></Aliases>")}
          <DefaultRootObject></DefaultRootObject>
          <Origins><Quantity>1</Quantity><Items><Origin>
            <Id>origin-1</Id><DomainName>127.0.0.1</DomainName><OriginPath></OriginPath>
            <CustomOriginConfig><HTTPPort>{originPort}</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>match-viewer</OriginProtocolPolicy></CustomOriginConfig>
          </Origin></Items></Origins>
          <DefaultCacheBehavior>
            <TargetOriginId>origin-1</TargetOriginId>
            <ForwardedValues><QueryString>{(forwardQuery ? "true" : "false")}</QueryString><Cookies><Forward>none</Forward></Cookies><Headers><Quantity>0</Quantity></Headers></ForwardedValues>
            <TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>
            <ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>
            <MinTTL>0</MinTTL><DefaultTTL>{defaultTtl}</DefaultTTL><MaxTTL>31536000</MaxTTL>
          </DefaultCacheBehavior>
          {cacheBehaviors}
          <Comment>{comment}</Comment>
          <PriceClass>PriceClass_100</PriceClass>
          <Enabled>{(enabled ? "true" : "false")}</Enabled>
          <ViewerCertificate>{(alias is null ? "<CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate>" : "<ACMCertificateArn>arn:aws:acm:us-east-1:123456789012:certificate/sim</ACMCertificateArn><SSLSupportMethod>sni-only</SSLSupportMethod>")}</ViewerCertificate>
        </DistributionConfig>
        """;

    public static string InvalidationBatch(string callerReference, params string[] paths) =>
        $"""
        <InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
          <Paths><Quantity>{paths.Length}</Quantity><Items>{string.Concat(paths.Select(p => $"<Path>{p}</Path>"))}</Items></Paths>
          <CallerReference>{callerReference}</CallerReference>
        </InvalidationBatch>
        """;

    public void Dispose() => http.Dispose();
}
