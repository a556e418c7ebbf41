using Dfid.Corpus;

namespace Dfid.Instrument;

/// <summary>The decision-state instrument Φ: labels one user turn in its causal context.</summary>
/// <remarks>The same instrument labels the real and the simulated turn of a probe; only the text differs.</remarks>
public interface IInstrument
{
    /// <summary>Short stable name used in run stores and reports.</summary>
    string Name { get; }

    /// <summary>Labels the user turn at <see cref="LabelRequest.TurnIndex"/>.</summary>
    /// <remarks>Failures come back as data (<see cref="AnswerStatus.InvalidAnswer"/>, <see cref="AnswerStatus.ModelError"/>); an
    /// exception is recorded by the run as a model error, and a budget stop ends the session.</remarks>
    Task<Answer<DecisionState>> LabelAsync(LabelRequest request, CancellationToken cancellationToken = default);
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

/// <summary>Labels the agent turn right before a probe with an <see cref="AgentAction"/>.</summary>
public interface IAgentActionLabeller
{
    /// <summary>Short stable name used in run stores and reports.</summary>
    string Name { get; }

    /// <summary>Labels the agent turn at <paramref name="agentTurnIndex"/> (context: the turns before it).</summary>
    Task<Answer<AgentAction>> LabelAsync(Conversation conversation, int agentTurnIndex, CancellationToken cancellationToken = default);
}
