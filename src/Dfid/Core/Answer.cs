namespace Dfid.Core;

/// <summary>How a model-backed step (a simulated turn, a label, an action label) came out.</summary>
/// <remarks>The names are stored as written here in the run store's <c>status</c> columns.</remarks>
public enum AnswerStatus
{
    /// <summary>A usable value.</summary>
    Ok,
    /// <summary>The model answered with nothing usable (final).</summary>
    Empty,
    /// <summary>The model refused the role or the task (final).</summary>
    Refusal,
    /// <summary>The answer failed schema validation even after one repair (final).</summary>
    InvalidAnswer,
    /// <summary>The model call failed (timeout, HTTP error, dropped connection); kept as data and retried by the next session.</summary>
    ModelError,
    /// <summary>The simulated user left instead of replying (the exit channel): a valid, final answer with no text to label.</summary>
    Exit,
}

/// <summary>
/// The one result type of every model-backed step: a value, or a typed failure with what went wrong; plus how the
/// answer was obtained (<see cref="ModelCall"/>: model, tokens, latency, cache hit, attempts, cost) and the raw answer.
/// A failure is data, never an exception.
/// </summary>
/// <typeparam name="T">The value: the simulated text, a <see cref="DecisionState"/>, an <see cref="AgentAction"/>.</typeparam>
/// <param name="Value">The value when <paramref name="Status"/> is <see cref="AnswerStatus.Ok"/> (a final non-Ok answer may keep its text).</param>
/// <param name="Status">How the step came out.</param>
/// <param name="Error">What went wrong, for a failure.</param>
/// <param name="Call">Model usage, for model-backed steps.</param>
/// <param name="RawAnswer">The model's raw answer (before cleaning or parsing), kept for audit.</param>
public sealed record Answer<T>(T? Value, AnswerStatus Status, string? Error = null, ModelCall? Call = null, string? RawAnswer = null)
{
    /// <summary>Whether the step produced a usable value.</summary>
    public bool IsOk => Status == AnswerStatus.Ok;

    /// <summary>A usable value.</summary>
    public static Answer<T> Ok(T value, ModelCall? call = null, string? raw = null) => new(value, AnswerStatus.Ok, null, call, raw);

    /// <summary>A failed step.</summary>
    public static Answer<T> Failed(AnswerStatus status, string error, ModelCall? call = null, string? raw = null)
    {
        if (status == AnswerStatus.Ok) throw new ArgumentOutOfRangeException(nameof(status), "a failure needs a failure status");
        return new(default, status, error, call, raw);
    }
}
