using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Poppy.Portal.Simulators.Hosting;

namespace Poppy.Portal.Simulators.CloudFront;

/// <summary>CloudFront's XML error: <c>&lt;ErrorResponse&gt;&lt;Error&gt;&lt;Type/&gt;&lt;Code/&gt;&lt;Message/&gt;&lt;/Error&gt;&lt;RequestId/&gt;&lt;/ErrorResponse&gt;</c>.</summary>
internal sealed class CloudFrontApiError(int status, string code, string message, string type = "Sender")
    : SimulatedApiError(status, message)
{
    public string Code { get; } = code;

    public static CloudFrontApiError NoSuchDistribution() =>
        new(StatusCodes.Status404NotFound, "NoSuchDistribution", "The specified distribution does not exist.");

    public static CloudFrontApiError Malformed(string detail) =>
        new(StatusCodes.Status400BadRequest, "MalformedXML", detail);

    public static CloudFrontApiError InvalidArgument(string detail) =>
        new(StatusCodes.Status400BadRequest, "InvalidArgument", detail);

    public static CloudFrontApiError MissingIfMatch() =>
        new(StatusCodes.Status400BadRequest, "InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.");

    public static CloudFrontApiError PreconditionFailed() =>
        new(StatusCodes.Status412PreconditionFailed, "PreconditionFailed", "The precondition given in one or more of the request-header fields evaluated to false.");

    public static IResult Body(int status, string code, string message, string type = "Sender")
    {
        var requestId = Guid.NewGuid().ToString();
        var xml = new XElement(CloudFrontXml.Ns + "ErrorResponse",
            new XElement(CloudFrontXml.Ns + "Error",
                new XElement(CloudFrontXml.Ns + "Type", type),
                new XElement(CloudFrontXml.Ns + "Code", code),
                new XElement(CloudFrontXml.Ns + "Message", message)),
            new XElement(CloudFrontXml.Ns + "RequestId", requestId));
        return CloudFrontXml.Result(xml, status).WithHeaders(("x-amzn-RequestId", requestId));
    }

    public override IResult ToResult() => Body(Status, Code, Message, type);
}
