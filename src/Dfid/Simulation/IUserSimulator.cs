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

/// <summary>A probe to answer.</summary>
/// <param name="Conversation">The real conversation; only turns before <paramref name="ProbeTurnIndex"/> may be shown.</param>
/// <param name="ProbeTurnIndex">Index of the real user turn being replaced.</param>
/// <param name="SampleIndex">Which repeated sample this is (0 for the first); part of the cache key.</param>
public sealed record SimulationRequest(Conversation Conversation, int ProbeTurnIndex, int SampleIndex = 0);
