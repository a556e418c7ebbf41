using Dfid.Models;
using Dfid.Store;

namespace Dfid.Running;

/// <summary>
/// What every way of running work shares (the online probe runner, a rollout runner, a batch executor): the one place
/// where a model-backed step's answer (or exception, through <see cref="AnswerGuard"/>) is written to the store and
/// counted, and the one stop signal of the session.
/// </summary>
/// <remarks>
/// A stop (the budget cap) cancels <see cref="Token"/>: work in flight is dropped, not stored, so the next session with a
/// higher cap redoes it; everything stored stays. Counters are for this session only. Thread-safe.
/// </remarks>
internal sealed class RunRecorder : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly CancellationToken _user;
    private long _calls, _cacheHits, _failures, _tokens, _cachedTokens;
    private string? _stopReason;

    /// <summary>Creates the recorder over <paramref name="store"/>; <paramref name="cancellationToken"/> is the user's Ctrl-C.</summary>
    public RunRecorder(IRunStoreWriter store, CancellationToken cancellationToken)
    {
        Store = store;
        _user = cancellationToken;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Where answers go.</summary>
    public IRunStoreWriter Store { get; }

    /// <summary>Cancelled by the user or by a stop: schedule no more work once it is.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Why the session stopped early, or null.</summary>
    public string? StopReason => Volatile.Read(ref _stopReason);

    /// <summary>Whether the user cancelled the session.</summary>
    public bool Interrupted => _user.IsCancellationRequested;

    /// <summary>Model answers this session (cache hits included).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Answers served from the response cache this session.</summary>
    public long CacheHits => Interlocked.Read(ref _cacheHits);

    /// <summary>Failed answers this session.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Prompt plus completion tokens this session.</summary>
    public long Tokens => Interlocked.Read(ref _tokens);

    /// <summary>Prompt tokens the providers served from their prompt caches this session (when they report it).</summary>
    public long CachedPromptTokens => Interlocked.Read(ref _cachedTokens);

    /// <summary>Ends the session (the first reason wins).</summary>
    public void Stop(string reason)
    {
        Interlocked.CompareExchange(ref _stopReason, reason, null);
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>
    /// Runs one step, writes its answer with <paramref name="write"/> and counts it; returns the answer, or null when the
    /// session ended first (cancelled or stopped: nothing is written) or, in batch execution, when the step's answer waits
    /// for a provider batch (<see cref="Models.Batch.AnswerDeferredException"/>: nothing is written, the step runs again
    /// once the batch has ended; <see cref="Token"/> is not cancelled then).
    /// </summary>
    public async Task<Answer<T>?> RecordAsync<T>(Func<CancellationToken, Task<Answer<T>>> step, string? model, Action<IRunStoreWriter, Answer<T>> write)
    {
        Answer<T> answer;
        try
        {
            answer = await AnswerGuard.RunAsync(step, model, Token);
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            return null;
        }
        catch (Models.Batch.AnswerDeferredException)
        {
            return null;
        }
        catch (Exception ex) when (AnswerGuard.IsStop(ex))
        {
            Stop(ex.Message);
            return null;
        }
        if (Token.IsCancellationRequested) return null;
        Count(answer);
        write(Store, answer);
        return answer;
    }

    private void Count<T>(Answer<T> answer)
    {
        // A simulated exit is an answer (the user left), not a failure.
        if (!answer.IsOk && answer.Status != AnswerStatus.Exit) Interlocked.Increment(ref _failures);
        if (answer.Call is not { } call) return;
        Interlocked.Increment(ref _calls);
        if (call.CacheHit) Interlocked.Increment(ref _cacheHits);
        Interlocked.Add(ref _tokens, (call.PromptTokens ?? 0) + (call.CompletionTokens ?? 0));
        if (call.CachedPromptTokens is { } cached) Interlocked.Add(ref _cachedTokens, cached);
    }

    /// <inheritdoc/>
    public void Dispose() => _stop.Dispose();
}
