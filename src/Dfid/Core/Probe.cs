namespace Dfid.Core;

/// <summary>A teacher-forced probe: one real user turn that simulators rewrite from the real history before it, or a real exit
/// point (<see cref="ProbeKind.Exit"/>): the history up to the last agent turn, which the real user never answered.</summary>
/// <param name="ConversationId">The conversation probed.</param>
/// <param name="TurnIndex">Index of the probed user turn in the conversation's turns; at an exit point, one past the last turn.</param>
/// <param name="Position">Nominal position (e.g. 0.3) or, for <c>all</c>, the relative position k/n; 1 at an exit point.</param>
/// <param name="UserOrdinal">1-based ordinal of the probed turn among the eligible user turns (n + 1 at an exit point).</param>
/// <param name="EligibleUserTurns">Number of eligible user turns n the position refers to.</param>
public sealed record Probe(string ConversationId, int TurnIndex, double Position, int UserOrdinal, int EligibleUserTurns)
{
    /// <summary>A depth probe (a real user turn) or a real exit point.</summary>
    public ProbeKind Kind { get; init; } = ProbeKind.Depth;
}

/// <summary>What a probe's real branch is.</summary>
public enum ProbeKind
{
    /// <summary>A real user turn (the real user continued).</summary>
    Depth,
    /// <summary>A real exit point: the real user left instead of answering the last agent turn.</summary>
    Exit,
}

/// <summary>Where to probe a conversation.</summary>
/// <param name="Positions">Relative positions in (0, 1]; <c>null</c> probes every eligible user turn (<c>all</c>).</param>
/// <param name="SkipGreeting">Whether the conversation's first user turn (the opening greeting) is never probed.</param>
public sealed record ProbeOptions(IReadOnlyList<double>? Positions, bool SkipGreeting = true)
{
    /// <summary>Also probe each non-converted conversation that ends on an unanswered agent turn at that real exit point.</summary>
    public bool Exits { get; init; }

    /// <summary>The protocol's default: 30%, 60% and 90%, skipping the greeting.</summary>
    public static ProbeOptions Default { get; } = new([0.3, 0.6, 0.9]);
}
