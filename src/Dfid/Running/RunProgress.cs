namespace Dfid.Running;

/// <summary>How a session ended.</summary>
public enum RunEnd
{
    /// <summary>Every piece of work of the run is recorded.</summary>
    Completed,
    /// <summary>Cancelled (Ctrl-C); everything finished is kept.</summary>
    Interrupted,
    /// <summary>The budget cap was reached; everything finished is kept.</summary>
    BudgetReached,
}

/// <summary>Progress of one condition.</summary>
/// <param name="Name">Condition name.</param>
/// <param name="Done">Probes finished (including those finished by earlier sessions).</param>
/// <param name="Total">Probes in the run.</param>
public sealed record ConditionProgress(string Name, int Done, int Total);

/// <summary>A progress snapshot.</summary>
/// <param name="Conditions">Per-condition progress.</param>
/// <param name="ProbesDone">Probes fully finished (all conditions).</param>
/// <param name="ProbesTotal">Probes in the run.</param>
/// <param name="ProbesSkipped">Probes already finished by earlier sessions.</param>
/// <param name="Calls">Model answers this session (cache hits included).</param>
/// <param name="CacheHits">Answers served from the response cache this session.</param>
/// <param name="Failures">Failed answers this session (model errors, invalid answers, empty answers, refusals).</param>
/// <param name="Tokens">Prompt plus completion tokens this session.</param>
/// <param name="CostUsd">Cost so far as the model layer reports it (null: unknown or no model).</param>
/// <param name="Elapsed">Time since this session started.</param>
/// <param name="Eta">Estimated time left, once there is a rate to estimate from.</param>
public sealed record RunProgress(
    IReadOnlyList<ConditionProgress> Conditions,
    int ProbesDone,
    int ProbesTotal,
    int ProbesSkipped,
    long Calls,
    long CacheHits,
    long Failures,
    long Tokens,
    double? CostUsd,
    TimeSpan Elapsed,
    TimeSpan? Eta)
{
    /// <summary>Rollouts finished (including those finished by earlier sessions).</summary>
    public int RolloutsDone { get; init; }

    /// <summary>Rollouts in the run.</summary>
    public int RolloutsTotal { get; init; }

    /// <summary>Rollouts already finished by earlier sessions.</summary>
    public int RolloutsSkipped { get; init; }

    /// <summary>This snapshot with <paramref name="rollouts"/>' conditions and rollout counts added (the counters are the session's, shared).</summary>
    public RunProgress With(RunProgress rollouts)
    {
        ArgumentNullException.ThrowIfNull(rollouts);
        return this with
        {
            Conditions = [.. Conditions, .. rollouts.Conditions],
            RolloutsDone = rollouts.RolloutsDone,
            RolloutsTotal = rollouts.RolloutsTotal,
            RolloutsSkipped = rollouts.RolloutsSkipped,
            Calls = Math.Max(Calls, rollouts.Calls),
            CacheHits = Math.Max(CacheHits, rollouts.CacheHits),
            Failures = Math.Max(Failures, rollouts.Failures),
            Tokens = Math.Max(Tokens, rollouts.Tokens),
            CachedPromptTokens = Math.Max(CachedPromptTokens, rollouts.CachedPromptTokens),
            // Probes run first, then rollouts: the session's time is their sum.
            Elapsed = Elapsed + rollouts.Elapsed,
        };
    }

    /// <summary>Of the prompt tokens this session, those served from the providers' prompt caches (when reported).</summary>
    public long CachedPromptTokens { get; init; }

    /// <summary>In batch execution, where the provider batches stand; null online.</summary>
    public BatchProgress? Batches { get; init; }

    /// <summary>A snapshot whose session counters (calls, cache hits, failures, tokens, cached prompt tokens) are
    /// <paramref name="recorder"/>'s, or zero before the session has one.</summary>
    internal static RunProgress Of(IReadOnlyList<ConditionProgress> conditions, int probesDone, int probesTotal, int probesSkipped,
        RunRecorder? recorder, double? costUsd, TimeSpan elapsed, TimeSpan? eta) =>
        new(conditions, probesDone, probesTotal, probesSkipped, recorder?.Calls ?? 0, recorder?.CacheHits ?? 0, recorder?.Failures ?? 0,
            recorder?.Tokens ?? 0, costUsd, elapsed, eta)
        {
            CachedPromptTokens = recorder?.CachedPromptTokens ?? 0,
        };
}

/// <summary>Where a batch-executed session stands.</summary>
/// <param name="Phase">The phase running: <c>simulate</c>, <c>label</c> or <c>actions</c> (or <c>done</c>).</param>
/// <param name="Round">The phase's round: 1 for first requests, more for JSON repairs, schema fallbacks and resubmissions.</param>
/// <param name="Waiting">Batches submitted and not ended.</param>
/// <param name="Submitted">Requests in the batches this session submitted or resumed.</param>
/// <param name="Completed">Of those, answered so far (as the providers last reported).</param>
/// <param name="Failed">Of those, failed so far (as the providers last reported).</param>
/// <param name="Batches">Batches this session submitted or resumed.</param>
public sealed record BatchProgress(string Phase, int Round, int Waiting, long Submitted, long Completed, long Failed, int Batches);

/// <summary>The result of a session.</summary>
/// <param name="End">How it ended.</param>
/// <param name="Message">Why it stopped, for a stop.</param>
/// <param name="Progress">The final progress snapshot.</param>
public sealed record RunOutcome(RunEnd End, string? Message, RunProgress Progress);

/// <summary>Something whose progress a display can poll while it runs (safe to call from any thread).</summary>
public interface IRunProgressSource
{
    /// <summary>A snapshot of the progress.</summary>
    RunProgress Progress { get; }
}
