using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using Poppy.Portal.Core.Drivers;

namespace Poppy.Portal.Core.Features.Provisioning;

/// <summary>
/// Per provider account: the HTTP client its drivers call the vendor with (a circuit breaker over its requests,
/// concurrency and rate limits), and the Polly pipeline every driver call runs in (retry with jittered exponential
/// backoff honouring Retry-After, then a timeout per attempt). One instance per process, so all jobs share an
/// account's limits and circuit.
/// </summary>
public sealed class ProviderResilience : IDisposable
{
    private readonly ProvisioningOptions options;
    private readonly TimeProvider clock;
    private readonly SocketsHttpHandler sockets = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };
    private readonly ConcurrentDictionary<Guid, Lazy<AccountLane>> lanes = new();

    public ProviderResilience(IOptions<ProvisioningOptions> options, TimeProvider clock)
    {
        this.options = options.Value;
        this.clock = clock;
        DiagnosticHttpClient = new HttpClient(sockets, disposeHandler: false) { Timeout = this.options.ConnectionTestTimeout };
    }

    /// <summary>The client for vendor calls of <paramref name="accountId"/>.</summary>
    public HttpClient HttpClientFor(Guid accountId) => Lane(accountId).Http;

    /// <summary>
    /// For checks an administrator asks for (Test connection): the shared connection pool, but none of an account's
    /// retries, limits or circuit, so it reports the vendor as it answers now (an open circuit does not hide a vendor
    /// that has recovered) and its failures count against no account. Gives up after
    /// <see cref="ProvisioningOptions.ConnectionTestTimeout"/>.
    /// </summary>
    public HttpClient DiagnosticHttpClient { get; }

    /// <summary>
    /// Runs <paramref name="call"/> with the account's retries and timeout. <paramref name="attempts"/>
    /// is told of every attempt, so the operation's record counts retries too. Throws the last error when the retries of
    /// this run are spent, or <see cref="BrokenCircuitException"/> while the account's circuit is open.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Guid accountId, Func<CancellationToken, Task<T>> call, Action attempts, CancellationToken cancellationToken)
    {
        var previous = CountAttempt.Value;
        // Request-level retries below count too; the callback flows to them with the async context.
        CountAttempt.Value = attempts;
        try
        {
            return await Lane(accountId).Pipeline.ExecuteAsync(async token =>
            {
                attempts();
                return await call(token);
            }, cancellationToken);
        }
        finally
        {
            CountAttempt.Value = previous;
        }
    }

    private static readonly AsyncLocal<Action?> CountAttempt = new();

    /// <summary>The account's circuit as this process sees it; closed when the account has not been called yet.</summary>
    public CircuitState CircuitStateOf(Guid accountId) =>
        lanes.TryGetValue(accountId, out var lane) && lane.IsValueCreated ? lane.Value.Circuit.CircuitState : CircuitState.Closed;

    /// <summary>
    /// Whether the account's circuit refuses calls now: isolated, or open with its break not yet over. (Polly leaves an
    /// open circuit "open" until the next call after the break; that call is let through, so the account is not
    /// refused then.) Edge probes skip such an account rather than blame its edge.
    /// </summary>
    public bool IsCircuitBlocking(Guid accountId)
    {
        if (!lanes.TryGetValue(accountId, out var lane) || !lane.IsValueCreated)
        {
            return false;
        }
        return lane.Value.Circuit.CircuitState switch
        {
            CircuitState.Isolated => true,
            CircuitState.Open => clock.GetUtcNow().UtcTicks < lane.Value.OpenUntil.Ticks,
            _ => false,
        };
    }

    /// <summary>Whether a failure is worth trying again: the vendor said so, or the call timed out or met an open circuit.</summary>
    public static bool IsTransient(Exception exception) => exception is
        CdnDriverException { IsTransient: true } or TimeoutRejectedException or BrokenCircuitException;

    /// <summary>When the failure itself says how long to wait (a Retry-After, an open circuit), that wait.</summary>
    public static TimeSpan? SuggestedDelay(Exception exception) => exception switch
    {
        CdnDriverException { RetryAfter: { } retryAfter } => retryAfter,
        BrokenCircuitException { RetryAfter: { } retryAfter } => retryAfter,
        _ => null,
    };

    public void Dispose()
    {
        foreach (var lane in lanes.Values.Where(l => l.IsValueCreated))
        {
            lane.Value.Dispose();
        }
        DiagnosticHttpClient.Dispose();
        sockets.Dispose();
    }

    private AccountLane Lane(Guid accountId) => lanes.GetOrAdd(accountId, _ => new Lazy<AccountLane>(CreateLane)).Value;

    private AccountLane CreateLane()
    {
        var circuit = new CircuitBreakerStateProvider();
        var openUntil = new OpenUntil();
        var limits = options.Limits;
        var concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = limits.MaxConcurrentRequests,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        var rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.RequestsPerSecond,
            TokensPerPeriod = limits.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        var requestRetry = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException } => true,
                    { Result: { } response } => VendorAnswers.IsTransient(VendorAnswers.Classify(response.StatusCode))
                        && !(RetryAfter(response) > options.RetryMaxDelay),
                    _ => false,
                }),
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response ? RetryAfter(response) : null),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    CountAttempt.Value?.Invoke();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        // The circuit counts vendor requests, not driver steps: a step makes up to ~15 requests, so a few percent of
        // failed requests fail a third of the steps, which would open a step-level circuit on a vendor that is up.
        // Which failures count is CircuitFailureRule's: never a refusal or throttling, never one service's 500s alone.
        var rule = new CircuitFailureRule(options.CircuitBreaker.SamplingDuration, clock);
        var breaker = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = clock }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException } => rule.Counts(VendorAnswerKind.Unavailable, null),
                    // HttpClient's timeout (not the caller giving up): no answer in time.
                    { Exception: OperationCanceledException } => !args.Context.CancellationToken.IsCancellationRequested
                        && rule.Counts(VendorAnswerKind.Unavailable, null),
                    { Result: { } response } => rule.Counts(VendorAnswers.Classify(response.StatusCode), ServiceOf(response.RequestMessage)),
                    _ => false,
                }),
                FailureRatio = options.CircuitBreaker.FailureRatio,
                MinimumThroughput = options.CircuitBreaker.MinimumThroughput,
                SamplingDuration = options.CircuitBreaker.SamplingDuration,
                BreakDuration = options.CircuitBreaker.BreakDuration,
                StateProvider = circuit,
                OnOpened = args =>
                {
                    openUntil.Ticks = (clock.GetUtcNow() + args.BreakDuration).UtcTicks;
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        var handlers = new RequestRetryHandler(requestRetry)
        {
            InnerHandler = new CircuitBreakingHandler(breaker) { InnerHandler = new RateLimitingHandler(rate, concurrency) { InnerHandler = sockets } },
        };
        var http = new HttpClient(handlers, disposeHandler: false)
        {
            // Polly's per-attempt timeout governs; this only stops a request that outlives it.
            Timeout = options.AttemptTimeout + TimeSpan.FromSeconds(5),
        };

        var pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                // A Retry-After longer than we wait in one run ends the run; the job comes back after it.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => IsTransient(e) && !(SuggestedDelay(e) > options.RetryMaxDelay)),
                MaxRetryAttempts = options.RetriesPerRun,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is { } e ? SuggestedDelay(e) : null),
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
        return new AccountLane(http, pipeline, circuit, openUntil, rate, concurrency);
    }

    /// <summary>When the circuit's current break ends (UTC ticks): Polly moves an open circuit on only when a call comes.</summary>
    private sealed class OpenUntil
    {
        private long ticks;

        public long Ticks
        {
            get => Interlocked.Read(ref ticks);
            set => Interlocked.Exchange(ref ticks, value);
        }
    }

    private sealed record AccountLane(HttpClient Http, ResiliencePipeline Pipeline, CircuitBreakerStateProvider Circuit, OpenUntil OpenUntil,
        RateLimiter Rate, RateLimiter Concurrency) : IDisposable
    {
        public void Dispose()
        {
            Http.Dispose();
            Rate.Dispose();
            Concurrency.Dispose();
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) => VendorAnswers.RetryAfter(response, clock.GetUtcNow());

    private static Guid? ServiceOf(HttpRequestMessage? request) =>
        request is not null && request.Options.TryGetValue(ProviderRequestOptions.ServiceId, out var serviceId) ? serviceId : null;

    /// <summary>
    /// Repeats a single request that met a transient answer (5xx, 429, a dropped connection), so one bad response
    /// does not cost a whole driver step. Only requests that are safe to send twice: idempotent methods and those the
    /// driver marked <see cref="ProviderRequestOptions.SafeToRepeat"/>; and a signature with a nonce (EdgeGrid,
    /// OAuth 1.0a) only when the driver said how to sign again (<see cref="ProviderRequestOptions.Resign"/>), since a
    /// vendor may refuse a replayed nonce. Everything else is retried by the driver-call pipeline, where the driver
    /// first looks up what the failed call left behind.
    /// </summary>
    private sealed class RequestRetryHandler(ResiliencePipeline<HttpResponseMessage> retry) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var idempotent = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Put
                || request.Method == HttpMethod.Delete
                || (request.Options.TryGetValue(ProviderRequestOptions.SafeToRepeat, out var safe) && safe);
            request.Options.TryGetValue(ProviderRequestOptions.Resign, out var resign);
            var nonceSigned = request.Headers.TryGetValues("Authorization", out var authorization)
                && authorization.Any(a => a.StartsWith("EG1-HMAC-SHA256 ", StringComparison.Ordinal) || a.StartsWith("OAuth ", StringComparison.Ordinal));
            if (!idempotent || (nonceSigned && resign is null))
            {
                return base.SendAsync(request, cancellationToken);
            }
            var sent = 0;
            return retry.ExecuteAsync(async token =>
            {
                if (sent++ > 0 && resign is not null)
                {
                    await resign(request, token);
                }
                return await base.SendAsync(request, token);
            }, cancellationToken).AsTask();
        }
    }

    /// <summary>Sends each vendor request through the account's circuit: refused at once (BrokenCircuitException) while open.</summary>
    private sealed class CircuitBreakingHandler(ResiliencePipeline<HttpResponseMessage> breaker) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            breaker.ExecuteAsync(token => new ValueTask<HttpResponseMessage>(base.SendAsync(request, token)), cancellationToken).AsTask();
    }

    /// <summary>Holds each vendor request until the account's rate and concurrency limits let it go.</summary>
    private sealed class RateLimitingHandler(RateLimiter rate, RateLimiter concurrency) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using (await rate.AcquireAsync(1, cancellationToken))
            {
            }
            using var slot = await concurrency.AcquireAsync(1, cancellationToken);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
