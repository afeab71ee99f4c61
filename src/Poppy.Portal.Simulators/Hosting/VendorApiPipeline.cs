using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Poppy.Portal.Simulators.Faults;

namespace Poppy.Portal.Simulators.Hosting;

/// <summary>
/// Every vendor API call passes here: injected faults first (they model the vendor's front door), then the
/// vendor's credential check, then the handler; a <see cref="SimulatedApiError"/> becomes the vendor's error body.
/// </summary>
internal static class VendorApiPipeline
{
    public static void MapVendorApi(this IEndpointRouteBuilder app, VendorSimulator vendor, CancellationToken stopping)
    {
        var api = app.MapGroup("/" + vendor.Vendor.PathSegment());
        api.AddEndpointFilter(async (invocation, next) =>
        {
            var http = invocation.HttpContext;
            var fault = await ApplyFaultAsync(vendor, http, stopping);
            if (fault is not null)
            {
                return fault;
            }

            try
            {
                if (http.GetEndpoint()?.Metadata.GetMetadata<AnonymousVendorCall>() is null
                    && await vendor.AuthenticateAsync(http) is { } refusal)
                {
                    return refusal;
                }

                if (vendor.Faults.Profile.FailMatching is { } failing && await MatchesAsync(http, failing.Text))
                {
                    return vendor.Failure(failing.Status, $"The request could not be processed (simulated failure for '{failing.Text}').");
                }

                return await next(invocation);
            }
            catch (SimulatedApiError error)
            {
                return error.ToResult();
            }
        });

        vendor.MapApi(api);
        api.MapFallback((HttpContext http) => vendor.UnknownPath(http));
    }

    /// <summary>
    /// Whether the path and query, or the body, contain <paramref name="text"/>. A form is matched on its decoded values
    /// (a credential check may have read it already, and it stays cached); any other body is buffered, so the handler can
    /// still read it.
    /// </summary>
    private static async Task<bool> MatchesAsync(HttpContext http, string text)
    {
        var request = http.Request;
        if ((request.Path.Value + request.QueryString.Value).Contains(text, StringComparison.Ordinal))
        {
            return true;
        }

        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(http.RequestAborted);
            return form.Any(field => field.Key.Contains(text, StringComparison.Ordinal)
                || field.Value.Any(value => value?.Contains(text, StringComparison.Ordinal) == true));
        }

        return (await HttpHelpers.ReadBodyTextAsync(request)).Contains(text, StringComparison.Ordinal);
    }

    private static async Task<IResult?> ApplyFaultAsync(VendorSimulator vendor, HttpContext http, CancellationToken stopping)
    {
        var decision = vendor.Faults.NextApiRequest();
        if (decision.Delay > TimeSpan.Zero)
        {
            await Task.Delay(decision.Delay, http.RequestAborted);
        }

        switch (decision.Action)
        {
            case FaultAction.Outage or FaultAction.Error:
                return vendor.Unavailable();
            case FaultAction.Throttle:
                return vendor.Throttled(decision.RetryAfterSeconds);
            case FaultAction.Timeout:
                return await TimeoutFault.HangThenDropAsync(http, vendor.Context.Options.TimeoutHang, stopping);
            default:
                return null;
        }
    }
}
