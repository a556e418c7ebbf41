using Dfid.Corpus;

namespace Dfid.Simulation;

/// <summary>A user simulator S: writes the user's next turn from the real history and profile.</summary>
public interface IUserSimulator
{
    /// <summary>Short stable name used in run stores and reports.</summary>
    string Name { get; }

    /// <summary>Writes the user turn that would stand at <see cref="SimulationRequest.ProbeTurnIndex"/>: the cleaned text, or
    /// why there is none (<see cref="AnswerStatus.Empty"/>, <see cref="AnswerStatus.Refusal"/>; a refusal keeps its text).</summary>
    /// <remarks>A failed model call may throw: the run turns every exception into a recorded <see cref="AnswerStatus.ModelError"/>
    /// in one place, and a budget stop into the end of the session.</remarks>
    Task<Answer<string>> ReplyAsync(SimulationRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A user turn to write.</summary>
/// <param name="Conversation">The history: only turns before <paramref name="ProbeTurnIndex"/> may be shown. At a probe it is the
/// real conversation; in a rollout, the real prefix followed by the simulated turns so far.</param>
/// <param name="ProbeTurnIndex">Where the user's turn stands: a real user turn being replaced, or one past the history (a real
/// exit point, or the next turn of a rollout).</param>
/// <param name="SampleIndex">Which repeated sample this is (0 for the first); part of the cache key.</param>
public sealed record SimulationRequest(Conversation Conversation, int ProbeTurnIndex, int SampleIndex = 0)
{
    /// <summary>Whether the simulated user is offered the exit channel (the documented way to leave instead of replying).</summary>
    public bool OfferExit { get; init; }

    /// <summary>The real conversation the history started from (replay reads it in a rollout); null: <see cref="Conversation"/>.</summary>
    public Conversation? Real { get; init; }

    /// <summary>The real conversation (<see cref="Real"/> or <see cref="Conversation"/>).</summary>
    public Conversation RealConversation => Real ?? Conversation;

    /// <summary>Checks that <see cref="ProbeTurnIndex"/> is a user turn of the history or the turn right after it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is neither.</exception>
    public void Validate()
    {
        var turns = Conversation.Turns;
        if (ProbeTurnIndex < 0 || ProbeTurnIndex > turns.Length || (ProbeTurnIndex < turns.Length && turns[ProbeTurnIndex].Role != Role.User))
            throw new ArgumentOutOfRangeException(nameof(ProbeTurnIndex), $"turn {ProbeTurnIndex} of {Conversation.Id} is neither a user turn nor the turn after the history");
    }
}
