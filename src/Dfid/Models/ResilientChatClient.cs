using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Dfid.Models;

/// <summary>
/// Per attempt: a concurrency slot, then a rate-limit slot, then the request under a timeout. Around the attempts:
/// retries with exponential backoff and jitter for 429, 5xx, timeouts and dropped connections (Retry-After honoured,
/// capped by the max delay); 400/401/403 and unreadable answers are never retried. Throws <see cref="ModelCallException"/>.
/// </summary>
internal sealed class ResilientChatClient : DelegatingChatClient
{
    public const string AttemptsKey = "dfid.attempts";
    private readonly string _model;
    private readonly SemaphoreSlim _concurrency;
    private readonly RequestLimiter _limiter;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _timeout;
    private readonly UsageMeter _meter;
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger _logger;

    public ResilientChatClient(IChatClient inner, string model, ModelLayerOptions options, SemaphoreSlim concurrency,
        RequestLimiter limiter, TimeProvider clock, Func<double> randomizer, UsageMeter meter, ILogger logger) : base(inner)
    {
        _logger = logger;
        _model = model;
        _concurrency = concurrency;
        _limiter = limiter;
        _clock = clock;
        _timeout = options.RequestTimeout;
        _meter = meter;
        var maxDelay = options.RetryMaxDelay;
        _pipeline = options.MaxRetries == 0 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = maxDelay,
                Randomizer = randomizer,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is AttemptFailedException { Transient: true }),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is AttemptFailedException { RetryAfter: { } ra }
                    ? (TimeSpan?)(ra > maxDelay ? maxDelay : ra)
                    : null),
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is AttemptFailedException f)
                        ModelLog.RetryScheduled(_logger, _model, args.AttemptNumber + 1, f.Kind, f.Detail, args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .Build();
    }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var tokens = TokenEstimate.Prompt(list) + (options?.MaxOutputTokens ?? 0);
        options = ResponseCacheChatClient.WithoutDfidProperties(options);
        var attempts = 0;
        try
        {
            var response = await _pipeline.ExecuteAsync(async ct =>
            {
                attempts++;
                return await AttemptAsync(list, options, tokens, ct);
            }, cancellationToken);
            (response.AdditionalProperties ??= [])[AttemptsKey] = attempts;
            return response;
        }
        catch (AttemptFailedException f)
        {
            ModelLog.CallFailed(_logger, _model, attempts, f.Kind, f.Detail);
            throw new ModelCallException(_model, f.Kind, attempts, f.Status, f.Detail, f.InnerException);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Streams are not retried (a partial stream cannot be replayed); they get the concurrency and rate limits.
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        options = ResponseCacheChatClient.WithoutDfidProperties(options);
        await _concurrency.WaitAsync(cancellationToken);
        try
        {
            await _limiter.AcquireAsync(TokenEstimate.Prompt(list) + (options?.MaxOutputTokens ?? 0), cancellationToken);
            _meter.RecordRequest();
            await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken)) yield return update;
        }
        finally { _concurrency.Release(); }
    }

    private async ValueTask<ChatResponse> AttemptAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, long tokens, CancellationToken ct)
    {
        await _concurrency.WaitAsync(ct);
        try
        {
            await _limiter.AcquireAsync(tokens, ct);
            _meter.RecordRequest();
            var retryAfter = RetryAfterCapture.Begin();
            using var timeout = new CancellationTokenSource(_timeout, _clock);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            try
            {
                return await base.GetResponseAsync(messages, options, linked.Token);
            }
            catch (OperationCanceledException ex) when (!ct.IsCancellationRequested && timeout.IsCancellationRequested)
            {
                throw new AttemptFailedException(ModelFailureKind.Timeout, null, null, $"no answer within {_timeout.TotalSeconds:0.#} s", ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                if (ex is OperationCanceledException && timeout.IsCancellationRequested)
                    throw new AttemptFailedException(ModelFailureKind.Timeout, null, null, $"no answer within {_timeout.TotalSeconds:0.#} s", ex);
                var failure = FailureClassifier.Classify(ex, _clock.GetUtcNow());
                throw failure.RetryAfter is null && retryAfter.Value is { } ra
                    ? new AttemptFailedException(failure.Kind, failure.Status, ra, failure.Detail, failure.InnerException)
                    : failure;
            }
        }
        finally { _concurrency.Release(); }
    }
}

/// <summary>Token estimates for limits and budgets before the provider reports real numbers (4 characters ≈ 1 token).</summary>
internal static class TokenEstimate
{
    public static long Prompt(IReadOnlyList<ChatMessage> messages)
    {
        long chars = 0;
        foreach (var m in messages) chars += (m.Text?.Length ?? 0) + 8;
        return Math.Max(1, chars / 4);
    }
}
