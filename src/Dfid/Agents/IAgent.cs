using Dfid.Corpus;

namespace Dfid.Agents;

/// <summary>The other side of a rollout: the salesperson, persuader or negotiator who writes the agent's next turn.</summary>
public interface IAgent
{
    /// <summary>Short stable name used in run stores and reports.</summary>
    string Name { get; }

    /// <summary>Writes the agent turn at <see cref="AgentRequest.TurnIndex"/> after the history, or says why there is none
    /// (<see cref="AnswerStatus.Empty"/>: the agent has nothing more to say, e.g. a replay past the real conversation's end).</summary>
    /// <remarks>A failed model call may throw: the run records it.</remarks>
    Task<Answer<string>> ReplyAsync(AgentRequest request, CancellationToken cancellationToken = default);
}

/// <summary>An agent turn to write.</summary>
/// <param name="Conversation">The history: the real prefix, then the rollout's turns; the agent sees the turns before <paramref name="TurnIndex"/>.</param>
/// <param name="TurnIndex">Where the agent's turn stands (one past the history).</param>
/// <param name="Real">The real conversation the rollout started from (a replay agent reads its agent turns).</param>
/// <param name="SampleIndex">Which rollout of the conversation (part of the cache key).</param>
public sealed record AgentRequest(Conversation Conversation, int TurnIndex, Conversation Real, int SampleIndex = 0);
