namespace Dfid.Core;

/// <summary>A teacher-forced probe: one real user turn that simulators rewrite from the real history before it.</summary>
/// <param name="ConversationId">The conversation probed.</param>
/// <param name="TurnIndex">Index of the probed user turn in the conversation's turns.</param>
/// <param name="Position">Nominal position (e.g. 0.3) or, for <c>all</c>, the relative position k/n.</param>
/// <param name="UserOrdinal">1-based ordinal of the probed turn among the eligible user turns.</param>
/// <param name="EligibleUserTurns">Number of eligible user turns n the position refers to.</param>
public sealed record Probe(string ConversationId, int TurnIndex, double Position, int UserOrdinal, int EligibleUserTurns);

/// <summary>Where to probe a conversation.</summary>
/// <param name="Positions">Relative positions in (0, 1]; <c>null</c> probes every eligible user turn (<c>all</c>).</param>
/// <param name="SkipGreeting">Whether the conversation's first user turn (the opening greeting) is never probed.</param>
public sealed record ProbeOptions(IReadOnlyList<double>? Positions, bool SkipGreeting = true)
{
    /// <summary>The protocol's default: 30%, 60% and 90%, skipping the greeting.</summary>
    public static ProbeOptions Default { get; } = new([0.3, 0.6, 0.9]);
}
