using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Poppy.Portal.Core.Features.Access;
using Poppy.Portal.Core.Features.Provisioning;
using Poppy.Portal.Core.Features.Services;
using Poppy.Portal.Core.Features.Users;
using Poppy.Portal.Web.Hosting;

namespace Poppy.Portal.Web.Features.Services;

/// <summary>
/// Live provisioning progress of one service (Server-Sent Events, consumed by htmx's SSE extension), the retry of a
/// failed operation (a plain form post from the service page and the jobs page), and an administrator's "remove without
/// the vendor" of a failed removal (a form post from the service page's provisioning card).
/// </summary>
public static class ServiceProgressEndpoints
{
    /// <summary>The named event that tells the page the service is gone; the page's hx-sse:close stops listening on it.</summary>
    public const string ArchivedEvent = "archived";

    /// <summary>How long the stream waits for a change in this process before it reads the database anyway (changes made by other processes).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    /// <param name="pageStatus">The status the page shows; the stream points out when it has changed.</param>
    public static string EventsPath(Guid serviceId, ServiceStatus pageStatus) => $"/services/{serviceId}/progress/events?since={pageStatus.WireName()}";

    public static string RetryPath(long operationId) => $"/jobs/operations/{operationId}/retry";

    public static string AbandonPath(long operationId) => $"/jobs/operations/{operationId}/abandon";

    public static IEndpointRouteBuilder MapServiceProgressEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/services/{id:guid}/progress/events", ProgressEventsAsync);
        // [FromForm] makes the antiforgery middleware check the token; Viewers are refused by ViewerWriteGuardMiddleware.
        endpoints.MapPost("/jobs/operations/{operationId:long}/retry", RetryAsync);
        // Administrators only: giving up on a vendor leaves whatever it still holds there.
        endpoints.MapPost("/jobs/operations/{operationId:long}/abandon", AbandonAsync).RequireAuthorization(p => p.RequireRole(PortalRoles.Admin));
        return endpoints;
    }

    private static async Task<IResult> ProgressEventsAsync(Guid id, string? since, HttpContext context, ProvisioningOperations operations,
        ICurrentActor actor, IAntiforgery antiforgery, ProvisioningEvents events, TimeProvider clock, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        // Unknown and other projects' services (a token's restriction included) get the same answer, so ids are not confirmed.
        var service = await operations.FindServiceAsync(id, cancellationToken);
        if (service is null)
        {
            return TypedResults.NotFound();
        }
        var canRetry = actor.Actor.MayChange;
        var canAbandon = actor.Actor.IsAdmin;
        // The page set the antiforgery cookie; a request token for it stays valid for the whole stream.
        var token = canRetry ? antiforgery.GetTokens(context).RequestToken : null;
        context.Response.Headers.CacheControl = "no-cache";
        ServiceStatus? pageStatus = ServiceStatuses.All.Cast<ServiceStatus?>().FirstOrDefault(s => s!.Value.WireName() == since);
        return TypedResults.ServerSentEvents(StreamAsync(id, pageStatus, canRetry, canAbandon, token, context.RequestServices, operations, events, clock, loggers,
            cancellationToken));
    }

    /// <summary>
    /// Sends the card whenever it differs from the last one sent, checking at every provisioning change in this process
    /// and at least every <see cref="PollInterval"/>; ends (and says so) when the service has been deleted.
    /// </summary>
    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(Guid id, ServiceStatus? pageStatus, bool canRetry, bool canAbandon, string? token,
        IServiceProvider services,
        ProvisioningOperations operations, ProvisioningEvents events, TimeProvider clock, ILoggerFactory loggers,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var renderer = new HtmlRenderer(services, loggers);
        string? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Subscribe before reading, so a change made while this reads and renders is not missed.
            var changed = events.WaitAsync(PollInterval, clock, cancellationToken);
            var service = await operations.FindServiceAsync(id, cancellationToken);
            var archived = service is null || service.ArchivedAt is not null;
            var progress = archived ? new ServiceProgress([], []) : await operations.ForServiceAsync(id, cancellationToken);
            var html = await RenderAsync(renderer, new Dictionary<string, object?>
            {
                [nameof(ProvisioningCard.Service)] = service,
                [nameof(ProvisioningCard.Progress)] = progress,
                [nameof(ProvisioningCard.CanRetry)] = canRetry,
                [nameof(ProvisioningCard.CanAbandon)] = canAbandon,
                [nameof(ProvisioningCard.AntiforgeryToken)] = token,
                [nameof(ProvisioningCard.ReturnUrl)] = $"/services/{id}",
                [nameof(ProvisioningCard.Archived)] = archived,
                [nameof(ProvisioningCard.PageStatus)] = pageStatus,
                [nameof(ProvisioningCard.OutOfBandStatus)] = !archived,
            });
            if (html != last)
            {
                last = html;
                yield return new SseItem<string>(html);
            }
            if (archived)
            {
                yield return new SseItem<string>("deleted", ArchivedEvent);
                yield break;
            }
            if (!await WaitAsync(changed))
            {
                yield break;
            }
        }
    }

    /// <summary>False when the client went away (the wait was cancelled).</summary>
    private static async Task<bool> WaitAsync(Task changed)
    {
        try
        {
            await changed;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static Task<string> RenderAsync(HtmlRenderer renderer, Dictionary<string, object?> parameters) =>
        renderer.Dispatcher.InvokeAsync(async () =>
            (await renderer.RenderComponentAsync<ProvisioningCard>(ParameterView.FromDictionary(parameters))).ToHtmlString());

    /// <summary>
    /// Retries a failed operation for an operator or administrator of its project, then goes back to
    /// <paramref name="returnUrl"/> with the outcome in the query string (retried=1, or retry-error=the reason).
    /// </summary>
    private static async Task<IResult> RetryAsync(long operationId, [FromForm] string? returnUrl, ProvisioningOperations operations,
        CancellationToken cancellationToken)
    {
        // FindAsync sees only the actor's projects; RetryAsync refuses a Viewer.
        var operation = await operations.FindAsync(operationId, cancellationToken);
        if (operation is null)
        {
            return TypedResults.NotFound();
        }
        var result = await operations.RetryAsync(operation.ProjectId, operationId, cancellationToken);
        var back = LocalUrl.OrRoot(returnUrl);
        if (result.IsNotFound)
        {
            return TypedResults.NotFound();
        }
        return TypedResults.LocalRedirect(result.Succeeded
            ? QueryHelpers.AddQueryString(back, "retried", operationId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : QueryHelpers.AddQueryString(back, "retry-error", string.Join(" ", result.Errors.Select(e => e.Message))));
    }

    /// <summary>
    /// "Remove without the vendor" (administrators): gives up on a failed removal that cannot succeed, with the reason the
    /// form gives, then goes back to <paramref name="returnUrl"/> (abandoned=id, or abandon-error=the reason it was
    /// refused); or, when that removed the service from its last provider, to the jobs page, since the service is gone.
    /// </summary>
    private static async Task<IResult> AbandonAsync(long operationId, [FromForm] string? reason, [FromForm] string? returnUrl, ProvisioningOperations operations,
        CancellationToken cancellationToken)
    {
        var operation = await operations.FindAsync(operationId, cancellationToken);
        if (operation is null)
        {
            return TypedResults.NotFound();
        }
        var (result, archived) = await operations.AbandonAsync(operation.ProjectId, operationId, reason, cancellationToken);
        if (result.IsNotFound)
        {
            return TypedResults.NotFound();
        }
        var id = operationId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.LocalRedirect(!result.Succeeded
            ? QueryHelpers.AddQueryString(LocalUrl.OrRoot(returnUrl), "abandon-error", string.Join(" ", result.Errors.Select(e => e.Message)))
            : archived ? QueryHelpers.AddQueryString("/jobs?filter=all", "abandoned", id)
            : QueryHelpers.AddQueryString(LocalUrl.OrRoot(returnUrl), "abandoned", id));
    }
}
