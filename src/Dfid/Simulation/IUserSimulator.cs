using Dfid.Corpus;
using Dfid.Models;

namespace Dfid.Simulation;

/// <summary>A user simulator S: writes the user's next turn from the real history and profile.</summary>
public interface IUserSimulator
{
    /// <summary>Short stable name used in run stores and reports.</summary>
    string Name { get; }

    /// <summary>Writes the user turn that would stand at <see cref="SimulationRequest.ProbeTurnIndex"/>.</summary>
    Task<SimulatedTurn> ReplyAsync(SimulationRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A probe to answer.</summary>
/// <param name="Conversation">The real conversation; only turns before <paramref name="ProbeTurnIndex"/> may be shown.</param>
/// <param name="ProbeTurnIndex">Index of the real user turn being replaced.</param>
/// <param name="SampleIndex">Which repeated sample this is (0 for the first); part of the cache key.</param>
public sealed record SimulationRequest(Conversation Conversation, int ProbeTurnIndex, int SampleIndex = 0);

/// <summary>How a simulated turn came out.</summary>
public enum SimulationStatus
{
    /// <summary>A non-empty reply.</summary>
    Ok,
    /// <summary>The model answered with nothing usable.</summary>
    Empty,
    /// <summary>The model refused to role-play.</summary>
    Refusal,
    /// <summary>The model call failed (timeout, HTTP error, budget stop).</summary>
    ModelError,
}

/// <summary>A simulated user turn, or why there is none.</summary>
/// <param name="Text">The cleaned reply (role prefixes and quotes stripped).</param>
/// <param name="Status">How it came out.</param>
/// <param name="Error">What went wrong, for failures.</param>
/// <param name="Call">Model usage, for model-backed simulators.</param>
/// <param name="RawAnswer">The model's raw answer before cleaning.</param>
public sealed record SimulatedTurn(
    string? Text,
    SimulationStatus Status,
    string? Error = null,
    ModelCall? Call = null,
    string? RawAnswer = null);
