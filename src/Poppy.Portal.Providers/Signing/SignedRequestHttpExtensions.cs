using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Poppy.Portal.Providers.Signing;

/// <summary>Builds a <see cref="SignedRequest"/> from an ASP.NET Core request, for the simulators' verifiers.</summary>
public static class SignedRequestHttpExtensions
{
    /// <summary>The body size <see cref="ReadSignedRequestAsync(HttpRequest, CancellationToken)"/> buffers at most: 16 MiB.</summary>
    public const int DefaultMaxBodyBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Reads the request as it came on the wire: the RAW request target (<see cref="HttpRequest.Path"/> is already
    /// decoded and would sign differently), every header line, and the body. The body is buffered and rewound, so the
    /// endpoint can read it again afterwards.
    /// </summary>
    /// <param name="request">The incoming request.</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    public static Task<SignedRequest> ReadSignedRequestAsync(this HttpRequest request, CancellationToken cancellationToken) =>
        request.ReadSignedRequestAsync(DefaultMaxBodyBytes, cancellationToken);

    /// <inheritdoc cref="ReadSignedRequestAsync(HttpRequest, CancellationToken)"/>
    /// <param name="request">The incoming request.</param>
    /// <param name="maxBodyBytes">A larger body is refused with <see cref="InvalidDataException"/> instead of buffered.</param>
    /// <param name="cancellationToken">Cancels reading the body.</param>
    public static async Task<SignedRequest> ReadSignedRequestAsync(this HttpRequest request, int maxBodyBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rawTarget = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(rawTarget) || rawTarget[0] != '/')
            rawTarget = request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers)
            foreach (var value in values)
                if (value is not null) headers.Add(new(name, value));

        request.EnableBuffering();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBodyBytes)
                throw new InvalidDataException($"The request body is larger than {maxBodyBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        request.Body.Position = 0;

        return new SignedRequest(request.Method, request.Scheme, request.Host.Value ?? "", rawTarget, headers, buffer.ToArray());
    }
}
