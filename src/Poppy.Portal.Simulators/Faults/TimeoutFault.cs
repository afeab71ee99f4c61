using Microsoft.AspNetCore.Http;

namespace Poppy.Portal.Simulators.Faults;

/// <summary>The "timeout" fault, the same for every simulated vendor, CDN or DNS.</summary>
public static class TimeoutFault
{
    /// <summary>Hangs until the client gives up (or the simulator stops), then drops the connection without an answer.</summary>
    public static async Task<IResult> HangThenDropAsync(HttpContext http, TimeSpan hang, CancellationToken stopping)
    {
        using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping))
        {
            try
            {
                await Task.Delay(hang, waiting.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        http.Abort();
        return Results.Empty;
    }
}
