namespace Dfid.Analysis;

/// <summary>
/// Everything <see cref="DecisionFidelityAnalysis.Analyze(AnalysisInput, AnalysisOptions?)"/> reads, in one record: the
/// teacher-forced probe table and, when the run measured walk-away, its exit probes, rollouts, rollout texts and the
/// real continuations beside them. Every list but the probe table may be empty (a depth-only run).
/// </summary>
/// <param name="ProbeRows">The teacher-forced probe table (all probe-mode conditions).</param>
public sealed record AnalysisInput(IReadOnlyList<ProbeRow> ProbeRows)
{
    /// <summary>Exit probes: one row per condition × probe where the exit channel was offered.</summary>
    public IReadOnlyList<ExitProbeRow> ExitRows { get; init; } = [];

    /// <summary>Rollouts: one row per condition × conversation × sample.</summary>
    public IReadOnlyList<RolloutRow> RolloutRows { get; init; } = [];

    /// <summary>The stored rollout turns (texts), for the examples only; may be empty (examples then show no text).</summary>
    public IReadOnlyList<RolloutTurn> RolloutTurns { get; init; } = [];

    /// <summary>The real continuation of each rolled-out conversation, for the examples only; may be empty.</summary>
    public IReadOnlyList<RealContinuation> RealContinuations { get; init; } = [];

    /// <summary>The corpus's dataset id (e.g. <c>persuasionforgood</c>), echoed into the results so the report can say
    /// what the dataset implies for walk-away (PersuasionForGood required about ten turns per chat); null when unknown.</summary>
    public string? Dataset { get; init; }
}
