using Dfid.Corpus;
using Dfid.Models;

namespace Dfid.Instrument;

/// <summary>The decision-state instrument Φ: labels one user turn in its causal context.</summary>
/// <remarks>The same instrument labels the real and the simulated turn of a probe; only the text differs.</remarks>
public interface IInstrument
{
    /// <summary>Short stable name used in run stores and reports.</summary>
    string Name { get; }

    /// <summary>Labels the user turn at <see cref="LabelRequest.TurnIndex"/>.</summary>
    Task<LabelResult> LabelAsync(LabelRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A user turn to label.</summary>
/// <param name="Conversation">The real conversation; its turns before <paramref name="TurnIndex"/> are the context.</param>
/// <param name="TurnIndex">Index of the user turn being labelled.</param>
/// <param name="Text">The text to label in place of the real turn (the simulated reply), or <c>null</c> for the real turn.</param>
/// <param name="FullContext">Hindsight check only: the instrument may also see the turns after the labelled one.</param>
public sealed record LabelRequest(Conversation Conversation, int TurnIndex, string? Text = null, bool FullContext = false)
{
    /// <summary>The text being labelled.</summary>
    public string LabelledText => Text ?? Conversation.Turns[TurnIndex].Text;
}

/// <summary>Outcome of a labelling attempt: a failure is data, never an exception.</summary>
public enum LabelStatus
{
    /// <summary>A valid state was produced.</summary>
    Ok,
    /// <summary>The model's answer failed schema validation even after one repair.</summary>
    InvalidAnswer,
    /// <summary>The model call failed (timeout, HTTP error, budget stop).</summary>
    ModelError,
}

/// <summary>The label of one turn, or why there is none.</summary>
/// <param name="State">The decision state, when <paramref name="Status"/> is <see cref="LabelStatus.Ok"/>.</param>
/// <param name="Status">Whether labelling worked.</param>
/// <param name="Error">What went wrong, for failures.</param>
/// <param name="Call">Model usage, for model-backed instruments.</param>
/// <param name="RawAnswer">The model's raw answer text, kept for audit.</param>
public sealed record LabelResult(
    DecisionState? State,
    LabelStatus Status,
    string? Error = null,
    ModelCall? Call = null,
    string? RawAnswer = null)
{
    /// <summary>A successful label.</summary>
    public static LabelResult Success(DecisionState state, ModelCall? call = null, string? raw = null) =>
        new(state, LabelStatus.Ok, null, call, raw);
}

/// <summary>Labels the agent turn right before a probe with an <see cref="AgentAction"/>.</summary>
public interface IAgentActionLabeller
{
    /// <summary>Short stable name used in run stores and reports.</summary>
    string Name { get; }

    /// <summary>Labels the agent turn at <paramref name="agentTurnIndex"/> (context: the turns before it).</summary>
    Task<ActionLabelResult> LabelAsync(Conversation conversation, int agentTurnIndex, CancellationToken cancellationToken = default);
}

/// <summary>An agent-action label, or why there is none.</summary>
/// <param name="Action">The action when labelling worked.</param>
/// <param name="Status">Whether labelling worked.</param>
/// <param name="Error">What went wrong, for failures.</param>
/// <param name="Call">Model usage, for model-backed labellers.</param>
public sealed record ActionLabelResult(AgentAction? Action, LabelStatus Status, string? Error = null, ModelCall? Call = null);
